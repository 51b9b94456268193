"""examples/02_planner_subagents (a ``dagent.py`` definition): sub-agents as child workflows."""

from __future__ import annotations

import asyncio
import threading
import time
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
    EventLog,
    Project,
    StartWorker,
    answered_calls,
    connect,
    copy_example,
    fetch_history,
    history_has,
    unique,
    until,
)

pytestmark = pytest.mark.e2e

PLANNER = "You plan work as a todo list"  # substrings of the agents' system prompts
CALCULATOR = "You convert units precisely"
FACT_CHECKER = "You check facts"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("planner") / "project"
    project = copy_example("02_planner_subagents", root, "planner_agents")
    assert (root / "dagent.py").is_file() and not (root / "dagent.toml").exists()
    return project


def test_planner_delegates_to_calculator_and_fact_checker(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("write_todos", {"todos": ["Convert 5 km to miles", "Check two facts"]}),
            agent=PLANNER,
        ),
        # todo 1: the calculator sub-agent and a local tool, side by side
        tool_calls(
            call("calculator", {"task": "Convert 5 km to miles."}),
            call("word_count", {"text": "to be or not to be", "unique": True}),
            agent=PLANNER,
        ),
        tool_calls(
            call("convert_units", {"quantity": {"value": 5, "unit": "km"}, "to": "mi"}),
            agent=CALCULATOR,
        ),
        text("5 km is 3.107 miles.", agent=CALCULATOR),
        text("Converted.", agent=PLANNER),
        # todo 2: the fact checker, which asks about a topic the table does not know
        tool_calls(
            call("fact_checker", {"task": "Check the speeds of sound and light."}),
            agent=PLANNER,
        ),
        tool_calls(
            call("lookup_fact", {"topic": "speed of sound"}),
            call("lookup_fact", {"topic": "Speed of Light"}),
            agent=FACT_CHECKER,
        ),
        text("Light: 299,792,458 m/s. Sound: not in the table.", agent=FACT_CHECKER),
        text("Checked.", agent=PLANNER),
        text("FINAL: 5 km is 3.107 miles; light travels 299,792,458 m/s.", agent=PLANNER),
    )
    worker = start_worker(project)
    workflow_id = unique("planner")

    async def run() -> tuple[dict[str, Any], EventLog, EventLog, EventLog]:
        client = await connect(temporal_server)
        output = await client.execute_workflow(
            "planner",
            {"task": "How far is 5 km in miles, and how fast are sound and light?"},
            id=workflow_id,
            task_queue=worker.task_queue,
            result_type=dict,
        )
        return (
            output,
            await fetch_history(client, workflow_id),
            await fetch_history(client, f"{workflow_id}/calculator-1"),
            await fetch_history(client, f"{workflow_id}/fact_checker-2"),
        )

    output, planner, calculator, fact_checker = asyncio.run(run())
    assert output["answer"] == "FINAL: 5 km is 3.107 miles; light travels 299,792,458 m/s."
    assert output["stop_reason"] == "done"
    assert [todo["status"] for todo in output["todos"]] == ["completed", "completed"]
    assert model_server.violations == []
    assert model_server.remaining == []

    # what each agent saw
    requests = model_server.requests
    planner_last = requests[-1]
    assert PLANNER in planner_last["messages"][0]["content"]
    seen = {name: observation for name, _, observation in answered_calls(planner_last)}
    assert seen["calculator"] == "5 km is 3.107 miles."
    assert seen["fact_checker"] == "Light: 299,792,458 m/s. Sound: not in the table."
    assert seen["word_count"] == "4"
    offered = {tool["function"]["name"] for tool in planner_last["tools"]}
    assert offered == {"write_todos", "word_count", "calculator", "fact_checker"}

    calculator_last = [r for r in requests if CALCULATOR in r["messages"][0]["content"]][-1]
    assert calculator_last["messages"][1] == {"role": "user", "content": "Convert 5 km to miles."}
    # convert_units reads quantity.value and quantity.unit: it got the Quantity dataclass
    assert [obs for _, _, obs in answered_calls(calculator_last)] == ["5 km = 3.107 mi"]

    checker_last = [r for r in requests if FACT_CHECKER in r["messages"][0]["content"]][-1]
    unknown, known = (obs for _, _, obs in answered_calls(checker_last))
    assert unknown.startswith("Error: tool 'lookup_fact' failed: KeyError")
    assert "no fact about 'speed of sound'" in unknown
    assert known == "299,792,458 metres per second"

    # what the histories say
    for history in (planner, calculator, fact_checker):
        history.assert_healthy()
    assert planner.children() == [
        ("calculator", f"{workflow_id}/calculator-1"),
        ("fact_checker", f"{workflow_id}/fact_checker-2"),
    ]
    assert planner.count("CHILD_WORKFLOW_EXECUTION_COMPLETED") == 2
    assert "word_count" in planner.scheduled_activities()
    assert calculator.scheduled_activities() == ["call_model", "convert_units", "call_model"]
    assert calculator.activity_inputs("convert_units") == [
        {"quantity": {"value": 5, "unit": "km"}, "to": "mi"}
    ]
    assert sorted(fact_checker.scheduled_activities()) == [
        "call_model",
        "call_model",
        "lookup_fact",
        "lookup_fact",
    ]
    # the KeyError is an ordinary failure: retried (default retries = 3), then an observation
    assert fact_checker.failed_activities() == [("lookup_fact", "KeyError", False)]
    assert sorted(fact_checker.started_attempts("lookup_fact")) == [1, 4]
    for history in (planner, calculator, fact_checker):
        assert worker.api_key.encode() not in history.binary()


def test_cancelling_the_parent_stops_the_sub_agent_and_the_parent(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    """A cancel sent to the parent while a sub-agent runs reaches the child (a child workflow
    is cancelled with its parent); both report what they did and nobody calls the model again."""
    cancelled = threading.Event()

    def calculator_after_cancel(request: dict[str, Any]) -> Reply:
        cancelled.wait(timeout=60)  # answers only once the parent's cancel is recorded
        return tool_calls(
            call("convert_units", {"quantity": {"value": 1, "unit": "km"}, "to": "mi"})
        )

    model_server.add(
        tool_calls(call("write_todos", {"todos": ["Convert 1 km to miles"]}), agent=PLANNER),
        tool_calls(call("calculator", {"task": "Convert 1 km to miles."}), agent=PLANNER),
        respond(calculator_after_cancel, agent=CALCULATOR),
    )
    worker = start_worker(project)
    workflow_id = unique("planner")
    child_id = f"{workflow_id}/calculator-1"

    async def run() -> tuple[dict[str, Any], dict[str, Any], EventLog, EventLog]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "planner", {"task": "How far is 1 km in miles?"}, id=workflow_id,
            task_queue=worker.task_queue,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        await until(  # the calculator's model call is waiting
            lambda: model_server.request_count >= 3, "the sub-agent's model call",
            deadline=deadline,
        )  # fmt: skip
        await handle.cancel()
        # the cancel reaches the child when the parent's next workflow task runs
        await until(
            lambda: history_has(client, child_id, "WORKFLOW_EXECUTION_CANCEL_REQUESTED"),
            "the sub-agent's cancel request", deadline=deadline,
        )  # fmt: skip
        cancelled.set()
        child = client.get_workflow_handle(child_id)
        output = await asyncio.wait_for(handle.result(), timeout=60)
        child_output = await asyncio.wait_for(child.result(), timeout=60)
        return (
            output, child_output,
            await fetch_history(client, workflow_id), await fetch_history(client, child_id),
        )  # fmt: skip

    try:
        output, child_output, planner, calculator = asyncio.run(run())
    finally:
        cancelled.set()

    assert output["stop_reason"] == "cancelled"
    assert child_output["stop_reason"] == "cancelled"
    assert model_server.request_count == 3  # nobody asked the model again
    assert model_server.violations == []
    for history in (planner, calculator):
        history.assert_healthy()
    # the child's reply asked for convert_units; it was not run
    assert calculator.scheduled_activities() == ["call_model"]
    assert planner.scheduled_activities() == ["call_model", "call_model"]
    assert planner.count("CHILD_WORKFLOW_EXECUTION_COMPLETED") == 1
