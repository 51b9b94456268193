"""Benchmark: what a run's first workflow task costs, against the agents in the project.

    uv run --frozen python benchmarks/run_start.py                 # 1, 10 and 30 agents
    uv run --frozen python benchmarks/run_start.py --agents 1,10 --runs 9 --write-docs

Temporal's sandbox imports a workflow's module afresh for every run (and again whenever a
worker rebuilds a run from its history), parent packages included. So every run's first
workflow task pays for the imports of its workflow module. This script builds projects of
1, 10 and 30 agents (the loop agent of ``tool_loop.py`` plus agents like it), runs ``--runs``
one-step runs of the first agent one after another on one worker, and reads from each run's
history how long its first workflow task took (task started to task completed). For scale, the
same for the engine's no-op loop (``noop_loop.py``).

Twice: with Python's bytecode cache (the default) and with ``PYTHONDONTWRITEBYTECODE=1``
(common in container images), where the sandbox compiles the workflow's sources on every run.
With ``--write-docs`` the table goes into docs/benchmarks.md between the ``run-start``
markers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import noop_loop
from loop_runs import DEFINITION, build_bench_project
from report import machine_description, write_between_markers
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker
from tool_loop import script_for

from dagent_gen.generated_package import imported_package
from dagent_gen.testing import ScriptedModelServer, TemporalDevServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OTHER_AGENT = '\n[agents.other{i}]\nsystem_prompt = "You help."\ntools = ["step"]\n'


def build_project(folder: Path, agents: int) -> None:
    others = "".join(OTHER_AGENT.format(i=i) for i in range(1, agents))
    definition = DEFINITION.format(max_steps=5).replace("[tools.step]", others + "\n[tools.step]")
    if problems := build_bench_project(folder, definition):
        sys.exit(problems)


async def first_task_ms(client: Client, workflow_id: str) -> float:
    """Milliseconds from the run's first workflow task started to completed."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = None
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = event.event_time.ToDatetime()
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            assert started is not None
            return (event.event_time.ToDatetime() - started).total_seconds() * 1000
    raise ValueError(f"{workflow_id}: no completed workflow task")


async def first_tasks(
    client: Client, runs: int, workflow: str, arg: Any, workflows: Sequence[type],
    activities: Sequence[Any],
) -> list[float]:  # fmt: skip
    """``runs`` runs one after another on one worker; the first workflow task of each."""
    queue = f"start-{uuid.uuid4().hex[:8]}"
    found = []
    with ThreadPoolExecutor(4) as pool:
        async with Worker(client, task_queue=queue, workflows=workflows,
                          activities=activities, activity_executor=pool):  # fmt: skip
            for _ in range(runs + 1):  # the first run warms the worker up, untimed
                workflow_id = f"{workflow}-{uuid.uuid4().hex[:8]}"
                await client.execute_workflow(workflow, arg, id=workflow_id, task_queue=queue)
                found.append(await first_task_ms(client, workflow_id))
    return found[1:]


async def measure(args: argparse.Namespace, workdir: Path) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    with TemporalDevServer() as server, ScriptedModelServer(default=script_for(1)) as model:
        os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = model.base_url, "bench"
        client = await Client.connect(server.address)
        for cached in (True, False):
            sys.dont_write_bytecode = not cached
            label = "cached" if cached else "compiled"
            for agents in args.agents:
                project = workdir / f"{label}-{agents}"
                build_project(project, agents)
                with imported_package(project, "bench_agent") as generated:
                    results[f"{label}:{agents}"] = await first_tasks(
                        client, args.runs, "bench", {"task": "go"},
                        generated.workflows, generated.activities,
                    )  # fmt: skip
                print(f"  {label} {agents} agents: {results[f'{label}:{agents}']}",
                      file=sys.stderr)  # fmt: skip
        results["noop"] = await first_tasks(
            client, args.runs, "noop_loop", 1, [noop_loop.NoopLoop], [noop_loop.noop]
        )
    return results


def table(results: dict[str, list[float]], args: argparse.Namespace) -> str:
    def cell(key: str) -> str:
        values = results.get(key)
        return f"{statistics.median(values):.1f}" if values else "\u2013"

    lines = [
        machine_description(),
        "",
        "| agents in the project | first workflow task, ms (bytecode cached) "
        "| same, ms (`PYTHONDONTWRITEBYTECODE=1`) |",
        "|---|---|---|",
    ]
    for agents in args.agents:
        lines.append(f"| {agents} | {cell(f'cached:{agents}')} | {cell(f'compiled:{agents}')} |")
    lines += ["", f"Medians of {args.runs} runs each, after one untimed run. The engine's no-op "
              f"loop (one activity): {cell('noop')} ms."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", default="1,10,30", help="comma-separated agent counts")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per project")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.agents = [int(a) for a in args.agents.split(",") if a.strip()]
    if not args.agents or args.runs < 1:
        parser.error("--agents needs numbers and --runs at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(measure(args, Path(tmp)))
    text = table(results, args)
    if args.write_docs and not write_between_markers(
        ROOT / "docs" / "benchmarks.md", "run-start", text
    ):
        print("markers <!-- run-start:begin/end --> not found", file=sys.stderr)
    print(text)


if __name__ == "__main__":
    main()
