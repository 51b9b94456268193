"""The conversation cache of ``call_model``: the model sees exactly the workflow's messages.

The workflow side (``ConversationDigests``) and the worker side (``ConversationCache``) are
driven together here, with the workflow's ``messages`` query played by a function over the
workflow's list, so each test can count the queries and check what the model would see.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from dagent_gen.runtime import conversation
from dagent_gen.runtime.conversation import (
    ConversationCache,
    ConversationDigests,
    ConversationUnavailableError,
    message_digest,
    ref_digest,
    text_digest,
)
from dagent_gen.runtime.loop_support import tool_call_ids
from dagent_gen.runtime.messages import ChatMessage, MessageWindow, ModelRequest, ToolCall


@dataclass
class Run:
    """One workflow's messages, its digests and the worker's view of them."""

    cache: ConversationCache
    workflow_id: str = "wf"
    messages: list[ChatMessage] = field(default_factory=list)
    digests: ConversationDigests = field(default_factory=ConversationDigests)
    queries: list[tuple[int, int]] = field(default_factory=list)
    page_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        if not self.messages:
            self.messages = [
                ChatMessage(role="system", content="You are terse."),
                ChatMessage(role="user", content="Take steps."),
            ]

    async def fetch(self, start: int, end: int) -> list[ChatMessage]:
        self.queries.append((start, end))
        return MessageWindow(start=start, end=end, max_bytes=self.page_bytes).page(self.messages)

    def model_view(self, request: ModelRequest | None = None) -> list[ChatMessage]:
        if request is not None:
            return asyncio.run(self.cache.conversation(self.workflow_id, request, self.fetch))
        request = self.digests.request("agent", self.messages, "auto")
        seen = asyncio.run(self.cache.conversation(self.workflow_id, request, self.fetch))
        # both sides keep the conversation's tool call ids a step at a time: after any edit,
        # they are still exactly the ids in the messages (what keeps a reply's ids unique)
        assert self.digests.call_ids == tool_call_ids(self.messages)
        assert self.cache.call_ids(self.workflow_id) == tool_call_ids(seen)
        return seen

    def step(self, i: int, *, produced_here: bool = True) -> None:
        """The model asks for tool ``step``; the tool answers (both activities in this process
        unless ``produced_here`` is false)."""
        reply = ChatMessage(
            role="assistant", tool_calls=[ToolCall(id=f"c{i}", name="step", arguments="{}")]
        )
        result = f"observation {i}"
        if produced_here:
            self.cache.remember_reply(reply)
            self.cache.remember_text(result)
        self.messages += [reply, ChatMessage(role="tool", content=result, tool_call_id=f"c{i}")]


def test_a_warm_worker_needs_no_query() -> None:
    run = Run(ConversationCache())
    for i in range(20):
        assert run.model_view() == run.messages
        run.step(i)
    assert run.model_view() == run.messages
    assert run.queries == []  # prompts travel inline, replies and results come from the cache


def test_hand_edits_of_old_messages_reach_the_model() -> None:
    run = Run(ConversationCache())
    for i in range(3):
        run.model_view()
        run.step(i)
    assert run.model_view() == run.messages  # the cache is warm with the original texts
    run.step(3)
    for message in run.messages[:-2]:  # context compaction: old tool results elided
        if message.role == "tool":
            message.content = "[elided]"
    seen = run.model_view()
    assert seen == run.messages
    assert [m.content for m in seen if m.role == "tool"] == ["[elided]"] * 3 + ["observation 3"]
    # the edit is picked up once; the next step is served from the cache again
    queries = len(run.queries)
    run.step(4)
    assert run.model_view() == run.messages and len(run.queries) == queries


@pytest.mark.parametrize(
    "edit",
    [
        lambda messages: messages.insert(2, ChatMessage(role="user", content="inserted")),
        lambda messages: messages.__delitem__(slice(2, 4)),  # an exchange dropped
        lambda messages: messages.__setitem__(0, ChatMessage(role="system", content="new")),
        lambda messages: setattr(messages[2].tool_calls[0], "arguments", '{"x": 1}'),
        lambda messages: setattr(messages[3], "tool_call_id", "other"),
        lambda messages: setattr(messages[1], "content", "an edited task"),
        lambda messages: setattr(messages[3], "role", "user"),
        lambda messages: messages[2].tool_calls.append(ToolCall(id="x", name="y", arguments="")),
        lambda messages: messages[4].tool_calls.clear(),
        lambda messages: messages.__delitem__(slice(4, None)),  # the newest exchanges dropped
    ],
)
def test_every_kind_of_edit_reaches_the_model(edit: object) -> None:
    run = Run(ConversationCache())
    for i in range(3):
        run.model_view()
        run.step(i)
    edit(run.messages)  # type: ignore[operator]
    run.step(9)
    assert run.model_view() == run.messages


def test_the_newest_messages_dropped_without_a_new_step() -> None:
    """A request that covers fewer messages than the last one: the worker cuts its cached
    conversation (and the tool call ids it keeps) back to the workflow's."""
    run = Run(ConversationCache())
    for i in range(3):
        run.model_view()
        run.step(i)
    run.model_view()
    del run.messages[-2:]  # the last exchange dropped, then the model is asked again
    assert run.model_view() == run.messages
    assert run.cache.call_ids(run.workflow_id) == {"c0", "c1"}


def test_results_produced_elsewhere_are_queried_once() -> None:
    run = Run(ConversationCache())
    run.model_view()
    run.step(0, produced_here=False)  # e.g. the tool ran on another worker
    assert run.model_view() == run.messages
    assert run.queries == [(2, 4)]  # only the new messages


def test_a_cold_worker_reads_the_conversation_in_pages() -> None:
    cache = ConversationCache()
    run = Run(cache, page_bytes=300)
    for i in range(10):
        run.step(i, produced_here=False)
    run.digests.request("agent", run.messages[:4], "auto")  # the first call ran elsewhere
    cold = Run(ConversationCache(), messages=run.messages, page_bytes=300)
    cold.digests = run.digests
    assert cold.model_view() == run.messages
    assert len(cold.queries) > 3  # several pages, each cut by size
    assert all(start < end for start, end in cold.queries)


def test_a_timed_out_attempts_reply_never_reaches_the_model() -> None:
    """Attempt 1 timed out but completed later in this process; attempt 2's reply (here from
    another worker) is the one the workflow recorded. The model must see attempt 2's."""
    run = Run(ConversationCache())
    run.model_view()
    late = ChatMessage(role="assistant", content="stale reply of attempt 1")
    run.cache.remember_reply(late)
    recorded = ChatMessage(role="assistant", content="reply of attempt 2")
    run.messages += [recorded, ChatMessage(role="user", content="go on")]
    seen = run.model_view()
    assert seen == run.messages and late not in seen


def test_eviction_past_the_run_limit() -> None:
    cache = ConversationCache(runs=512)
    runs = [Run(cache, workflow_id=f"wf-{n}") for n in range(513)]
    for run in runs:
        run.model_view()
        run.step(0, produced_here=False)
    for run in runs[1:]:
        run.model_view()
    assert runs[0].queries == [] and runs[1].queries == [(2, 4)]
    runs[0].model_view()  # evicted by the 513th run: read again from the start
    assert runs[0].queries == [(0, 2), (2, 4)]


def test_continue_as_new_keeps_the_cache_by_workflow_id() -> None:
    cache = ConversationCache()
    first = Run(cache)
    first.model_view()
    first.step(0)
    successor = Run(cache, messages=list(first.messages))  # new run, same workflow id
    assert successor.model_view() == first.messages
    assert successor.queries == []


def test_a_continued_run_names_only_the_messages_since_the_last_request() -> None:
    cache = ConversationCache()
    first = Run(cache)
    for i in range(30):
        first.model_view()
        first.step(i)
    carried = list(first.messages)
    # what a Continuation carries: the messages and how many the last request covered
    successor = Run(cache, messages=carried, digests=ConversationDigests(sent=first.digests.sent))
    request = successor.digests.request("agent", successor.messages, "auto")
    assert len(request.new) == 2  # the last step's reply and result, not the 62 messages
    assert successor.model_view(request) == carried
    assert successor.queries == []


def test_a_continued_run_on_a_cold_worker_reads_its_own_messages() -> None:
    first = Run(ConversationCache())
    for i in range(5):
        first.model_view()
        first.step(i)
    # another worker: nothing cached; the query goes to the new run, which holds every message
    successor = Run(
        ConversationCache(),
        messages=list(first.messages),
        digests=ConversationDigests(sent=first.digests.sent),
    )
    assert successor.model_view() == first.messages
    assert successor.queries[0] == (0, first.digests.sent)


def test_a_continued_run_with_shortened_messages_reads_them_again() -> None:
    cache = ConversationCache()
    first = Run(cache)
    for i in range(5):
        first.model_view()
        first.step(i)
    shortened = list(first.messages)
    shortened[3] = ChatMessage(role="tool", content="[elided]", tool_call_id="c0")
    successor = Run(cache, messages=shortened, digests=ConversationDigests(sent=first.digests.sent))
    assert successor.model_view() == shortened  # the cached prefix no longer matches: re-read


def test_unavailable_conversation_is_an_error() -> None:
    run = Run(ConversationCache())
    run.step(0, produced_here=False)
    request = run.digests.request("agent", run.messages, "auto")
    run.messages = []  # the workflow returns no messages
    with pytest.raises(ConversationUnavailableError, match="no messages"):
        run.model_view(request)


def test_messages_that_do_not_match_their_digests_are_refused() -> None:
    run = Run(ConversationCache())
    request = run.digests.request("agent", run.messages, "auto")
    request.new[1] = ["text", "user", text_digest("Take steps.")]  # not inline: must ask
    run.messages[1] = ChatMessage(role="user", content="changed after the request")
    with pytest.raises(ConversationUnavailableError, match="do not match"):
        run.model_view(request)


def test_requests_of_older_workflow_code_read_every_message() -> None:
    run = Run(ConversationCache())
    run.step(0, produced_here=False)
    legacy = ModelRequest(agent="agent", message_count=len(run.messages))
    assert run.model_view(legacy) == run.messages
    assert run.model_view(legacy) == run.messages
    assert run.queries == [(0, 4), (0, 4)]


def test_digests_cover_every_field_and_any_text() -> None:
    base = ChatMessage(role="tool", content="x", tool_call_id="a")
    variants = [
        ChatMessage(role="user", content="x", tool_call_id="a"),
        ChatMessage(role="tool", content="y", tool_call_id="a"),
        ChatMessage(role="tool", content=None, tool_call_id="a"),
        ChatMessage(role="tool", content="x", tool_call_id="b"),
        ChatMessage(
            role="tool", content="x", tool_call_id="a", tool_calls=[ToolCall("i", "n", "")]
        ),
        ChatMessage(role="tool", content="\ud800 lone surrogate, 漢字, 🙂", tool_call_id="a"),
    ]
    digests = {message_digest(m) for m in [base, *variants]}
    assert len(digests) == 1 + len(variants)


def test_references_are_short_and_name_exactly_one_message() -> None:
    """Every step's request is in history: references stay small, and each determines the
    digest of the message it names, whatever its shape."""
    run = Run(ConversationCache())
    run.step(0)
    run.messages.append(ChatMessage(role="user", content="x" * 20_000))  # too long to inline
    request = run.digests.request("agent", run.messages, "auto")
    assert [ref[0] for ref in request.new] == ["inline", "inline", "reply", "tool", "text"]
    assert [ref_digest(ref) for ref in request.new] == [message_digest(m) for m in run.messages]
    assert all(len(ref) <= 3 for ref in request.new)
    assert len(request.new[2][1]) == 16  # 64 bits: plenty for a per-workflow conversation
    assert run.model_view(request) == run.messages
    run.step(1)
    assert len(run.digests.request("agent", run.messages, "auto").prefix_digest) == 16


@pytest.mark.parametrize(
    "ref", [[], ["reply"], ["tool", "0" * 16], ["text", "nobody", "0" * 16], ["other", "x"]]
)
def test_malformed_references_are_refused(ref: list[str]) -> None:
    run = Run(ConversationCache())
    request = run.digests.request("agent", run.messages, "auto")
    request.new[1] = ref
    with pytest.raises(ConversationUnavailableError):
        run.model_view(request)


@pytest.mark.parametrize(
    "odd",
    [
        ChatMessage(role="tool", content="observation 3", tool_call_id="c3", tool_calls=[]),
        ChatMessage(role="user", content="x", tool_call_id="c"),
        ChatMessage(role="tool", content="observation 3"),
        ChatMessage(role="user", content=None),
        ChatMessage(role="system", content="late system message"),
    ],
)
def test_new_messages_of_any_shape_reach_the_model_exactly(odd: ChatMessage) -> None:
    """A new message the loop would not write (a hand edit) still reaches the model exactly:
    through a cheaper reference when one describes it, else through the query."""
    run = Run(ConversationCache())
    run.model_view()
    run.step(3)
    if odd.tool_call_id == "c3":  # the latest tool result, given a tool call by hand
        odd.tool_calls.append(ToolCall("odd", "step", "{}"))
    run.messages.append(odd)
    assert run.model_view() == run.messages


def test_a_step_hashes_only_its_new_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow side compares the old messages field by field and hashes only the new ones
    (their digests and the conversation's chain digest): its cost per step does not grow with
    the conversation."""
    hashed: list[ChatMessage] = []
    chained: list[str] = []

    def counting(message: ChatMessage) -> str:
        hashed.append(message)
        return message_digest(message)

    chain = conversation.chain

    def counting_chain(previous: str, digest: str) -> str:
        chained.append(digest)
        return chain(previous, digest)

    def request(run: Run) -> ModelRequest:
        hashed.clear()
        chained.clear()
        with monkeypatch.context() as patch:
            patch.setattr(conversation, "message_digest", counting)
            patch.setattr(conversation, "chain", counting_chain)
            return run.digests.request("agent", run.messages, "auto")

    run = Run(ConversationCache())
    for i in range(30):
        assert run.model_view(request(run)) == run.messages
        assert hashed == (run.messages if i == 0 else run.messages[-2:])
        assert len(chained) == (0 if i == 0 else 2)  # the previous request's new messages
        run.step(i)
    run.messages[5].content = "edited"  # an edit: that message and those after it again
    assert run.model_view(request(run)) == run.messages
    assert hashed == run.messages[5:]
    assert len(chained) == len(run.messages) - 2 - 5
