"""``max_steps`` bounds the model calls of a run, the final (tool-less) answer included."""

from __future__ import annotations

from typing import Any

import pytest

from dagent_gen.testing import (
    Reply,
    ScriptedModelServer,
    TemporalDevServer,
    call,
    respond,
    text,
    tool_calls,
)

from .support import (
    Project,
    StartWorker,
    run_agent,
    tool_choices,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "budget_agents"

[agents.looper]
system_prompt = "You never stop calling tools."
planning = false
max_steps = 3
tools = ["step"]

[agents.plodder]
system_prompt = "You plan, then never stop calling tools."
max_steps = 3
tools = ["step"]

[tools.step]
function = "budget_tools:step"
"""

TOOLS = '''
def step(n: int) -> str:
    """Take a step.

    Args:
        n: The step number.
    """
    return f"step {n} taken"
'''

FORCE_TODOS = {"type": "function", "function": {"name": "write_todos"}}
BUDGET_PROMPT = "The step budget is used up"


def insatiable(request: dict[str, Any]) -> Reply:
    """A model that always wants another tool call, unless tools are switched off."""
    choice = request.get("tool_choice")
    if choice == "none":
        return text("Out of budget: here is what I have.")
    if choice == FORCE_TODOS:
        return tool_calls(call("write_todos", {"todos": ["first part", "second part"]}))
    steps = sum(1 for message in request["messages"] if message["role"] == "tool")
    return tool_calls(call("step", {"n": steps + 1}))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("budget") / "project"
    return write_project(root, "budget_agents", DEFINITION, {"budget_tools": TOOLS})


def test_plain_agent_stops_after_max_steps(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(respond(insatiable), respond(insatiable), respond(insatiable))
    worker = start_worker(project)

    output, history = run_agent(
        temporal_server,
        "looper",
        "Keep going.",
        task_queue=worker.task_queue,
        workflow_id=unique("looper"),
    )
    assert output["stop_reason"] == "max_steps"
    assert output["steps"] == 3
    assert output["answer"] == "Out of budget: here is what I have."
    assert model_server.violations == []
    assert model_server.remaining == []
    assert tool_choices(model_server) == ["auto", "auto", "none"]
    final = model_server.requests[-1]["messages"]
    assert final[-1]["role"] == "user" and BUDGET_PROMPT in final[-1]["content"]

    history.assert_healthy()
    assert history.scheduled_activities() == [
        "call_model",
        "step",
        "call_model",
        "step",
        "call_model",
    ]
    assert [item["tool_choice"] for item in history.activity_inputs("call_model")] == [
        "auto",
        "auto",
        "none",
    ]


def test_planning_agent_stops_after_max_steps(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(respond(insatiable), respond(insatiable), respond(insatiable))
    worker = start_worker(project)

    output, history = run_agent(
        temporal_server,
        "plodder",
        "Keep going.",
        task_queue=worker.task_queue,
        workflow_id=unique("plodder"),
    )
    assert output["stop_reason"] == "max_steps"
    assert output["steps"] == 3
    assert output["answer"] == "Out of budget: here is what I have."
    # the plan was cut short: the first todo was being worked on, the second never started
    assert [todo["status"] for todo in output["todos"]] == ["in_progress", "pending"]
    assert model_server.violations == []
    assert model_server.remaining == []
    assert tool_choices(model_server) == [FORCE_TODOS, "auto", "none"]
    final = model_server.requests[-1]["messages"]
    assert final[-1]["role"] == "user" and BUDGET_PROMPT in final[-1]["content"]

    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model", "call_model", "step", "call_model"]
    assert [item["tool_choice"] for item in history.activity_inputs("call_model")] == [
        "write_todos",
        "auto",
        "none",
    ]
