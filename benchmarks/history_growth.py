"""Benchmark: wall time and workflow-history size of an N-step tool loop.

    uv run python benchmarks/history_growth.py [--steps 10 50 100 200]

Runs the same N-step loop (the model calls tool ``step`` N times, then answers) on one local
Temporal dev server with a zero-latency scripted model, for
- the code dagent-gen generates (a ``planning = false`` agent), and
- the hand-written floor (``floor.py``: the whole conversation passed to every model call),
and prints a Markdown table of wall seconds and history bytes (compact JSON of
``temporal workflow show -o json``). Results go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from dagent_gen.builder import apply, prepare
from dagent_gen.generated_package import imported_package
from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, respond, text, tool_calls
from dagent_gen.testing import call as tool_call_of
from dagent_gen.testing.temporal_server import find_temporal_cli

HERE = Path(__file__).resolve().parent

DEFINITION = """
[project]
package = "bench_agent"

[agents.bench]
system_prompt = "You run steps."
tools = ["step"]
planning = false
max_steps = {max_steps}

[tools.step]
function = "bench_tools:step"
retries = 2
"""

TOOLS = '''
def step(n: int) -> str:
    """Do one step.

    Args:
        n: The step number.
    """
    return f"step {n} done: " + "x" * 200
'''


def script_for(steps: int) -> Any:
    """A model that calls ``step`` until it has seen ``steps`` tool results, then answers."""

    def reply(request: dict[str, Any]) -> Any:
        done = sum(1 for m in request["messages"] if m.get("role") == "tool")
        if done >= steps:
            return text(f"finished {done} steps")
        return tool_calls(tool_call_of("step", {"n": done + 1}))

    return respond(reply)


def history_bytes(address: str, workflow_id: str) -> int:
    shown = subprocess.run(
        [str(find_temporal_cli()), "workflow", "show", "-w", workflow_id, "--address", address,
         "-o", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return len(json.dumps(json.loads(shown.stdout), separators=(",", ":")))


async def run_generated(
    client: Client, address: str, steps: int, workdir: Path
) -> tuple[float, int]:
    project = workdir / f"gen{steps}"
    project.mkdir()
    (project / "dagent.toml").write_text(DEFINITION.format(max_steps=steps + 2))
    (project / "bench_tools.py").write_text(TOOLS)
    prepared = prepare(project)
    assert prepared.ok, [p.render() for p in prepared.problems]
    apply(prepared)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    workflow_id = f"gen-{steps}-{uuid.uuid4().hex[:6]}"
    with imported_package(project, "bench_agent") as generated, ThreadPoolExecutor(4) as pool:
        async with Worker(client, task_queue=queue, workflows=generated.workflows,
                          activities=generated.activities, activity_executor=pool):  # fmt: skip
            started = time.perf_counter()
            await client.execute_workflow("bench", {"task": "go"}, id=workflow_id, task_queue=queue)
            elapsed = time.perf_counter() - started
    return elapsed, history_bytes(address, workflow_id)


async def run_floor(client: Client, address: str, steps: int) -> tuple[float, int]:
    sys.path.insert(0, str(HERE))
    floor = importlib.import_module("floor")
    queue = f"floor-{uuid.uuid4().hex[:8]}"
    workflow_id = f"floor-{steps}-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[floor.FloorAgent],
                      activities=[floor.floor_model, floor.floor_step]):  # fmt: skip
        started = time.perf_counter()
        await client.execute_workflow("floor_agent", "go", id=workflow_id, task_queue=queue)
        elapsed = time.perf_counter() - started
    return elapsed, history_bytes(address, workflow_id)


def human(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.2f} MB"
    return f"{size / 1000:.0f} KB"


async def main(step_counts: list[int]) -> None:
    rows = []
    with TemporalDevServer() as server, tempfile.TemporaryDirectory() as tmp:
        client = await Client.connect(server.address)
        for steps in step_counts:
            with ScriptedModelServer(default=script_for(steps)) as model:
                os.environ["OPENAI_BASE_URL"] = model.base_url
                os.environ["OPENAI_API_KEY"] = "bench"
                generated = await run_generated(client, server.address, steps, Path(tmp))
                floor = await run_floor(client, server.address, steps)
                assert model.violations == [], model.violations
            rows.append((steps, generated, floor))
            print(f"{steps} steps: generated {generated}, floor {floor}", file=sys.stderr)
    print("| steps | dagent-gen: wall s / history | per step | floor: wall s / history |")
    print("|---|---|---|---|")
    for steps, (g_time, g_bytes), (f_time, f_bytes) in rows:
        print(
            f"| {steps} | {g_time:.2f} / {human(g_bytes)} | {g_bytes / steps / 1000:.1f} KB "
            f"| {f_time:.2f} / {human(f_bytes)} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 50, 100, 200])
    asyncio.run(main(parser.parse_args().steps))
