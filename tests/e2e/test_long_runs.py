"""Long runs continue as new, every run's history stays small; cancellation stops a run.

``DAGENT_E2E_LONG_RUN_STEPS`` (default 2,000) sets the model calls of the long run, for a
quicker local check; CI runs the default.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

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
    connect,
    decode,
    fetch_history,
    history_has,
    unique,
    until,
    write_project,
)

pytestmark = pytest.mark.e2e

STEPS = int(os.environ.get("DAGENT_E2E_LONG_RUN_STEPS", "2000"))
MAX_EVENTS_PER_RUN = 10_000
MAX_BYTES_PER_RUN = 5_000_000

DEFINITION = """
[project]
package = "marathon_agent"

[agents.marathon]
system_prompt = "You ping until you have pinged enough."
planning = false
max_steps = 2100
tools = ["ping"]

[agents.sleeper]
system_prompt = "You think for a very long time."
planning = false
tools = ["ping"]

[agents.planner]
system_prompt = "You plan, then ping."
max_steps = 200
max_history_events = 1000
tools = ["ping"]

[tools.ping]
function = "marathon_tools:ping"
"""

TOOLS = '''
def ping(i: int) -> str:
    """Ping once.

    Args:
        i: The ping number.
    """
    return "pong"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("marathon") / "project"
    return write_project(root, "marathon_agent", DEFINITION, {"marathon_tools": TOOLS})


def pinger(request: dict[str, Any]) -> Reply:
    """Calls ``ping`` until STEPS - 1 tool results are in the conversation, then answers."""
    pings = sum(1 for message in request["messages"] if message["role"] == "tool")
    if pings >= STEPS - 1:
        return text(f"Pinged {pings} times.")
    return tool_calls(call("ping", {"i": pings + 1}))


async def run_chain(client: Client, workflow_id: str, first_run_id: str) -> list[EventLog]:
    """Every run of the workflow, first to last, following its continued-as-new links."""
    runs: list[EventLog] = []
    run_id: str | None = first_run_id
    while run_id is not None:
        log = await fetch_history(client, workflow_id, run_id)
        runs.append(log)
        last = log.events[-1]
        continued = last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        attributes = last.workflow_execution_continued_as_new_event_attributes
        run_id = attributes.new_execution_run_id if continued else None
    return runs


def test_a_long_run_continues_as_new_and_keeps_every_run_small(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.keep_requests = False  # thousands of ever longer conversations
    model_server.add(*[respond(pinger)] * STEPS)
    worker = start_worker(project)
    workflow_id = unique("marathon")

    async def scenario() -> tuple[dict[str, Any], list[EventLog]]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "marathon", {"task": "Ping."}, id=workflow_id, task_queue=worker.task_queue
        )
        output = await handle.result()
        assert handle.first_execution_run_id is not None
        return output, await run_chain(client, workflow_id, handle.first_execution_run_id)

    started = time.monotonic()
    output, runs = asyncio.run(scenario())
    print(f"\n{STEPS} steps in {len(runs)} runs took {time.monotonic() - started:.0f}s")

    assert output["stop_reason"] == "done"
    assert output["steps"] == STEPS  # counted across every run
    assert output["answer"] == f"Pinged {STEPS - 1} times."
    assert model_server.violations == []
    assert model_server.request_count == STEPS
    if STEPS >= 1000:
        assert len(runs) >= 2
    for number, log in enumerate(runs, 1):
        events = log.events
        assert len(events) < MAX_EVENTS_PER_RUN, (number, len(events))
        assert len(log.binary()) < MAX_BYTES_PER_RUN, (number, len(log.binary()))
        log.assert_healthy()
        if number > 1:
            # the continued run's first request names only the messages since the old run's
            # last request: the rest is in the worker's cache under the same workflow id
            first_request = log.activity_inputs("call_model")[0]
            assert first_request["prefix_digest"] and len(first_request["new"]) <= 2
            # the conversation it carries travels compressed (messages.pack_messages)
            first_event = log.of("WORKFLOW_EXECUTION_STARTED")[0]
            state = decode(
                first_event.workflow_execution_started_event_attributes.input.payloads[0]
            )
            assert state["state"]["messages"] == [] and state["state"]["packed_messages"]
    assert sum(len(log.scheduled_activities()) for log in runs) == 2 * STEPS - 1
    assert runs[-1].events[-1].event_type == (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)


@pytest.mark.parametrize(
    "model_answers",
    [
        pytest.param(False, id="model-call-stops"),
        # Most model calls end before their first heartbeat: the activity never hears of the
        # cancellation and completes. The run must stop all the same.
        pytest.param(True, id="model-call-completes"),
    ],
)
def test_cancelling_a_run_stops_it_and_reports_progress(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
    model_answers: bool,
) -> None:
    release = threading.Event()

    def second_call(request: dict[str, Any]) -> Reply:
        release.wait(timeout=120)  # a model that takes its time; released as the test says
        return tool_calls(call("ping", {"i": 2}))

    model_server.add(tool_calls(call("ping", {"i": 1})), respond(second_call), text("Done."))
    worker = start_worker(project)
    workflow_id = unique("sleeper")

    async def scenario() -> tuple[dict[str, Any], EventLog, Any]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "sleeper", {"task": "Think."}, id=workflow_id, task_queue=worker.task_queue
        )
        deadline = time.monotonic() + 60
        await until(
            lambda: model_server.request_count >= 2, "the second model call", deadline=deadline
        )
        await handle.cancel()
        if model_answers:
            # the reply comes back once the workflow has asked the activity to stop (before
            # that, the completion could overtake the request: then there is nothing to ask)
            await until(
                lambda: history_has(client, workflow_id, "ACTIVITY_TASK_CANCEL_REQUESTED"),
                "the model call's cancel request", deadline=deadline,
            )  # fmt: skip
            release.set()
        output = await asyncio.wait_for(handle.result(), timeout=90)
        description = await handle.describe()
        return output, await fetch_history(client, workflow_id), description.status

    try:
        output, history, status = asyncio.run(scenario())
    finally:
        release.set()

    assert output["stop_reason"] == "cancelled"
    assert output["steps"] == 2  # the tool-calling step and the cancelled one
    # returning a result after cancellation completes the workflow (it is not CANCELED)
    assert status == WorkflowExecutionStatus.COMPLETED
    # the second reply's tool call is not run, and the model is not asked again
    assert history.scheduled_activities() == ["call_model", "ping", "call_model"]
    assert model_server.request_count == 2
    assert history.count("WORKFLOW_EXECUTION_CANCEL_REQUESTED") == 1
    assert history.count("ACTIVITY_TASK_CANCEL_REQUESTED") == 1
    if model_answers:
        assert history.count("ACTIVITY_TASK_COMPLETED") == 3
        assert history.count("ACTIVITY_TASK_CANCELED") == 0
    else:  # the model activity itself stopped (it learned of the cancellation at its heartbeat)
        assert history.count("ACTIVITY_TASK_CANCELED") == 1


FORCE_TODOS = {"type": "function", "function": {"name": "write_todos"}}
PLANNED_PINGS = 120


def planner(request: dict[str, Any]) -> Reply:
    """Plans two todos; pings PLANNED_PINGS times for the first, answers the second at once."""
    if request.get("tool_choice") == FORCE_TODOS:
        return tool_calls(call("write_todos", {"todos": ["long part", "short part"]}))
    if request.get("tool_choice") == "none":
        return text("All parts done.")
    pongs = sum(1 for message in request["messages"] if message["content"] == "pong")
    prompts = [m["content"] for m in request["messages"] if m["role"] == "user"]
    if "long part" in prompts[-1] and pongs < PLANNED_PINGS:
        return tool_calls(call("ping", {"i": pongs + 1}))
    return text("This part is done.")


def test_a_planning_agent_resumes_its_todo_after_continuing_as_new(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    steps = 1 + PLANNED_PINGS + 1 + 1 + 1  # plan, pings, end of each todo, answer
    model_server.add(*[respond(planner)] * steps)
    worker = start_worker(project)
    workflow_id = unique("planner")

    async def scenario() -> tuple[dict[str, Any], list[EventLog]]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "planner", {"task": "Ping a lot."}, id=workflow_id, task_queue=worker.task_queue
        )
        output = await handle.result()
        assert handle.first_execution_run_id is not None
        return output, await run_chain(client, workflow_id, handle.first_execution_run_id)

    output, runs = asyncio.run(scenario())

    assert output["stop_reason"] == "done"
    assert output["steps"] == steps
    assert output["answer"] == "All parts done."
    assert [todo["status"] for todo in output["todos"]] == ["completed", "completed"]
    assert len(runs) >= 2  # max_history_events = 1000: continued at least once
    assert model_server.violations == []
    assert model_server.remaining == []
    final = model_server.requests[-1]["messages"]
    user_prompts = [m["content"] for m in final if m["role"] == "user"]
    # the resumed run went on with the first todo: its prompt was not said again
    assert sum("long part" in prompt for prompt in user_prompts) == 1
    assert sum("short part" in prompt for prompt in user_prompts) == 1
    assert sum(m["content"] == "pong" for m in final) == PLANNED_PINGS
    for log in runs:
        log.assert_healthy()
        assert len(log.events) < 1_300  # 1000 + one step's events at most
