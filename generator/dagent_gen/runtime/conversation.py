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
from dataclasses import dataclass
from typing import TypeVar

from .messages import ChatMessage
from .messages import MessageRef
from .messages import ModelRequest

INLINE_MAX_CHARS = 16_000  # longer prompts are read through the query, not copied into history
_INLINED_ROLES = ("system", "user")  # written by the workflow: no activity result holds them

K = TypeVar("K")
V = TypeVar("V")

Fetch = Callable[[int, int], Awaitable[list[ChatMessage]]]
"""Reads messages ``[start, end)`` from the workflow (a page; may return fewer)."""


class ConversationUnavailableError(Exception):
    """The workflow did not return the messages the request names."""


def text_digest(text: str) -> str:
    # surrogatepass: a lone surrogate (possible in JSON text) must hash, not raise
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def message_digest(message: ChatMessage) -> str:
    calls = [[call.id, call.name, call.arguments] for call in message.tool_calls]
    content = None if message.content is None else text_digest(message.content)
    canonical = json.dumps([message.role, content, message.tool_call_id, calls])
    return text_digest(canonical)


def chain(previous: str, digest: str) -> str:
    """The digest of a conversation extended by one message."""
    return text_digest(previous + digest)


class ConversationDigests:
    """Workflow side: describes the conversation for each ``call_model`` request.

    Digests are memoised by message content, so a step hashes only new or edited messages.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[object, ...], str] = {}
        self._sent = 0  # messages of the previous request

    def request(self, agent: str, messages: list[ChatMessage], tool_choice: str) -> ModelRequest:
        start = min(self._sent, len(messages))
        memo: dict[tuple[object, ...], str] = {}
        prefix = ""
        for message in messages[:start]:
            prefix = chain(prefix, self._digest(message, memo))
        new = [self._ref(message, self._digest(message, memo)) for message in messages[start:]]
        self._memo = memo  # forget messages no longer in the conversation
        self._sent = len(messages)
        return ModelRequest(
            agent=agent,
            message_count=len(messages),
            tool_choice=tool_choice,
            prefix_digest=prefix,
            new=new,
        )

    def _digest(self, message: ChatMessage, memo: dict[tuple[object, ...], str]) -> str:
        calls = tuple((call.id, call.name, call.arguments) for call in message.tool_calls)
        key = (message.role, message.content, message.tool_call_id, calls)
        digest = self._memo.get(key) or message_digest(message)
        memo[key] = digest
        return digest

    @staticmethod
    def _ref(message: ChatMessage, digest: str) -> MessageRef:
        content = message.content
        inline = (
            message.role in _INLINED_ROLES
            and content is not None
            and len(content) <= INLINE_MAX_CHARS
            and not message.tool_calls
        )
        by_text = content is not None and not inline and message.role != "assistant"
        return MessageRef(  # a model reply is found by its digest alone
            digest=digest,
            role=message.role,
            content_digest=text_digest(content) if by_text and content is not None else None,
            tool_call_id=message.tool_call_id,
            content=content if inline else None,
        )


@dataclass
class _Entry:
    messages: list[ChatMessage]
    chain: list[str]  # chain[i]: digest of messages[:i]


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
            _extend_chain(entry, entry.messages)
            if request.new and entry.chain[-1] != request.prefix_digest:
                raise ConversationUnavailableError("the workflow's messages do not match")
        else:
            del entry.messages[start:]
            del entry.chain[start + 1 :]
        resolved = [self._resolve(ref) for ref in request.new]
        tail = [message for message in resolved if message is not None]
        if len(tail) < len(resolved):
            tail = await _fetch_all(fetch, start, count)
            if [message_digest(m) for m in tail] != [ref.digest for ref in request.new]:
                raise ConversationUnavailableError("the workflow's new messages do not match")
        entry.messages.extend(tail)
        _extend_chain(entry, tail)
        _put(self._conversations, workflow_id, entry, self.runs)
        return list(entry.messages)

    def _resolve(self, ref: MessageRef) -> ChatMessage | None:
        with self._lock:
            message = self._replies.get(ref.digest)
            text = self._texts.get(ref.content_digest) if ref.content_digest else None
        if message is None:
            content = ref.content
            if content is None and ref.content_digest is not None:
                content = text
                if content is None:
                    return None
            message = ChatMessage(role=ref.role, content=content, tool_call_id=ref.tool_call_id)
        return message if message_digest(message) == ref.digest else None


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


def _extend_chain(entry: _Entry, messages: list[ChatMessage]) -> None:
    for message in messages:
        entry.chain.append(chain(entry.chain[-1], message_digest(message)))


def _put(cache: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
