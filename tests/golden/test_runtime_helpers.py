"""Unit tests of the generated runtime helpers, imported from a golden package.

The helpers (paging the conversation, parsing tool arguments and plans, validating arguments,
observation text) run inside users' workers, so they are tested as the code users get.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from types import ModuleType

import pydantic
import pytest
from temporalio.exceptions import ApplicationError

from dagent_gen.generated_package import imported_package
from tests.golden.regenerate import HERE

PACKAGE = "minimal_agent"


@pytest.fixture(scope="module")
def generated() -> Iterator[dict[str, ModuleType]]:
    with imported_package(HERE / "expected" / "minimal", PACKAGE) as package:
        yield {name: package.module(name) for name in ("messages", "loop_support", "tool_support")}


def test_message_pages_are_cut_by_size(generated: dict[str, ModuleType]) -> None:
    messages = generated["messages"]
    conversation = [messages.ChatMessage(role="user", content="x" * 400) for _ in range(10)]
    window = messages.MessageWindow(start=2, end=9, max_chars=1000)
    assert len(window.page(conversation)) == 2  # 800 chars; a third would pass 1000
    huge = [messages.ChatMessage(role="tool", content="y" * 5000), *conversation]
    assert len(messages.MessageWindow(start=0, end=5, max_chars=1000).page(huge)) == 1
    assert messages.MessageWindow(start=3, end=6).page(conversation) == conversation[3:6]


def test_tool_arguments_are_parsed_or_explained(generated: dict[str, ModuleType]) -> None:
    parse = generated["loop_support"].parse_arguments
    call = generated["messages"].ToolCall
    assert parse(call(id="1", name="t", arguments='{"a": 1}')) == {"a": 1}
    assert parse(call(id="1", name="t", arguments="")) == {}
    assert parse(call(id="1", name="t", arguments="{bad")).startswith(
        "Error: the arguments of 't' are not valid JSON"
    )
    assert "must be a JSON object" in parse(call(id="1", name="t", arguments="[1]"))


def test_plans_are_parsed_or_explained(generated: dict[str, ModuleType]) -> None:
    parse = generated["loop_support"].parse_todos
    todos = parse({"todos": ["a", {"content": "b", "status": "completed"}]})
    assert [(t.content, t.status) for t in todos] == [("a", "pending"), ("b", "completed")]
    for bad in ({}, {"todos": []}, {"todos": [{"content": "x", "status": "done"}]}, {"todos": [3]}):
        assert parse(bad).startswith("Error: call write_todos")


class Colour(Enum):
    RED = "red"


class Box(pydantic.BaseModel):
    size: int


@dataclass
class Point:
    x: int


def tool(colour: Colour, box: Box, point: Point, count: int = 2) -> str:
    return f"{colour!r} {box!r} {point!r} {count}"


def test_arguments_are_validated_against_the_signature(generated: dict[str, ModuleType]) -> None:
    support = generated["tool_support"]
    adapter = support.arguments_adapter(tool)
    values = support.validate_arguments(
        "tool", adapter, {"colour": "red", "box": {"size": 3}, "point": {"x": 1}}
    )
    assert values == {"colour": Colour.RED, "box": Box(size=3), "point": Point(x=1)}
    with pytest.raises(ApplicationError) as raised:
        support.validate_arguments("tool", adapter, {"colour": "blue", "box": {}, "extra": 1})
    assert raised.value.non_retryable and raised.value.type == "InvalidArguments"
    for problem in ("colour:", "box.size: Field required", "point: Field required", "extra:"):
        assert problem in raised.value.message


def test_observations_are_text_and_capped(generated: dict[str, ModuleType]) -> None:
    observe = generated["tool_support"].to_observation
    assert observe("plain") == "plain"
    assert observe(None) == "(no output)"
    assert observe([Box(size=1), Point(x=2), Colour.RED]) == '[{"size":1},{"x":2},"red"]'
    cut = observe("z" * 150, 100)
    assert cut.startswith("z" * 100) and cut.endswith("[output truncated: 50 more characters]")
