"""The generated worker and client as an operator sees them: log lines, failure causes, and
plain (sync) tools under load."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import (
    Project,
    Worker,
    answered_calls,
    run_agent,
    run_client,
    subprocess_env,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

SLOW_CALLS = 80  # five rounds of the old 16 tool threads; three of the default 32 slots

DEFINITION = """
[project]
package = "ops_agent"

[agents.operator]
system_prompt = "You operate tools."
planning = false
tools = ["explode", "note", "slow"]

[tools.explode]
function = "ops_tools:explode"
retries = 0

[tools.note]
function = "ops_tools:note"

[tools.slow]
function = "ops_tools:slow"
timeout = "3s"
retries = 0
"""

TOOLS = '''
"""Tools that fail, log, and take their time."""

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path


def explode(reason: str) -> str:
    """Fail loudly.

    Args:
        reason: Why.
    """
    raise RuntimeError(f"boom: {reason}")


def note(text: str) -> str:
    """Log a line.

    Args:
        text: What to log.
    """
    logging.getLogger("ops_tools").info("noted: %s", text)
    return "ok"


def slow(n: int) -> int:
    """Take a second, leaving a mark per run.

    Args:
        n: A number to return.
    """
    time.sleep(1.0)
    with open(Path(os.environ["OPS_RUNS_DIR"]) / str(n), "a") as marks:
        marks.write("ran\\n")
    return n
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("ops") / "project"
    return write_project(root, "ops_agent", DEFINITION, {"ops_tools": TOOLS})


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def start(
    workers: list[Worker], project: Project, temporal: TemporalDevServer, tmp_path: Path, **env: str
) -> Worker:
    worker = Worker(
        project=project,
        task_queue=unique("ops"),
        api_key=env.get("OPENAI_API_KEY", ""),
        env=subprocess_env(temporal, **env),
        log_path=tmp_path / f"worker-{len(workers) + 1}.log",
    )
    workers.append(worker)
    return worker.start()


@pytest.mark.parametrize("level", ["", "DEBUG"])
def test_tool_failures_are_one_log_line_and_tool_logs_show(
    level: str,
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    workers: list[Worker],
    tmp_path: Path,
) -> None:
    model_server.add(
        tool_calls(call("explode", {"reason": "kaboom"}), call("note", {"text": "hello"})),
        text("Noted, despite the explosion."),
    )
    worker = start(
        workers,
        project,
        temporal_server,
        tmp_path,
        OPENAI_BASE_URL=model_server.base_url,
        OPENAI_API_KEY="sk-test",
        DAGENT_LOG_LEVEL=level,
    )
    output, _ = run_agent(
        temporal_server, "operator", "Go.", task_queue=worker.task_queue, workflow_id=unique("op")
    )
    assert output["answer"] == "Noted, despite the explosion."
    log = worker.log()
    assert "noted: hello" in log  # the worker configures logging: INFO lines of tools show
    if level == "DEBUG":  # asked for: the SDK's record with its traceback
        assert "Traceback (most recent call last)" in log
        assert "Completing activity as failed" in log
    else:
        assert "Traceback" not in log, log
        assert "Completing activity as failed" not in log, log
        [line] = [line for line in log.splitlines() if "explode failed" in line]
        assert line.endswith("explode failed: RuntimeError: boom: kaboom"), line


def test_client_prints_the_root_cause_of_a_failed_run(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    workers: list[Worker],
    tmp_path: Path,
) -> None:
    worker = start(
        workers, project, temporal_server, tmp_path, OPENAI_BASE_URL=model_server.base_url
    )
    result = run_client(project, temporal_server, ["--task-queue", worker.task_queue, "Go."])
    assert result.returncode == 1, (result.stdout, result.stderr)
    first, *causes = result.stderr.splitlines()
    assert first == "agent 'operator' failed: Activity task failed (call_model)", result.stderr
    assert any(
        cause.startswith("  caused by: ModelConfigurationError: ") and "OPENAI_API_KEY" in cause
        for cause in causes
    ), result.stderr
    assert model_server.requests == []


def test_many_slow_sync_tool_calls_never_time_out_waiting_for_a_thread(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    workers: list[Worker],
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    model_server.add(
        tool_calls(*(call("slow", {"n": n}) for n in range(SLOW_CALLS))),
        text("All done."),
    )
    worker = start(
        workers,
        project,
        temporal_server,
        tmp_path,
        OPENAI_BASE_URL=model_server.base_url,
        OPENAI_API_KEY="sk-test",
        OPS_RUNS_DIR=str(runs),
    )
    output, history = run_agent(
        temporal_server, "operator", "Go.", task_queue=worker.task_queue, workflow_id=unique("op")
    )
    assert output["answer"] == "All done."
    observations = [obs for _, _, obs in answered_calls(model_server.requests[1])]
    assert observations == [str(n) for n in range(SLOW_CALLS)]
    assert history.count("ACTIVITY_TASK_TIMED_OUT") == 0
    assert history.started_attempts("slow") == [1] * SLOW_CALLS
    marks = {path.name: path.read_text() for path in runs.iterdir()}
    assert marks == {str(n): "ran\n" for n in range(SLOW_CALLS)}  # each call ran exactly once
    assert "Activity not found on completion" not in worker.log()
