"""The offline model: plans, calls a tool with schema-made arguments, answers, always stops."""

from __future__ import annotations

import json
from typing import Any

from dagent_gen.testing import ScriptedModelServer, offline_reply, respond
from dagent_gen.testing.model_server import TextReply, ToolCallsReply

TODO_TOOL: Any = {
    "type": "function",
    "function": {"name": "write_todos", "parameters": {"type": "object"}},
}
SEARCH_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "search",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer", "default": 3},
                "mode": {"$ref": "#/$defs/Mode"},
                "window": {"anyOf": [{"$ref": "#/$defs/Window"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["query", "mode", "window", "tags"],
            "$defs": {
                "Mode": {"enum": ["fast", "slow"], "type": "string"},
                "Window": {
                    "type": "object",
                    "properties": {"start": {"type": "integer", "minimum": 5}},
                    "required": ["start"],
                },
            },
        },
    },
}


def request(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages), **extra}


USER = {"role": "user", "content": "Find facts about Temporal"}


def test_forced_write_todos_plans_the_task() -> None:
    reply = offline_reply(
        request(
            USER,
            tools=[TODO_TOOL],
            tool_choice={"type": "function", "function": {"name": "write_todos"}},
        )
    )
    assert isinstance(reply, ToolCallsReply)
    assert json.loads(reply.calls[0].arguments) == {"todos": ["Find facts about Temporal"]}


def test_calls_the_first_tool_with_arguments_made_from_its_schema() -> None:
    reply = offline_reply(request(USER, tools=[TODO_TOOL, SEARCH_TOOL], tool_choice="auto"))
    assert isinstance(reply, ToolCallsReply)
    assert reply.calls[0].name == "search"
    assert json.loads(reply.calls[0].arguments) == {
        "query": "Find facts about Temporal",
        "mode": "fast",
        "window": {"start": 5},
        "tags": ["Find facts about Temporal"],
    }


def test_after_a_tool_result_it_answers_and_stops() -> None:
    messages = [
        USER,
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "tool_call_id": "c1", "content": "Temporal is durable."},
    ]
    reply = offline_reply(request(*messages, tools=[SEARCH_TOOL], tool_choice="auto"))
    assert isinstance(reply, TextReply)
    assert "Temporal is durable." in reply.content
    final = offline_reply(request(*messages, tools=[SEARCH_TOOL], tool_choice="none"))
    assert isinstance(final, TextReply)
    assert final.content.startswith("Offline model (set OPENAI_API_KEY")
    assert "Task: Find facts about Temporal" in final.content
    assert "[Temporal is durable.]" in final.content


def test_without_tools_it_answers_with_text() -> None:
    reply = offline_reply(request(USER))
    assert isinstance(reply, TextReply)
    assert "Find facts about Temporal" in reply.content


def test_as_the_default_of_a_server() -> None:
    import openai

    with ScriptedModelServer(default=respond(offline_reply)) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="offline", max_retries=0)
        forced = client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "Plan a trip"}],
            tools=[TODO_TOOL],
            tool_choice={"type": "function", "function": {"name": "write_todos"}},
        )
        calls = forced.choices[0].message.tool_calls or []
        assert calls[0].type == "function"
        assert json.loads(calls[0].function.arguments) == {"todos": ["Plan a trip"]}
    assert server.violations == []
