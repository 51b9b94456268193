"""Tool arguments arrive as the Python types of the tool's signature, in sync and async tools."""

from __future__ import annotations

import json

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import (
    Project,
    StartWorker,
    answered_calls,
    run_agent,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "typed_agent"

[agents.typed]
system_prompt = "You exercise typed tools."
planning = false
tools = ["inspect_args", "sync_where", "async_where"]

[tools.inspect_args]
function = "typed_tools:inspect_args"

[tools.sync_where]
function = "typed_tools:sync_where"

[tools.async_where]
function = "typed_tools:async_where"
"""

TOOLS = '''
"""Tools that report what they received."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from enum import Enum
from typing import Literal

from pydantic import BaseModel


class Color(Enum):
    RED = "red"
    GREEN = "green"


class Point(BaseModel):
    x: int
    y: int


class Place(BaseModel):
    name: str
    point: Point


@dataclasses.dataclass
class Size:
    width: float
    height: float = 1.0


def _kind(value: object) -> str:
    return type(value).__name__


def inspect_args(
    color: Color,
    mode: Literal["fast", "slow"],
    place: Place,
    size: Size,
    ids: list[int],
    note: str | None = None,
    shade: Color = Color.GREEN,
    scale: float = 1.5,
) -> str:
    """Report the Python types and values of the arguments.

    Args:
        color: A color.
        mode: How to go.
        place: A named point.
        size: A size.
        ids: Some numbers.
        note: An optional note.
        shade: A second color.
        scale: A factor.
    """
    return json.dumps(
        {
            "color": [_kind(color), color is Color.RED or color is Color.GREEN, color.name],
            "mode": [_kind(mode), mode],
            "place": [_kind(place), _kind(place.point), place.name, place.point.x + place.point.y],
            "size": [_kind(size), dataclasses.is_dataclass(size), size.width * size.height],
            "ids": [_kind(ids), [_kind(i) for i in ids], sum(ids)],
            "note": [_kind(note), note],
            "shade": [_kind(shade), shade.name],
            "scale": [_kind(scale), scale],
        }
    )


def sync_where(label: str) -> str:
    """Name the thread this tool runs on.

    Args:
        label: Echoed back.
    """
    return f"{label}: {threading.current_thread().name}"


async def async_where(label: str) -> str:
    """Name the thread this tool runs on, from a coroutine.

    Args:
        label: Echoed back.
    """
    await asyncio.sleep(0)
    return f"{label}: {threading.current_thread().name}"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("typed") / "project"
    return write_project(root, "typed_agent", DEFINITION, {"typed_tools": TOOLS})


def test_arguments_arrive_typed_in_sync_and_async_tools(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    minimal = {
        "color": "red",
        "mode": "fast",
        "place": {"name": "home", "point": {"x": 1, "y": 2}},
        "size": {"width": 2.0},
        "ids": [1, 2, 3],
    }
    full = {
        "color": "green",
        "mode": "slow",
        "place": {"name": "work", "point": {"x": 10, "y": 20}},
        "size": {"width": 2.0, "height": 3.0},
        "ids": [4, 5],
        "note": "hello",
        "shade": "red",
        "scale": 2,
    }
    model_server.add(
        tool_calls(
            call("inspect_args", minimal),
            call("inspect_args", full),
            call("sync_where", {"label": "sync"}),
            call("async_where", {"label": "async"}),
        ),
        text("All four tools answered."),
    )
    worker = start_worker(project)
    workflow_id = unique("typed")

    output, history = run_agent(
        temporal_server,
        "typed",
        "Call every tool.",
        task_queue=worker.task_queue,
        workflow_id=workflow_id,
    )
    assert output["answer"] == "All four tools answered."
    assert output["stop_reason"] == "done"
    assert model_server.violations == []

    requests = model_server.requests
    assert len(requests) == 2
    answered = answered_calls(requests[1])
    assert [name for name, _, _ in answered] == [
        "inspect_args",
        "inspect_args",
        "sync_where",
        "async_where",
    ]
    got_minimal = json.loads(answered[0][2])
    assert got_minimal == {
        "color": ["Color", True, "RED"],  # the enum member, not the string "red"
        "mode": ["str", "fast"],
        "place": ["Place", "Point", "home", 3],  # the nested model, built all the way down
        "size": ["Size", True, 2.0],  # the dataclass instance, its default applied
        "ids": ["list", ["int", "int", "int"], 6],
        "note": ["NoneType", None],  # defaults of omitted parameters
        "shade": ["Color", "GREEN"],
        "scale": ["float", 1.5],
    }
    got_full = json.loads(answered[1][2])
    assert got_full == {
        "color": ["Color", True, "GREEN"],
        "mode": ["str", "slow"],
        "place": ["Place", "Point", "work", 30],
        "size": ["Size", True, 6.0],
        "ids": ["list", ["int", "int"], 9],
        "note": ["str", "hello"],
        "shade": ["Color", "RED"],
        "scale": ["float", 2.0],  # an int where a float is expected is converted
    }
    sync_answer, async_answer = answered[2][2], answered[3][2]
    assert sync_answer.startswith("sync: ")
    assert sync_answer != "sync: MainThread"  # a plain function runs in the worker's thread pool
    assert async_answer == "async: MainThread"  # a coroutine runs on the worker's event loop

    history.assert_healthy()
    assert history.count("ACTIVITY_TASK_FAILED") == 0
    assert sorted(history.scheduled_activities()) == [
        "async_where",
        "call_model",
        "call_model",
        "inspect_args",
        "inspect_args",
        "sync_where",
    ]
    # the activity input is the model's JSON object, as the model wrote it
    assert history.activity_inputs("inspect_args") == [minimal, full]
