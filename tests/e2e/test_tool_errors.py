"""Every kind of bad tool call becomes an "Error: ..." observation; the run goes on."""

from __future__ import annotations

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
package = "errors_agent"

[agents.fumbler]
system_prompt = "You make mistakes and learn from them."
planning = false
tools = ["add", "explode"]

[tools.add]
function = "error_tools:add"

[tools.explode]
function = "error_tools:explode"
retries = 0
"""

TOOLS = '''
"""A tool that works and a tool that always raises."""


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


async def explode(reason: str) -> str:
    """Fail loudly.

    Args:
        reason: Why.
    """
    raise RuntimeError(f"boom: {reason}")
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("errors") / "project"
    return write_project(root, "errors_agent", DEFINITION, {"error_tools": TOOLS})


def test_bad_tool_calls_become_observations(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("add", '{"a": 1, "b": '),  # malformed JSON
            call("add", "[1, 2]"),  # JSON, but not an object
            call("add", {"a": "one", "b": 2}),  # wrong type
            call("add", {"a": 1}),  # missing required argument
            call("add", {"a": 1, "b": 2, "c": 3}),  # extra key
            call("subtract", {"a": 1, "b": 2}),  # unknown tool
            call("explode", {"reason": "kaboom"}),  # the tool raises
            call("add", {"a": 2, "b": 3}),  # fine
        ),
        text("I see what went wrong."),
    )
    worker = start_worker(project)
    workflow_id = unique("errors")

    output, history = run_agent(
        temporal_server,
        "fumbler",
        "Try everything.",
        task_queue=worker.task_queue,
        workflow_id=workflow_id,
    )
    assert output["answer"] == "I see what went wrong."
    assert output["stop_reason"] == "done"
    assert output["steps"] == 2
    assert model_server.violations == []

    requests = model_server.requests
    assert len(requests) == 2
    observations = [observation for _, _, observation in answered_calls(requests[1])]
    assert len(observations) == 8
    malformed, not_object, wrong_type, missing, extra, unknown, raised, fine = observations
    for observation in observations[:-1]:
        assert observation.startswith("Error"), observation
    assert "not valid JSON" in malformed
    assert "must be a JSON object" in not_object
    assert "InvalidArguments" in wrong_type and "'add'" in wrong_type
    assert "a:" in wrong_type and "integer" in wrong_type
    assert "InvalidArguments" in missing and "b:" in missing and "required" in missing.lower()
    assert "InvalidArguments" in extra and "c:" in extra
    assert "no tool named 'subtract'" in unknown
    assert "add" in unknown and "explode" in unknown  # it names the tools that exist
    assert "RuntimeError" in raised and "boom: kaboom" in raised
    assert fine == "5"

    history.assert_healthy()
    assert history.count("WORKFLOW_EXECUTION_COMPLETED") == 1
    # bad JSON and the unknown tool never reach an activity
    assert sorted(history.scheduled_activities()) == [
        "add",
        "add",
        "add",
        "add",
        "call_model",
        "call_model",
        "explode",
    ]
    # only the validation failures and the raising tool fail activities: validation failures
    # are non-retryable, and explode (retries = 0) ran once
    assert sorted(history.failed_activities()) == [
        ("add", "InvalidArguments", True),
        ("add", "InvalidArguments", True),
        ("add", "InvalidArguments", True),
        ("explode", "RuntimeError", False),
    ]
    assert history.started_attempts("explode") == [1]
    assert history.started_attempts("add") == [1, 1, 1, 1]
