"""Deterministic loop helpers: arguments, plans, failure text and unique tool call ids."""

from __future__ import annotations

from typing import Any

from dagent_gen.runtime.loop_support import (
    parse_arguments,
    parse_todos,
    tool_call_ids,
    with_unique_call_ids,
)
from dagent_gen.runtime.messages import ChatMessage, ToolCall


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
