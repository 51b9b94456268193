"""Deterministic loop helpers: arguments, plans, failure text and unique tool call ids."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from typing import Any

import pytest
from temporalio import workflow
from temporalio.converter import default as default_converter
from temporalio.exceptions import ApplicationError

from dagent_gen.runtime.loop_support import (
    CONTINUATION_MAX_BYTES,
    ELIDED_KEEP_CHARS,
    fitted_continuation,
    last_reply_text,
    parse_arguments,
    parse_todos,
    raise_if_cancelled,
    tool_call_ids,
    with_unique_call_ids,
)
from dagent_gen.runtime.messages import (
    ChatMessage,
    Continuation,
    ToolCall,
    pack_messages,
    unpack_messages,
)


def test_tool_arguments_are_parsed_or_explained() -> None:
    assert parse_arguments(ToolCall(id="1", name="t", arguments='{"a": 1}')) == {"a": 1}
    assert parse_arguments(ToolCall(id="1", name="t", arguments="")) == {}
    bad = parse_arguments(ToolCall(id="1", name="t", arguments="{bad"))
    assert isinstance(bad, str) and bad.startswith("Error: the arguments of 't' are not valid")
    assert "must be a JSON object" in str(
        parse_arguments(ToolCall(id="1", name="t", arguments="[1]"))
    )


def test_plans_are_parsed_or_explained() -> None:
    todos = parse_todos({"todos": ["a", {"content": "b", "status": "completed"}]})
    assert not isinstance(todos, str)
    assert [(t.content, t.status) for t in todos] == [("a", "pending"), ("b", "completed")]
    bad: dict[str, Any]
    for bad in ({}, {"todos": []}, {"todos": [{"content": "x", "status": "done"}]}, {"todos": [3]}):
        assert str(parse_todos(bad)).startswith("Error: call write_todos")


def reply(*ids: str) -> ChatMessage:
    return ChatMessage(role="assistant", tool_calls=[ToolCall(i, "t", "{}") for i in ids])


def test_reused_tool_call_ids_become_unique_deterministically() -> None:
    conversation = [reply("call_0"), ChatMessage(role="tool", content="r", tool_call_id="call_0")]
    renamed = with_unique_call_ids(reply("call_0", "call_0", ""), tool_call_ids(conversation))
    ids = [call.id for call in renamed.tool_calls]
    assert len(set(ids) | {"call_0"}) == 4 and "call_0" not in ids
    again = with_unique_call_ids(reply("call_0", "call_0", ""), tool_call_ids(conversation))
    assert again == renamed  # the workflow and the activity compute the same ids
    assert [call.name for call in renamed.tool_calls] == ["t"] * 3


def test_unique_ids_are_left_alone() -> None:
    original = reply("a", "b")
    assert with_unique_call_ids(original, {"c"}) is original
    assert with_unique_call_ids(ChatMessage(role="assistant", content="hi"), {"a"}).content == "hi"


CONVERTER = default_converter().payload_converter


def encoded_size(value: object) -> int:
    return len(CONVERTER.to_payloads([value])[0].data)


def random_text(chars: int, seed: int) -> str:
    """CJK text that compression cannot shrink much: 3 bytes of UTF-8, 6 of JSON escapes."""
    rng = random.Random(seed)
    return "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(chars))


def long_conversation(results: int, chars: int) -> list[ChatMessage]:
    messages = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content="u")]
    for i in range(results):
        messages.append(reply(f"c{i}"))
        messages.append(
            ChatMessage(role="tool", content=random_text(chars, i), tool_call_id=f"c{i}")
        )
    return messages


def test_packed_messages_round_trip_exactly() -> None:
    messages = [
        ChatMessage(role="system", content="You help."),
        ChatMessage(role="user", content="emoji \U0001f600, CJK \u4e2d, a lone \ud800, NUL \x00"),
        ChatMessage(
            role="assistant",
            content=None,
            tool_calls=[ToolCall(id="c1", name="f", arguments='{"a": 1}'), ToolCall("c2", "g", "")],
        ),
        ChatMessage(role="tool", content="", tool_call_id="c1"),
        ChatMessage(role="tool", content="done", tool_call_id="c2"),
    ]
    packed = pack_messages(messages)
    assert packed.isascii() and packed == pack_messages(messages)  # deterministic
    assert unpack_messages(packed) == messages
    assert unpack_messages(pack_messages([])) == []


def test_a_continuation_carries_its_conversation_packed() -> None:
    messages = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content="u")]
    for i in range(100):  # a tool loop whose results repeat much of their text, as real ones do
        messages.append(reply(f"c{i}"))
        content = f"step {i}: listed 20 files under src/ " + "src/module.py 1200 bytes; " * 20
        messages.append(ChatMessage(role="tool", content=content, tool_call_id=f"c{i}"))
    state = Continuation(messages=messages, steps=100, sent=201)
    fitted = fitted_continuation(state, CONVERTER)
    assert fitted.messages == [] and fitted.conversation() == messages
    assert replace(fitted, packed_messages="") == replace(state, messages=[])  # all else kept
    assert encoded_size(fitted) * 5 < encoded_size(state)


def test_state_written_by_older_generated_code_still_reads() -> None:
    messages = long_conversation(2, 10)
    assert Continuation(messages=messages).conversation() == messages


def test_an_oversized_continuation_sheds_its_oldest_tool_results_first() -> None:
    state = Continuation(messages=long_conversation(60, 20_000), steps=60)
    assert encoded_size(state) > 2_000_000  # the server would refuse it as one payload
    fitted = fitted_continuation(state, CONVERTER)
    assert encoded_size(fitted) <= CONTINUATION_MAX_BYTES
    conversation = fitted.conversation()
    tools = [m for m in conversation if m.role == "tool"]
    shortened = [m for m in tools if "[elided when the run continued as new" in (m.content or "")]
    assert shortened and tools[: len(shortened)] == shortened  # the oldest ones, in order
    assert len(shortened) < len(tools) - 10  # no more than it took (packed, most fit)
    assert tools[-1].content == state.messages[-1].content  # the newest kept whole
    originals = [m for m in state.messages if m.role == "tool"]
    for short, original in zip(shortened, originals, strict=False):
        assert short.content is not None and original.content is not None
        assert short.content.startswith(original.content[:ELIDED_KEEP_CHARS])
    assert len(conversation) == len(state.messages) and fitted.steps == 60


def test_a_continuation_that_cannot_fit_fails_clearly() -> None:
    huge_prompt = ChatMessage(role="user", content=random_text(1_000_000, 7))
    state = Continuation(messages=[huge_prompt])
    with pytest.raises(ApplicationError) as raised:
        fitted_continuation(state, CONVERTER)
    assert raised.value.type == "ConversationTooLarge" and raised.value.non_retryable


def test_a_cancelled_run_reports_the_models_latest_text() -> None:
    assert last_reply_text([]) == ""
    messages = [
        ChatMessage(role="assistant", content="first thoughts"),
        reply("c1"),
        ChatMessage(role="tool", content="r", tool_call_id="c1"),
    ]
    assert last_reply_text(messages) == "first thoughts"


@pytest.mark.parametrize("reason", [None, "", "user pressed stop"])
def test_raise_if_cancelled_follows_the_runs_cancellation_request(
    monkeypatch: pytest.MonkeyPatch, reason: str | None
) -> None:
    # the SDK reports a cancel request as its reason, "" included; None: none was requested
    monkeypatch.setattr(workflow, "cancellation_reason", lambda: reason)
    if reason is None:
        raise_if_cancelled()
    else:
        with pytest.raises(asyncio.CancelledError):
            raise_if_cancelled()
