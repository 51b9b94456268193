"""One measured run of the N-step loop per implementation (used by ``tool_loop.py``).

Every run has a time bound; a run that fails, times out or is terminated by Temporal (the
50 MB / 51,200-event history limits) becomes a row with that status, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import floor
import noop_loop
import openai
from counters import Counting
from history import measure_history
from openai.types.chat import ChatCompletion
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import TerminatedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from dagent_gen.builder import apply, prepare
from dagent_gen.generated_package import imported_package

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


@dataclass
class RunResult:
    implementation: str
    limiter: str
    steps: int
    status: str
    wall: float | None = None
    history_bytes: int | None = None
    events: int | None = None
    runs: int | None = None
    activities: int | None = None
    workflow_tasks: int | None = None
    heartbeats: int | None = None
    queries: int | None = None
    actions: int | None = None
    note: str = ""
    # with --repeat: the wall time of every round, in order (None: that round did not complete)
    rounds: list[float | None] = field(default_factory=list)
    # CPU seconds the run cost this process (worker, SDK core threads, in-process model server)
    # and the dev server process; with --repeat, every round's, as for ``rounds``
    cpu: float | None = None
    server_cpu: float | None = None
    cpu_rounds: list[float | None] = field(default_factory=list)


@dataclass
class Context:
    client: Client
    counting: Counting
    address: str
    limiter: str
    timeout_base: float
    timeout_per_step: float
    server_pid: int | None = None

    def timeout(self, steps: int) -> float:
        return self.timeout_base + self.timeout_per_step * steps


@dataclass
class CpuClock:
    """CPU seconds used since it was made: by this process (every thread) and by the dev
    server's process (read from /proc; ``None`` where there is none)."""

    server_pid: int | None
    process_start: float = field(init=False)
    server_start: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.process_start = time.process_time()
        self.server_start = process_cpu(self.server_pid)

    def read(self) -> tuple[float, float | None]:
        process = time.process_time() - self.process_start
        server_now = process_cpu(self.server_pid)
        if server_now is None or self.server_start is None:
            return process, None
        return process, server_now - self.server_start


def process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``), or ``None``."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _outcome(error: BaseException) -> tuple[str, str]:
    if isinstance(error, WorkflowFailureError):
        if isinstance(error.cause, TerminatedError):
            return "terminated", str(error.cause)
        return "failed", str(error.cause or error)
    return "error", f"{type(error).__name__}: {error}"


async def _finish(
    ctx: Context, name: str, steps: int, status: str, wall: float, workflow_id: str,
    counts: dict[str, int], note: str,
    cpu: tuple[float | None, float | None] = (None, None),
) -> RunResult:  # fmt: skip
    try:
        stats = await asyncio.to_thread(measure_history, ctx.address, workflow_id)
    except (subprocess.SubprocessError, ValueError) as error:
        return RunResult(name, ctx.limiter, steps, status, wall, note=f"{note} history: {error}",
                         cpu=cpu[0], server_cpu=cpu[1])  # fmt: skip
    activities = counts.get("activity_runs", stats.activities)
    heartbeats, queries = counts.get("heartbeats", 0), counts.get("queries", 0)
    # Billable-style actions: the start, every activity attempt, heartbeat call, query,
    # timer and local-activity marker, and every continue-as-new.
    actions = stats.runs + activities + heartbeats + queries + stats.timers + stats.markers
    if counts.get("query:messages"):
        note = f"{note} ({counts['query:messages']} `messages` queries)".strip()
    return RunResult(
        name, ctx.limiter, steps, status, wall, stats.bytes, stats.events, stats.runs,
        activities, stats.workflow_tasks, heartbeats, queries, actions, note,
        cpu=cpu[0], server_cpu=cpu[1],
    )  # fmt: skip


async def run_workflow(
    ctx: Context, name: str, steps: int, workflow: str, arg: Any,
    workflows: Sequence[type], activities: Sequence[Any],
) -> RunResult:  # fmt: skip
    """Run one workflow on a fresh worker and task queue, time it and measure its history."""
    queue = f"{name}-{uuid.uuid4().hex[:8]}"
    workflow_id = f"{name}-{steps}-{uuid.uuid4().hex[:6]}"
    ctx.counting.reset()
    status, note = "completed", ""
    with ThreadPoolExecutor(4) as pool:
        async with Worker(ctx.client, task_queue=queue, workflows=workflows,
                          activities=activities, activity_executor=pool):  # fmt: skip
            started, clock = time.perf_counter(), CpuClock(ctx.server_pid)
            try:
                run = ctx.client.execute_workflow(workflow, arg, id=workflow_id, task_queue=queue)
                await asyncio.wait_for(run, ctx.timeout(steps))
            except TimeoutError:
                status, note = "timeout", f"no result within {ctx.timeout(steps):.1f} s"
            except Exception as error:  # every failure is a row in the table
                status, note = _outcome(error)
            wall, cpu = time.perf_counter() - started, clock.read()
            if status == "timeout":
                # The run may not have started yet, or may have ended meanwhile.
                with contextlib.suppress(RPCError):
                    await ctx.client.get_workflow_handle(workflow_id).terminate("benchmark timeout")
    return await _finish(ctx, name, steps, status, wall, workflow_id, ctx.counting.snapshot(), note,
                         cpu)  # fmt: skip


def build_bench_project(folder: Path, definition: str) -> str:
    """Write ``definition`` and the ``step`` tool into a new ``folder`` and build it; the
    build's problems, or ``""`` when it was built."""
    folder.mkdir(parents=True)
    (folder / "dagent.toml").write_text(definition)
    (folder / "bench_tools.py").write_text(TOOLS)
    prepared = prepare(folder)
    if not prepared.ok:
        return "; ".join(p.render() for p in prepared.problems)
    apply(prepared)
    return ""


async def run_generated(ctx: Context, steps: int, workdir: Path) -> RunResult:
    project = workdir / f"gen-{ctx.limiter}-{steps}"
    if problems := build_bench_project(project, DEFINITION.format(max_steps=steps + 2)):
        return RunResult("generated", ctx.limiter, steps, "build failed", note=problems)
    with imported_package(project, "bench_agent") as generated:
        # as the generated worker does when it starts (worker.py): the model client is built
        # before any run, not inside the first one
        warm_up = getattr(generated.module("llm"), "warm_up", None)
        if warm_up is not None:  # older generated code: the first run builds it
            warm_up()
        # as the generated worker does before it polls (worker.py): what is loaded stays out
        # of full collections. Process-wide: the untimed warm-up round does it first, so every
        # timed run, the engine limit's and the floor's too, has it.
        gc.collect()
        gc.freeze()
        return await run_workflow(
            ctx, "generated", steps, "bench", {"task": "go"},
            generated.workflows, generated.activities,
        )  # fmt: skip


async def run_floor(ctx: Context, steps: int) -> RunResult:
    return await run_workflow(
        ctx, "floor", steps, "floor_agent", "go",
        [floor.FloorAgent], [floor.floor_model, floor.floor_step],
    )  # fmt: skip


async def run_engine_limit(ctx: Context, steps: int) -> RunResult:
    result = await run_workflow(
        ctx, "engine", steps, "noop_loop", 2 * steps + 1, [noop_loop.NoopLoop], [noop_loop.noop]
    )
    result.note = f"{2 * steps + 1} no-op activities {result.note}".strip()
    return result


async def run_model_only(
    ctx: Context, steps: int, base_url: str, requests: list[dict[str, Any]]
) -> RunResult:
    """The scripted model's own time: the recorded requests sent again, one after another."""
    client = openai.AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0)
    started, clock = time.perf_counter(), CpuClock(ctx.server_pid)
    for body in requests:
        # The low-level call skips the SDK's per-message request transform (see docs).
        await client.post("/chat/completions", body=body, cast_to=ChatCompletion)
    wall, (cpu, server_cpu) = time.perf_counter() - started, clock.read()
    await client.close()
    return RunResult("model", ctx.limiter, steps, "completed", wall,
                     note=f"{len(requests)} requests via client.post", cpu=cpu,
                     server_cpu=server_cpu)  # fmt: skip


async def run_deepagents(
    ctx: Context, steps: int, python: Path | None, install_note: str, base_url: str
) -> RunResult:
    if python is None:
        status = "skipped" if install_note.startswith("skipped") else "not installed"
        return RunResult("deepagents", ctx.limiter, steps, status, note=install_note)
    workflow_id = f"deepagents-{steps}-{uuid.uuid4().hex[:6]}"
    command = [str(python), str(HERE / "deepagents_side.py"), "--address", ctx.address,
               "--base-url", base_url, "--steps", str(steps), "--workflow-id", workflow_id,
               "--timeout", str(ctx.timeout(steps))]  # fmt: skip
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            command,
            capture_output=True,
            text=True,
            timeout=ctx.timeout(steps) + 120,
        )
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as error:
        tail = locals().get("done")
        stderr = tail.stderr[-500:] if tail is not None else ""
        print(f"deepagents side failed: {error}\n{stderr}", file=sys.stderr)
        return RunResult("deepagents", ctx.limiter, steps, "error", note=f"{error}"[:200])
    return await _finish(
        ctx, "deepagents", steps, outcome["status"], outcome["wall"], workflow_id,
        outcome["counts"], outcome.get("error", "")[:200],
    )  # fmt: skip
