"""Progress on the real server: the ``progress`` query and the Web UI's current details, mid-run.

A tool waits for a gate file the test creates, so the run is held in a known state (step 2,
todo 1 of 2, one tool call running) while the test reads it. The current details are read
the way the Web UI reads them: the SDK's built-in ``__temporal_workflow_metadata`` query.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, StartWorker, connect, fetch_history, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "progress_agent"

[agents.worker_bee]
system_prompt = "You report progress."
tools = ["wait_for"]

[tools.wait_for]
function = "progress_tools:wait_for"
timeout = "90s"
"""

TOOLS = '''
import time
from pathlib import Path


def wait_for(gate: str) -> str:
    """Wait until the test opens a gate.

    Args:
        gate: The gate's name.
    """
    deadline = time.monotonic() + 60
    while not Path(f"gate-{gate}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return f"gate {gate} open"
'''

# the event types a run of this agent may have: set_current_details must add none
EXPECTED_EVENTS = {
    "WORKFLOW_EXECUTION_STARTED",
    "WORKFLOW_EXECUTION_COMPLETED",
    "WORKFLOW_TASK_SCHEDULED",
    "WORKFLOW_TASK_STARTED",
    "WORKFLOW_TASK_COMPLETED",
    "ACTIVITY_TASK_SCHEDULED",
    "ACTIVITY_TASK_STARTED",
    "ACTIVITY_TASK_COMPLETED",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("progress") / "project"
    return write_project(root, "progress_agent", DEFINITION, {"progress_tools": TOOLS})


async def poll_progress(handle: WorkflowHandle[Any, Any], status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        progress: dict[str, Any] = await handle.query("progress", result_type=dict)
        if progress["status"] == status or time.monotonic() > deadline:
            return progress
        await asyncio.sleep(0.1)


async def current_details(handle: WorkflowHandle[Any, Any]) -> str:
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(metadata.current_details)


def test_progress_and_current_details_mid_run(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("write_todos", {"todos": [{"content": "Fetch the data"}, "Summarise it"]})),
        tool_calls(call("wait_for", {"gate": "one"})),
        text("Fetched."),
        text("Summarised."),
        text("All done."),
    )
    worker = start_worker(project)
    workflow_id = unique("bee")
    gate = Path(project.root) / "gate-one"

    async def scenario() -> tuple[dict[str, Any], str, dict[str, Any], str, dict[str, Any]]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "worker_bee",
            {"task": "Do it."},
            id=workflow_id,
            task_queue=worker.task_queue,
            result_type=dict,
        )
        mid = await poll_progress(handle, "running_tools")
        mid_details = await current_details(handle)
        gate.touch()
        output: dict[str, Any] = await handle.result()
        end = await handle.query("progress", result_type=dict)
        return mid, mid_details, end, await current_details(handle), output

    try:
        mid, mid_details, end, end_details, output = asyncio.run(scenario())
    finally:
        gate.touch()
    assert model_server.violations == []
    assert output["answer"] == "All done."

    assert mid["status"] == "running_tools", mid
    assert mid["steps"] == 2  # the plan, then the first step of todo 1
    assert (mid["todo"], mid["todo_number"], mid["todo_count"]) == ("Fetch the data", 1, 2)
    assert mid["tools"] == ['wait_for(gate="one")']
    assert mid["usage"]["total_tokens"] > 0
    assert mid["stop_reason"] == "done"
    assert mid_details.startswith("**running tools** · step 2 · ")
    assert "todo 1/2: Fetch the data" in mid_details
    assert '- `wait_for(gate="one")`' in mid_details

    assert end["status"] == "finished"
    assert end["steps"] == 5 and end["tools"] == [] and end["todo_number"] == 0
    assert end["usage"] == output["usage"]
    assert end_details.startswith("**finished (done)** · step 5 · ")

    history = asyncio.run(_history(temporal_server, workflow_id))
    history.assert_healthy()
    kinds = {
        EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events
    }
    assert kinds == EXPECTED_EVENTS  # the details cost no event (no marker, no properties)
    scheduled = history.of("ACTIVITY_TASK_SCHEDULED")
    assert len(scheduled) == 6  # five model calls and one tool call


async def _history(temporal: TemporalDevServer, workflow_id: str) -> Any:
    client = await connect(temporal)
    return await fetch_history(client, workflow_id)
