"""Model API errors: 5xx and 429 are retried by Temporal, a 400 fails the run at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus

from dagent_gen.testing import (
    Reply,
    ScriptedModelServer,
    TemporalDevServer,
    http_error,
    respond,
    text,
)

from .support import (
    EventLog,
    Project,
    StartWorker,
    connect,
    fetch_history,
    run_agent,
    run_client,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "flaky_agent"

[agents.answerer]
system_prompt = "You answer in one line."
planning = false
tools = ["noop"]

[tools.noop]
function = "flaky_tools:noop"
"""

TOOLS = '''
def noop() -> str:
    """Do nothing."""
    return "nothing"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("flaky") / "project"
    return write_project(root, "flaky_agent", DEFINITION, {"flaky_tools": TOOLS})


def test_server_errors_and_rate_limits_are_retried(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    arrivals: list[float] = []

    def timed(reply: Reply) -> Reply:
        def answer(request: dict[str, Any]) -> Reply:
            arrivals.append(time.monotonic())
            return reply

        return respond(answer)

    model_server.add(
        timed(http_error(500, message="upstream hiccup")),
        timed(http_error(429, message="slow down", retry_after_ms=100)),
        timed(text("Recovered after two failures.")),
    )
    worker = start_worker(project)
    workflow_id = unique("flaky")

    output, history = run_agent(
        temporal_server,
        "answerer",
        "Say something.",
        task_queue=worker.task_queue,
        workflow_id=workflow_id,
    )
    assert output["answer"] == "Recovered after two failures."
    assert output["steps"] == 1  # retries are attempts of one step, not more steps
    assert model_server.violations == []
    assert len(model_server.requests) == 3
    assert model_server.requests[0] == model_server.requests[2]  # a retry resends the same
    # after the 500: the retry policy's 1 s initial interval; after the 429: its
    # retry-after-ms (100 ms, which the server's timers round up to about 1 s) instead of
    # the policy's next backoff of 2 s. Compared with the first wait, not with a fixed bound:
    # a busy machine delays both waits alike, while ignoring retry-after adds a second.
    first_wait, second_wait = arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]
    assert first_wait >= 0.9
    assert second_wait < first_wait + 0.7

    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model"]
    assert history.started_attempts("call_model") == [3]
    started = history.of("ACTIVITY_TASK_STARTED")[0].activity_task_started_event_attributes
    assert "HTTP 429" in started.last_failure.message  # the failure the last retry followed
    assert started.last_failure.application_failure_info.type == "ModelAPIError"
    assert history.count("ACTIVITY_TASK_FAILED") == 0  # retries are not failures of the step


def test_rejected_request_fails_the_run_without_retrying(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(http_error(400, message="Unsupported value: 'temperature'"))
    worker = start_worker(project)
    workflow_id = unique("rejected")

    result = run_client(
        project,
        temporal_server,
        ["--task-queue", worker.task_queue, "--id", workflow_id, "Say something."],
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "failed" in result.stderr
    assert result.stdout == ""
    # no retry loop: the run failed (below) after one request, not after a time bound that a
    # busy machine could break

    async def inspect() -> tuple[WorkflowExecutionStatus | None, EventLog]:
        client = await connect(temporal_server)
        description = await client.get_workflow_handle(workflow_id).describe()
        return description.status, await fetch_history(client, workflow_id)

    status, history = asyncio.run(inspect())
    assert status == WorkflowExecutionStatus.FAILED
    assert len(model_server.requests) == 1
    assert model_server.violations == []

    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model"]
    assert history.started_attempts("call_model") == [1]
    assert history.failed_activities() == [("call_model", "ModelRequestRejected", True)]
    failed = history.of("WORKFLOW_EXECUTION_FAILED")
    assert len(failed) == 1
    failure = failed[0].workflow_execution_failed_event_attributes.failure
    assert "HTTP 400" in failure.cause.message
    assert "Unsupported value" in failure.cause.message
