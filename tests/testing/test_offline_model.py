"""The offline model: plans, calls a tool with schema-made arguments, answers, always stops."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

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
    messages: list[dict[str, Any]] = [
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


# -- reading the task: which tool, which arguments (docs/offline-model.md) ---------------------


def function_tool(name: str, description: str, properties: Any, required: list[str]) -> Any:
    parameters = {"type": "object", "properties": properties, "required": required}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


CURRENCY = {"type": "string", "enum": ["USD", "EUR", "JPY"]}
WEATHER_TOOL = function_tool(
    "get_weather", "Current weather of a city", {"city": {"type": "string"}}, ["city"]
)
CONVERT_TOOL = function_tool(
    "convert_currency",
    "Convert an amount of money from one currency to another",
    {"amount": {"type": "number"}, "source": CURRENCY, "target": CURRENCY},
    ["amount", "source", "target"],
)
CALCULATE_TOOL = function_tool(
    "calculate",
    "Evaluate an arithmetic expression exactly",
    {"expression": {"type": "string", "description": 'Numbers with + - * /, e.g. "2 * 3"'}},
    ["expression"],
)
TOOLS = [TODO_TOOL, WEATHER_TOOL, CONVERT_TOOL, CALCULATE_TOOL]


def first_call(task: str, tools: list[Any] = TOOLS) -> tuple[str, Any]:
    reply = offline_reply(request({"role": "user", "content": task}, tools=tools))
    assert isinstance(reply, ToolCallsReply)
    (only,) = reply.calls
    return only.name, json.loads(only.arguments)


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            "Convert 100 EUR to JPY",
            ("convert_currency", {"amount": 100, "source": "EUR", "target": "JPY"}),
        ),
        ("What is 17 * 23?", ("calculate", {"expression": "17 * 23"})),
        ("what is (2 + 3) times 4.5", ("calculate", {"expression": "(2 + 3) * 4.5"})),
        ('What is the weather in "Paris"?', ("get_weather", {"city": "Paris"})),
        (
            "convert 2.5 jpy into usd",
            ("convert_currency", {"amount": 2.5, "source": "JPY", "target": "USD"}),
        ),
    ],
)
def test_picks_the_matching_tool_and_reads_arguments_from_the_task(
    task: str, expected: tuple[str, Any]
) -> None:
    assert first_call(task) == expected


def test_tool_order_does_not_change_the_choice_but_breaks_ties() -> None:
    for tools in (TOOLS, list(reversed(TOOLS))):
        assert first_call("Convert 100 EUR to JPY", tools)[0] == "convert_currency"
    # nothing in the task matches any tool: the first offered one, every time
    assert first_call("hello", TOOLS)[0] == "get_weather"
    assert first_call("hello", [TODO_TOOL, CALCULATE_TOOL, WEATHER_TOOL])[0] == "calculate"


def test_without_values_in_the_task_it_falls_back_to_the_schema() -> None:
    name, arguments = first_call("Please convert some money", [CONVERT_TOOL])
    assert name == "convert_currency"
    assert arguments == {"amount": 1, "source": "USD", "target": "USD"}
    assert first_call("no arithmetic here", [CALCULATE_TOOL])[1] == {
        "expression": "no arithmetic here"
    }


def test_numbers_respect_the_schema_bounds_and_integer_type() -> None:
    tool = function_tool(
        "pick",
        "Pick things",
        {"count": {"type": "integer", "minimum": 2, "maximum": 9}, "ratio": {"type": "number"}},
        ["count", "ratio"],
    )
    # 0.5 is not an integer and 12 is out of range: count takes 3; ratio takes the next number
    assert first_call("pick 0.5 then 12 then 3 and 7", [tool])[1] == {"count": 3, "ratio": 7}


def test_optional_parameters_only_when_the_task_names_their_value() -> None:
    tool = function_tool(
        "search",
        "Search",
        {"query": {"type": "string"}, "mode": {"type": "string", "enum": ["fast", "deep"]}},
        ["query"],
    )
    assert first_call("search for cats", [tool])[1] == {"query": "search for cats"}
    assert first_call("a deep search for cats", [tool])[1] == {
        "query": "a deep search for cats",
        "mode": "deep",
    }


def test_the_same_request_gets_the_same_reply() -> None:
    replies = {json.dumps(first_call(task)) for task in ["Convert 100 EUR to JPY"] * 3}
    assert len(replies) == 1


@pytest.mark.parametrize(
    "task",
    [" " * 200_000 + "what?", "(" * 5_000 + "1 + 1" + ")" * 5_000, "1 " * 100_000, "+-" * 50_000],
    ids=["spaces", "nested", "numbers", "operators"],
)
def test_a_hostile_task_is_read_quickly_and_still_answered(task: str) -> None:
    started = time.monotonic()
    name, arguments = first_call(task)
    assert time.monotonic() - started < 5.0  # generous: a busy CI box; unbounded was minutes
    assert name in {"get_weather", "convert_currency", "calculate"}
    assert isinstance(arguments, dict)


def test_a_requested_output_schema_is_answered_with_a_valid_object() -> None:
    from pydantic import BaseModel

    from dagent_gen.output_schema import response_format, strict_schema

    class Item(BaseModel):
        name: str

    class Report(BaseModel):
        title: str
        rating: int
        items: list[Item]
        note: str | None = None

    schema, _ = strict_schema(Report.model_json_schema())
    request: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "user", "content": "Rate 4 teas"}],
        "tools": [SEARCH_TOOL],
        "tool_choice": "none",
        "response_format": response_format("Report", schema, True),
    }
    reply = offline_reply(request)
    assert isinstance(reply, TextReply)
    report = Report.model_validate_json(reply.content)
    assert report.rating == 4 and report.items[0].name
    request["tool_choice"] = "auto"  # a plain loop: first a tool call, then the object
    assert isinstance(offline_reply(request), ToolCallsReply)
    request["messages"] += [
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "search", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c", "content": "found"},
    ]
    answer = offline_reply(request)
    assert isinstance(answer, TextReply)
    Report.model_validate_json(answer.content)
