"""Benchmark: what ``local = true`` saves per step of a quick-tool loop (issue 12.4).

    uv run --frozen python benchmarks/local_tool.py                 # 20 steps, 3 rounds
    uv run --frozen python benchmarks/local_tool.py --steps 50 --rounds 5

The generated N-step loop of ``tool_loop.py`` (one agent, one quick tool ``step``, zero-latency
scripted model), built twice: the tool as a normal activity and as a local activity. Both run
on one dev server with the transfer-queue limiter raised (``TemporalDevServer``'s default),
alternating, ``--rounds`` times each; the median wall time per step is printed as a Markdown
table for docs/benchmarks.md ("Local activities").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

from counters import Counting
from loop_runs import DEFINITION, Context, RunResult, build_bench_project, run_workflow
from report import machine_description
from temporalio.client import Client
from tool_loop import script_for

from dagent_gen.generated_package import imported_package
from dagent_gen.testing import ScriptedModelServer, TemporalDevServer


async def run_once(ctx: Context, steps: int, local: bool, project: Path) -> RunResult:
    """Build (once per project folder) and run the loop; ``local`` sets the tool's key."""
    if not (project / "dagent.toml").exists():
        definition = DEFINITION.format(max_steps=steps + 2) + f"local = {str(local).lower()}\n"
        if problems := build_bench_project(project, definition):
            raise SystemExit(problems)
    name = "local" if local else "activity"
    with ScriptedModelServer(default=script_for(steps)) as model:
        os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = model.base_url, "bench"
        with imported_package(project, "bench_agent") as generated:
            result = await run_workflow(
                ctx, name, steps, "bench", {"task": "go"}, generated.workflows,
                generated.activities,
            )  # fmt: skip
        if model.violations or result.status != "completed":
            raise SystemExit(f"{name} run failed: {result.status} {result.note} {model.violations}")
    return result


async def main(args: argparse.Namespace) -> None:
    walls: dict[bool, list[float]] = {False: [], True: []}
    markers: dict[bool, int | None] = {}
    with tempfile.TemporaryDirectory() as tmp, TemporalDevServer() as server:
        counting = Counting()
        client = await Client.connect(server.address, interceptors=[counting])
        ctx = Context(client, counting, server.address, "raised", 120.0, 2.0)
        for round_ in range(args.rounds + 1):  # round 0 warms the server and imports up
            for local in (False, True):
                folder = Path(tmp) / ("local" if local else "activity")
                result = await run_once(ctx, args.steps, local, folder)
                markers[local] = result.events
                if round_ and result.wall is not None:
                    walls[local].append(result.wall)
                print(f"  round {round_} local={local}: {result.wall:.2f} s", file=sys.stderr)
    print(machine_description())
    print()
    print("| tool runs as | steps | rounds | median wall s | ms / step | history events |")
    print("|---|---|---|---|---|---|")
    for local in (False, True):
        median = statistics.median(walls[local])
        label = "local activity (`local = true`)" if local else "activity (default)"
        print(f"| {label} | {args.steps} | {args.rounds} | {median:.2f} | "
              f"{1000 * median / args.steps:.1f} | {markers[local]} |")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="tool calls per run (20)")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each kind (3)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
