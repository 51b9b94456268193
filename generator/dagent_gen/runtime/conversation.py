"""Content-addressed conversation cache: how ``call_model`` sees exactly the workflow's messages
without the workflow copying them into history on every step.

Workflow side (deterministic, no I/O): :class:`ConversationDigests` names each message by a
digest of its full content and the conversation by a chain of those digests. A request carries
the chain digest of the messages the model activity saw last time and references to the new
ones. Worker side: :class:`ConversationCache` keeps each workflow's conversation (keyed by
workflow id, so it survives continue-as-new) and the texts the activities of this process
produced (model replies, tool results), keyed by digest. A message is used only when its digest
matches what the workflow asked for; anything missing or different is read from the workflow's
``messages`` query. So a hand edit of old messages, a cold cache, or the reply of a timed-out
attempt (which the workflow never recorded, so no digest names it) can never change what the
model sees.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypeVar

from .loop_support import tool_call_ids
from .messages import ROLES
from .messages import ChatMessage
from .messages import MessageRef
from .messages import ModelRequest
from .messages import Role

INLINE_MAX_CHARS = 16_000  # longer prompts are read through the query, not copied into history
_INLINED_ROLES = ("system", "user")  # written by the workflow: no activity result holds them
DIGEST_CHARS = 16  # 64 bits: collisions need ~4e9 texts; every request costs these in history

K = TypeVar("K")
V = TypeVar("V")

Fetch = Callable[[int, int], Awaitable[list[ChatMessage]]]
"""Reads messages ``[start, end)`` from the workflow (a page; may return fewer)."""


class ConversationUnavailableError(Exception):
    """The workflow did not return the messages the request names."""


def text_digest(text: str) -> str:
    # surrogatepass: a lone surrogate (possible in JSON text) must hash, not raise
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:DIGEST_CHARS]


def message_digest(message: ChatMessage) -> str:
    calls = [[call.id, call.name, call.arguments] for call in message.tool_calls]
    content = None if message.content is None else text_digest(message.content)
    return _message_digest(message.role, content, message.tool_call_id, calls)


def _message_digest(
    role: str, content_digest: str | None, tool_call_id: str | None, calls: list[list[str]]
) -> str:
    return text_digest(json.dumps([role, content_digest, tool_call_id, calls]))


# A reference to one message of a request (``ModelRequest.new``), a short list of strings so
# that it costs few bytes of history on every step:
#   ["reply", digest]                   named by its digest alone (a model reply)
#   ["tool", text digest, tool_call_id]  a tool result, by the digest of its text
#   ["text", role, text digest]          another message by its text (a prompt too long to inline)
#   ["inline", role, content]            a prompt the workflow wrote, carried inline
# Every shape determines the digest of the message it names (``ref_digest``), so a cached text
# or reply is used only when the message it makes is exactly the one the workflow holds.


def _role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise ConversationUnavailableError(f"not a message role: {value!r}")


def ref_digest(ref: MessageRef) -> str:
    """The digest of the message ``ref`` names."""
    kind = ref[0] if ref else ""
    if kind == "reply" and len(ref) == 2:
        return ref[1]
    if kind == "tool" and len(ref) == 3:
        return _message_digest("tool", ref[1], ref[2], [])
    if kind == "text" and len(ref) == 3:
        return _message_digest(_role(ref[1]), ref[2], None, [])
    if kind == "inline" and len(ref) == 3:
        return message_digest(ChatMessage(role=_role(ref[1]), content=ref[2]))
    raise ConversationUnavailableError(f"not a message reference: {ref!r}")


@dataclass
class _Snapshot:
    """The fields of some messages, column by column: lists of the very strings the messages
    hold, so comparing a conversation with the previous request's is a few C-level list
    comparisons, with no hashing and no new object per message (which would also feed the
    garbage collector on every step)."""

    by_message: tuple[list[Any], ...]  # role, content, tool_call_id, number of tool calls
    by_call: tuple[list[str], ...]  # id, name, arguments of every tool call, in order

    @classmethod
    def of(cls, messages: list[ChatMessage]) -> _Snapshot:
        calls = [call for message in messages for call in message.tool_calls]
        return cls(
            (
                [m.role for m in messages],
                [m.content for m in messages],
                [m.tool_call_id for m in messages],
                [len(m.tool_calls) for m in messages],
            ),
            ([c.id for c in calls], [c.name for c in calls], [c.arguments for c in calls]),
        )

    def same_prefix(self, old: _Snapshot) -> int:
        """How many leading messages are equal to the first messages of ``old``."""
        same = min(len(self.by_message[0]), len(old.by_message[0]))
        for new, was in zip(self.by_message, old.by_message, strict=True):
            same = _same_prefix(new, was, same)
        calls = min(len(self.by_call[0]), len(old.by_call[0]))
        for new, was in zip(self.by_call, old.by_call, strict=True):
            calls = _same_prefix(new, was, calls)
        counts, total = self.by_message[3], 0  # equal up to ``same``: the calls line up
        for i in range(same):
            total += counts[i]
            if total > calls:  # message i holds the first call that differs
                return i
        return same


def _same_prefix(new: list[Any], old: list[Any], limit: int) -> int:
    """How many of the first ``limit`` items of ``new`` and ``old`` are equal before one differs."""
    if new[:limit] == old[:limit]:
        return limit
    return next(i for i in range(limit) if new[i] != old[i])


def chain(previous: str, digest: str) -> str:
    """The digest of a conversation extended by one message."""
    return text_digest(previous + digest)


class ConversationDigests:
    """Workflow side: describes the conversation for each ``call_model`` request.

    Remembers each message of the previous request by its fields and digest, and the chain
    digests of its prefixes: a step compares the fields (no hashing) and hashes only new or
    edited messages, so its cost barely grows with the conversation.
    """

    def __init__(self, sent: int = 0) -> None:
        # messages of the previous request; a run continued as new passes the old run's count,
        # so its first request names only the newer messages and the worker's cache (keyed by
        # workflow id) still holds the rest
        self._sent = sent
        self._seen = _Snapshot.of([])  # the previous request's messages, field by field
        self._digests: list[str] = []  # their digests
        self._chain = [""]  # _chain[i]: digest of the first i of them
        self._call_ids: set[str] = set()  # ids of their tool calls

    @property
    def sent(self) -> int:
        """How many messages the previous request covered."""
        return self._sent

    @property
    def call_ids(self) -> AbstractSet[str]:
        """The ids of the tool calls in the previous request's messages (the conversation the
        model answered): kept up to date a step at a time, not rebuilt from every message."""
        return self._call_ids

    def request(
        self, agent: str, messages: list[ChatMessage], tool_choice: str, tools: str = ""
    ) -> ModelRequest:
        """``tools``: the key of the tool sets listed at run time (``DiscoveredTools.key``)."""
        start = min(self._sent, len(messages))
        seen = _Snapshot.of(messages)
        same = seen.same_prefix(self._seen)  # leading messages unchanged since then
        if same == len(self._seen.by_message[0]):  # only appended to: the old calls all stay
            self._call_ids.update(seen.by_call[0][len(self._seen.by_call[0]) :])
        else:
            self._call_ids = set(seen.by_call[0])
        digests = self._digests[:same] + [message_digest(m) for m in messages[same:]]
        chained = self._chain[: min(same, start) + 1]
        for digest in digests[len(chained) - 1 : start]:
            chained.append(chain(chained[-1], digest))
        new = [
            self._ref(message, digest)
            for message, digest in zip(messages[start:], digests[start:], strict=True)
        ]
        self._seen, self._digests, self._chain = seen, digests, chained
        self._sent = len(messages)
        return ModelRequest(
            agent=agent,
            message_count=len(messages),
            tool_choice=tool_choice,
            prefix_digest=chained[start],
            new=new,
            tools=tools,
        )

    @staticmethod
    def _ref(message: ChatMessage, digest: str) -> MessageRef:
        content = message.content
        if message.role == "assistant" or content is None or message.tool_calls:
            return ["reply", digest]  # a model reply is found by its digest alone
        if message.tool_call_id is not None:
            if message.role == "tool":
                return ["tool", text_digest(content), message.tool_call_id]
            return ["reply", digest]  # no cheaper shape: read through the query
        if message.role in _INLINED_ROLES and len(content) <= INLINE_MAX_CHARS:
            return ["inline", message.role, content]
        return ["text", message.role, text_digest(content)]


@dataclass
class _Entry:
    messages: list[ChatMessage]
    chain: list[str]  # chain[i]: digest of messages[:i]
    call_ids: set[str] = field(default_factory=set)  # of the tool calls in messages


class ConversationCache:
    """Worker side: each workflow's conversation and the texts produced in this process."""

    def __init__(self, runs: int = 512, texts: int = 4096) -> None:
        self.runs = runs
        self.texts = texts
        self._conversations: OrderedDict[str, _Entry] = OrderedDict()
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._replies: OrderedDict[str, ChatMessage] = OrderedDict()
        self._lock = threading.Lock()  # plain (sync) tools remember texts from worker threads

    def remember_text(self, text: str) -> None:
        """A text an activity produced (a tool result, a model reply's content)."""
        digest = text_digest(text)
        with self._lock:
            _put(self._texts, digest, text, self.texts)

    def remember_reply(self, message: ChatMessage) -> None:
        """A model reply, exactly as ``call_model`` returns it."""
        digest = message_digest(message)
        with self._lock:
            _put(self._replies, digest, message, self.texts)
        if message.content is not None:
            self.remember_text(message.content)

    def forget(self, workflow_id: str) -> None:
        self._conversations.pop(workflow_id, None)

    async def conversation(
        self, workflow_id: str, request: ModelRequest, fetch: Fetch
    ) -> list[ChatMessage]:
        """The request's messages, exactly as the workflow holds them."""
        count = request.message_count
        entry = self._conversations.pop(workflow_id, None)
        start = count - len(request.new)
        if not request.prefix_digest and not request.new:  # older workflow code: no digests
            entry = None
        if (
            entry is None
            or len(entry.chain) <= start
            or entry.chain[start] != request.prefix_digest
        ):
            entry = _Entry(await _fetch_all(fetch, 0, start), [""])
            _extend(entry, entry.messages)
            if request.new and entry.chain[-1] != request.prefix_digest:
                raise ConversationUnavailableError("the workflow's messages do not match")
        elif len(entry.messages) > start:  # messages removed or edited since: drop them
            del entry.messages[start:]
            del entry.chain[start + 1 :]
            entry.call_ids = tool_call_ids(entry.messages)
        resolved = [self._resolve(ref) for ref in request.new]
        tail = [message for message in resolved if message is not None]
        if len(tail) < len(resolved):
            tail = await _fetch_all(fetch, start, count)
            if [message_digest(m) for m in tail] != [ref_digest(ref) for ref in request.new]:
                raise ConversationUnavailableError("the workflow's new messages do not match")
        entry.messages.extend(tail)
        _extend(entry, tail)
        _put(self._conversations, workflow_id, entry, self.runs)
        return list(entry.messages)

    def call_ids(self, workflow_id: str) -> AbstractSet[str]:
        """The ids of the tool calls in the conversation :meth:`conversation` last returned for
        ``workflow_id`` (empty when it is not cached)."""
        entry = self._conversations.get(workflow_id)
        return entry.call_ids if entry is not None else frozenset()

    def _resolve(self, ref: MessageRef) -> ChatMessage | None:
        digest = ref_digest(ref)
        message: ChatMessage | None = None
        if ref[0] == "reply":
            with self._lock:
                message = self._replies.get(digest)
        elif ref[0] == "inline":
            message = ChatMessage(role=_role(ref[1]), content=ref[2])
        else:
            tool = ref[0] == "tool"
            with self._lock:
                text = self._texts.get(ref[1] if tool else ref[2])
            if text is None:
                return None
            message = (
                ChatMessage(role="tool", content=text, tool_call_id=ref[2])
                if tool
                else ChatMessage(role=_role(ref[1]), content=text)
            )
        # checked, not trusted: a cached text or reply that makes another message is not used
        return message if message is not None and message_digest(message) == digest else None


CACHE = ConversationCache()
"""This worker process's cache, filled by ``call_model`` and the tool activities."""


async def _fetch_all(fetch: Fetch, start: int, end: int) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    while start + len(messages) < end:  # pages are cut by size (MessageWindow.max_bytes)
        page = await fetch(start + len(messages), end)
        if not page:
            raise ConversationUnavailableError(
                f"workflow returned no messages for [{start + len(messages)}, {end})"
            )
        messages.extend(page[: end - start - len(messages)])
    return messages


def _extend(entry: _Entry, messages: list[ChatMessage]) -> None:
    """``entry``'s chain digests and call ids, extended by ``messages`` (just appended)."""
    for message in messages:
        entry.chain.append(chain(entry.chain[-1], message_digest(message)))
    entry.call_ids.update(tool_call_ids(messages))


def _put(cache: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
