"""Context management: when to summarise, where to cut, and the cache after the cut."""

from __future__ import annotations

import asyncio

from dagent_gen.runtime.context import (
    ContextBudget,
    ContextPolicy,
    estimate_tokens,
    head_length,
)
from dagent_gen.runtime.conversation import ConversationCache, ConversationDigests
from dagent_gen.runtime.messages import ChatMessage, ToolCall, Usage


def conversation(steps: int, calls_per_step: int = 1) -> list[ChatMessage]:
    """system, task, then per step: an assistant message with calls and their answers."""
    messages = [
        ChatMessage(role="system", content="You are terse."),
        ChatMessage(role="user", content="The task."),
    ]
    for step in range(steps):
        calls = [
            ToolCall(id=f"c{step}-{n}", name="step", arguments='{"i": 1}')
            for n in range(calls_per_step)
        ]
        messages.append(ChatMessage(role="assistant", tool_calls=calls))
        messages += [
            ChatMessage(role="tool", content="x" * 800, tool_call_id=call.id) for call in calls
        ]
    return messages


def test_estimate_is_four_characters_per_token_plus_overhead() -> None:
    messages = [
        ChatMessage(role="user", content="a" * 40),
        ChatMessage(role="assistant", tool_calls=[ToolCall(id="1", name="abcd", arguments="")]),
    ]
    assert estimate_tokens(messages) == 44 // 4 + 2 * 4


def test_the_reported_prompt_tokens_count_plus_the_newer_messages() -> None:
    budget = ContextBudget(ContextPolicy(max_tokens=1_000))
    messages = conversation(1)
    budget.observe(3, Usage(prompt_tokens=900))  # the model counted the first three messages
    assert budget.estimate(messages) == 900 + estimate_tokens(messages[3:])
    assert budget.cut(messages) is None  # 900 + 204 ≥ 1000 but nothing to summarise yet
    budget.observe(3, Usage())  # no usage reported: characters only
    assert budget.estimate(messages) == estimate_tokens(messages)


def test_within_the_budget_nothing_is_cut() -> None:
    budget = ContextBudget(ContextPolicy(max_tokens=100_000, keep_recent=2))
    assert budget.cut(conversation(10)) is None


def test_the_cut_keeps_the_head_and_the_recent_messages() -> None:
    budget = ContextBudget(ContextPolicy(max_tokens=1_000, keep_recent=4))
    messages = conversation(8)  # 2 + 16 messages, ~1,700 tokens
    cut = budget.cut(messages)
    assert cut == len(messages) - 4
    assert messages[cut].role == "assistant"


def test_the_cut_never_separates_calls_from_their_answers() -> None:
    budget = ContextBudget(ContextPolicy(max_tokens=1_000, keep_recent=2))
    messages = conversation(4, calls_per_step=3)  # steps of 4 messages: assistant + 3 tools
    cut = budget.cut(messages)
    assert cut is not None
    assert messages[cut].role == "assistant"  # moved back over the tool messages
    assert cut == len(messages) - 4
    for keep in range(0, 12):
        budget = ContextBudget(ContextPolicy(max_tokens=1_000, keep_recent=keep))
        cut = budget.cut(messages)
        assert cut is not None
        assert cut == len(messages) or messages[cut].role != "tool"


def test_compacted_keeps_system_task_and_tail() -> None:
    budget = ContextBudget(ContextPolicy(max_tokens=1_000, keep_recent=4))
    messages = conversation(8)
    budget.observe(len(messages), Usage(prompt_tokens=5_000))
    cut = budget.cut(messages)
    assert cut is not None
    compacted, kept = budget.compacted(messages, cut, "SUMMARY")
    assert kept == 2
    assert compacted[:2] == messages[:2]
    assert compacted[2] == ChatMessage(role="user", content="SUMMARY")
    assert compacted[3:] == messages[cut:]
    assert budget.estimate(compacted) == estimate_tokens(compacted)  # the report is stale


def test_a_former_summary_alone_is_not_summarised_again() -> None:
    budget = ContextBudget(ContextPolicy(max_tokens=10, keep_recent=4))
    messages = conversation(2)
    compacted, _ = budget.compacted(messages, 2, "x" * 4_000)  # nothing after the head kept
    assert budget.cut(compacted[:3]) is None
    assert head_length(compacted) == 2


def test_head_length() -> None:
    system = ChatMessage(role="system", content="s")
    user = ChatMessage(role="user", content="u")
    assert head_length([system, user, user]) == 2
    assert head_length([system, system, user]) == 3
    assert head_length([user]) == 1
    assert head_length([system]) == 1


def test_the_cache_serves_the_compacted_conversation_without_queries() -> None:
    """After the cut, digests restart after the head: the worker's cache still holds the head,
    and the replies and tool texts of the kept tail, so no message is read through the query."""
    cache = ConversationCache()
    messages = conversation(8)
    for message in messages:
        if message.role == "assistant":
            cache.remember_reply(message)
        elif message.role == "tool" and message.content is not None:
            cache.remember_text(message.content)
    digests = ConversationDigests()
    queries: list[tuple[int, int]] = []
    current = messages

    async def fetch(start: int, end: int) -> list[ChatMessage]:
        queries.append((start, end))
        return current[start:end]

    async def send(request_messages: list[ChatMessage], d: ConversationDigests) -> None:
        request = d.request("agent", request_messages, "auto")
        seen = await cache.conversation("wf", request, fetch)
        assert seen == request_messages

    asyncio.run(send(messages, digests))
    assert queries == []  # the first request: everything inline or cached
    budget = ContextBudget(ContextPolicy(max_tokens=1_000, keep_recent=4))
    cut = budget.cut(messages)
    assert cut is not None
    prompt = ChatMessage(role="user", content="Summarise.")
    current = [*messages[:cut], prompt]  # what the summarise activity sees
    asyncio.run(send(current, ConversationDigests(sent=min(digests.sent, cut))))
    current, kept = budget.compacted(messages, cut, "SUMMARY")
    asyncio.run(send(current, ConversationDigests(sent=kept)))
    assert queries == []
