"""A worker crash in the middle of a model call: another worker finishes the run.

The killed worker's ``call_model`` attempt is retried after the 30 s heartbeat timeout of the
generated code, so this test takes about half a minute; it is the only one that waits for it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from temporalio.api.enums.v1 import TimeoutType

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
    fetch_history,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "durable_agent"

[agents.survivor]
system_prompt = "You survive crashes."
planning = false
tools = ["measure"]

[tools.measure]
function = "durable_tools:measure"
"""

TOOLS = '''
def measure(what: str) -> str:
    """Measure something.

    Args:
        what: The thing to measure.
    """
    return f"{what} measures 42"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("durable") / "project"
    return write_project(root, "durable_agent", DEFINITION, {"durable_tools": TOOLS})


def test_run_survives_worker_crash_during_model_call(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    arrived = threading.Event()
    release = threading.Event()

    def stall(request: dict[str, Any]) -> Reply:
        """The second model call hangs until the test has killed the worker that made it."""
        arrived.set()
        release.wait(timeout=120)
        return text("An answer nobody receives: its worker is gone.")

    model_server.add(
        tool_calls(call("measure", {"what": "the universe"})),
        respond(stall),
        text("The universe measures 42."),
    )
    first = start_worker(project)
    workflow_id = unique("survivor")
    timings: dict[str, float] = {}

    async def scenario() -> tuple[dict[str, Any], EventLog]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "survivor",
            {"task": "Measure the universe."},
            id=workflow_id,
            task_queue=first.task_queue,
            result_type=dict,
        )
        try:
            assert await asyncio.to_thread(arrived.wait, 60), "the second model call never came"
            first.kill()  # SIGKILL mid-activity: no graceful shutdown, no heartbeat any more
            killed = time.monotonic()
            await asyncio.to_thread(start_worker, project, first.task_queue)
        finally:
            release.set()  # the stalled reply goes to a dead connection
        output = await asyncio.wait_for(handle.result(), timeout=120)
        timings["kill to result"] = time.monotonic() - killed
        return output, await fetch_history(client, workflow_id)

    output, history = asyncio.run(scenario())
    print(f"\nworker crash: {timings['kill to result']:.1f} s from SIGKILL to the result")
    assert output["answer"] == "The universe measures 42."
    assert output["stop_reason"] == "done"
    assert output["steps"] == 2  # the crashed attempt is the same step, retried
    assert model_server.violations == []
    assert model_server.remaining == []

    requests = model_server.requests
    assert len(requests) == 3
    # the new worker had no cached conversation: it read it from the workflow and sent the same
    assert requests[2]["messages"] == requests[1]["messages"]
    assert [obs for _, _, obs in answered_calls(requests[2])] == ["the universe measures 42"]

    history.assert_healthy()  # timeouts, yes; failed workflow tasks, no
    assert history.scheduled_activities() == ["call_model", "measure", "call_model"]
    assert history.started_attempts("measure") == [1]  # the tool did not run again
    assert history.started_attempts("call_model") == [1, 2]
    retried = history.of("ACTIVITY_TASK_STARTED")[-1].activity_task_started_event_attributes
    timeout = retried.last_failure.timeout_failure_info.timeout_type
    assert timeout == TimeoutType.TIMEOUT_TYPE_HEARTBEAT
    assert history.count("ACTIVITY_TASK_FAILED") == 0
    assert history.count("ACTIVITY_TASK_TIMED_OUT") == 0  # retried, not given up
