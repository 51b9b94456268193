"""Load: 100 concurrent ten-step runs on one worker all finish, and what it costs is recorded.

Each run calls the quick tool ``tick`` nine times and then answers, so it takes ten model
calls (its ``steps``). Nothing here asserts on time beyond a generous overall timeout: the
figures (steps per second, the worker's peak resident memory, wall time) are printed (see them
with ``pytest -s``) and written to ``load.json`` in the test's tmp dir, to be compared by a
person, not by CI.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle

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
    connect,
    process_memory_kib,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

RUNS = 100
TOOL_CALLS = 9  # then the answer: ten model calls per run
UNLIMITED = ("--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000")
OVERALL_TIMEOUT = 300.0  # seconds for all runs together; ~30 s expected on a 2-core box

DEFINITION = """
[project]
package = "load_agent"

[agents.ticker]
system_prompt = "You tick as often as you are told, then answer."
planning = false
max_steps = 12
tools = ["tick"]

[tools.tick]
function = "load_tools:tick"
"""

TOOLS = '''
def tick(run: int, i: int) -> str:
    """Tick once.

    Args:
        run: The run number.
        i: The tick number within the run.
    """
    return f"tick {i} of run {run}"
'''


def ticker(request: dict[str, Any]) -> Reply:
    """Tick until the run has ticked ``TOOL_CALLS`` times, then answer; stateless per request."""
    match = re.fullmatch(r"Run (\d+)\.", request["messages"][1]["content"])
    assert match is not None, request["messages"][1]
    run = int(match.group(1))
    observations = [m["content"] for m in request["messages"] if m["role"] == "tool"]
    # the conversation the worker sent is complete and in order, whichever cache served it
    assert observations == [f"tick {i} of run {run}" for i in range(1, len(observations) + 1)]
    if len(observations) < TOOL_CALLS:
        return tool_calls(call("tick", {"run": run, "i": len(observations) + 1}))
    return text(f"Run {run} ticked {len(observations)} times.")


@pytest.fixture(scope="module")
def temporal_server() -> Iterator[TemporalDevServer]:
    """A dev server of this module's own, without the transfer-queue limiter.

    The shared dev server reads its one shard's transfer queue at most 20 times a second
    (see docs/testing.md), which would make this test measure that limiter, not the worker.
    """
    with TemporalDevServer(extra_args=UNLIMITED) as server:
        yield server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("load") / "project"
    return write_project(root, "load_agent", DEFINITION, {"load_tools": TOOLS})


async def _run_all(client: Client, task_queue: str, prefix: str) -> list[dict[str, Any]]:
    handles: list[WorkflowHandle[Any, dict[str, Any]]] = await asyncio.gather(
        *(
            client.start_workflow(
                "ticker",
                {"task": f"Run {run}."},
                id=f"{prefix}-{run}",
                task_queue=task_queue,
                result_type=dict,
            )
            for run in range(RUNS)
        )
    )
    return await asyncio.gather(*(handle.result() for handle in handles))


def test_hundred_concurrent_runs_on_one_worker(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    model_server.add(*(respond(ticker) for _ in range(RUNS * (TOOL_CALLS + 1))))
    worker = start_worker(project, task_queue=unique("load"))
    assert worker.process is not None
    prefix = unique("ticker")

    async def scenario() -> tuple[list[dict[str, Any]], float]:
        client = await connect(temporal_server)
        started = time.monotonic()
        outputs = await asyncio.wait_for(
            _run_all(client, worker.task_queue, prefix), OVERALL_TIMEOUT
        )
        return outputs, time.monotonic() - started

    outputs, wall = asyncio.run(scenario())
    memory = process_memory_kib(worker.process.pid)

    assert model_server.violations == []
    assert model_server.remaining == []
    for run, output in enumerate(outputs):
        assert output["answer"] == f"Run {run} ticked {TOOL_CALLS} times.", output
        assert output["stop_reason"] == "done"
        assert output["steps"] == TOOL_CALLS + 1
    log = worker.log()  # not one activity failed and was retried
    assert "Traceback" not in log, log[log.find("Traceback") - 400 :][:4000]

    steps = sum(output["steps"] for output in outputs)
    figures = {
        "runs": RUNS,
        "model_steps": steps,
        "tool_calls": RUNS * TOOL_CALLS,
        "wall_seconds": round(wall, 2),
        "steps_per_second": round(steps / wall, 1),
        "worker_peak_rss_kib": memory.get("VmHWM"),
        "worker_rss_kib": memory.get("VmRSS"),
    }
    (tmp_path / "load.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nload: {json.dumps(figures)} (written to {tmp_path / 'load.json'})")
