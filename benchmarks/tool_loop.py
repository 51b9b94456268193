"""Benchmark: the N-step tool loop against the engine's own limit (issue 12, item 2).

    uv run --frozen python benchmarks/tool_loop.py                   # full: N = 10,50,200,1000
    uv run --frozen python benchmarks/tool_loop.py --quick           # N = 10, raised limiter
    uv run --frozen python benchmarks/tool_loop.py --steps 10,50 --write-docs

The scripted model calls tool ``step`` N times, then answers. For each N, on one local
Temporal dev server, in one run:

1. the code dagent-gen generates from a small definition written here,
2. the hand-written floor (``floor.py``),
3. temporalio-deepagents, in its own virtual environment (``deepagents_env.py``),
4. the engine's limit: 2N + 1 no-op activities (``noop_loop.py``), the activities an N-step
   loop runs (N + 1 model calls, N tool calls),
5. the scripted model's own time: the generated run's requests sent again with
   ``client.post``.

All of it twice: with the dev server's transfer-queue limiter raised and at its default.
Writes ``benchmarks/results/tool_loop.json``; with ``--write-docs`` also the tables into
docs/benchmarks.md (between markers) and the picture docs/img/tool-loop.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from counters import Counting
from deepagents_env import ensure_deepagents
from loop_runs import (
    Context,
    RunResult,
    run_deepagents,
    run_engine_limit,
    run_floor,
    run_generated,
    run_model_only,
)
from report import loop_tables, machine_description, write_between_markers
from temporalio.client import Client

from dagent_gen.devserver import FAST_TRANSFER_QUEUE
from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, respond, text, tool_calls
from dagent_gen.testing import call as tool_call_of

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# TemporalDevServer raises the limiter by default; the "default" setting must say so itself
LIMITER_CONFIG = {"raised": FAST_TRANSFER_QUEUE, "default": {}}


# Their whole conversation enters history on every model call: Temporal terminates them once
# it passes 50 MB, near these step counts (measured: 11.6 MB and 36.4 MB at 200 steps).
PEER_HISTORY_LIMIT_STEPS = {"floor": 550, "deepagents": 250}
PEER_CAP_NOTE = ("N > {cap} (--peer-max-steps): its history would reach Temporal's 50 MB limit "
                 "near N = {limit}")  # fmt: skip


def script_for(steps: int) -> Any:
    """A model that calls ``step`` until it has seen ``steps`` tool results, then answers."""

    def reply(request: dict[str, Any]) -> Any:
        done = sum(1 for m in request["messages"] if m.get("role") == "tool")
        if done >= steps:
            return text(f"finished {done} steps")
        return tool_calls(tool_call_of("step", {"n": done + 1}))

    return respond(reply)


def _checked(result: RunResult, model: ScriptedModelServer | None = None) -> RunResult:
    if model is not None and model.violations:
        result.note = f"{result.note} model rejected: {model.violations[0][:100]}".strip()
    print(f"  {result.limiter} N={result.steps} {result.implementation}: {result.status} "
          f"{result.wall and round(result.wall, 2)} s, {result.history_bytes} B",
          file=sys.stderr, flush=True)  # fmt: skip
    return result


async def run_steps(
    ctx: Context, steps: int, args: argparse.Namespace, deepagents: tuple[Path | None, str],
    workdir: Path,
) -> list[RunResult]:  # fmt: skip
    """The generated code, the model's own time and the engine limit ``rounds_for(steps)``
    times in turn, then the floor and temporalio-deepagents ``--repeat`` times each; every line
    reported by its median run."""
    rounds: dict[str, list[RunResult]] = {"generated": [], "model": [], "engine": []}
    for round_ in range(rounds_for(steps, args)):
        with ScriptedModelServer(default=script_for(steps)) as model:
            os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = model.base_url, "bench"
            found = await run_generated(ctx, steps, workdir / f"r{round_}")
            rounds["generated"].append(_checked(found, model))
            requests = model.requests  # the same conversation, for the model's own time
        with ScriptedModelServer(default=script_for(steps)) as model:
            found = await run_model_only(ctx, steps, model.base_url, requests)
            rounds["model"].append(_checked(found, model))
        del requests
        rounds["engine"].append(_checked(await run_engine_limit(ctx, steps)))
    results = [_median(runs) for runs in rounds.values()]
    for peer in ("floor", "deepagents"):  # --repeat runs each, reported by the median one
        results.append(_median([await _peer(ctx, steps, args, peer, deepagents)
                                for _ in range(args.repeat)]))  # fmt: skip
    return results


def rounds_for(steps: int, args: argparse.Namespace) -> int:
    """``--repeat`` rounds, and at small N enough of them to cover ``--round-steps`` steps: a
    100 ms hiccup of a shared box is 10 ms per step at N = 10 but 0.5 ms at N = 200."""
    return max(int(args.repeat), math.ceil(int(args.round_steps) / steps))


def _median(runs: list[RunResult]) -> RunResult:
    """The run with the median wall time (of the completed ones, if any completed)."""
    completed = [r for r in runs if r.status == "completed" and r.wall is not None]
    if not completed:
        return runs[0]
    chosen = sorted(completed, key=lambda r: r.wall or 0.0)[(len(completed) - 1) // 2]
    chosen.rounds = [r.wall if r.status == "completed" else None for r in runs]
    chosen.cpu_rounds = [r.cpu if r.status == "completed" else None for r in runs]
    if len(runs) > 1:
        walls = [r.wall for r in runs if r.wall is not None]
        spread = (", ".join(f"{w:.2f}" for w in walls) if len(walls) <= 5
                  else f"{min(walls):.2f}-{max(walls):.2f}")  # fmt: skip
        chosen.note = "; ".join(n for n in (chosen.note, f"median of {len(runs)}: {spread} s") if n)
    return chosen


async def _peer(
    ctx: Context, steps: int, args: argparse.Namespace, name: str,
    deepagents: tuple[Path | None, str],
) -> RunResult:  # fmt: skip
    if steps > args.peer_max_steps:
        return RunResult(name, ctx.limiter, steps, "not run", note=PEER_CAP_NOTE.format(
            cap=args.peer_max_steps, limit=PEER_HISTORY_LIMIT_STEPS[name]))  # fmt: skip
    with ScriptedModelServer(default=script_for(steps)) as model:
        if name == "floor":
            os.environ["OPENAI_BASE_URL"] = model.base_url
            return _checked(await run_floor(ctx, steps), model)
        python, note = deepagents
        return _checked(await run_deepagents(ctx, steps, python, note, model.base_url), model)


async def run_setting(
    limiter: str, args: argparse.Namespace, deepagents: tuple[Path | None, str], workdir: Path
) -> list[RunResult]:
    results: list[RunResult] = []
    with TemporalDevServer(dynamic_config=LIMITER_CONFIG[limiter]) as server:
        counting = Counting()
        client = await Client.connect(server.address, interceptors=[counting])
        ctx = Context(client, counting, server.address, limiter, args.timeout_base,
                      args.timeout_per_step, server.pid)  # fmt: skip
        # One untimed round first: the process's first model reply builds the openai
        # models' deferred pydantic schemas and the first runs warm the server's caches,
        # once per process as in a long-running worker; timed at N = 10 it was ~30 ms/step.
        with ScriptedModelServer(default=script_for(2)) as model:
            os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = model.base_url, "bench"
            await run_generated(ctx, 2, workdir / limiter / "warm-up")
        await run_engine_limit(ctx, 2)
        for steps in args.steps:
            results += await run_steps(ctx, steps, args, deepagents, workdir / limiter / str(steps))
    return results


def draw(results_file: Path, picture: Path) -> None:
    """matplotlib stays out of the project: ``uv run --with`` gives the plot its own env."""
    command = ["uv", "run", "--no-project", "--with", "matplotlib", "python",
               str(HERE / "plot.py"), str(results_file), str(picture)]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"picture not drawn: {error}", file=sys.stderr)
        return
    if done.returncode != 0:
        print(f"picture not drawn: {done.stderr[-500:]}", file=sys.stderr)


async def main(args: argparse.Namespace) -> None:
    deepagents: tuple[Path | None, str] = (None, "skipped (--no-deepagents)")
    if not args.no_deepagents:
        deepagents = await asyncio.to_thread(ensure_deepagents)
        print(f"temporalio-deepagents: {deepagents[1]}", file=sys.stderr)
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        for limiter in args.limiter:
            results += await run_setting(limiter, args, deepagents, Path(tmp))
    rows = [asdict(r) for r in results]
    meta = machine_description(deepagents[1])
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"meta": meta, "results": rows}, indent=1))
    tables = loop_tables(rows, meta)
    if args.write_docs:
        if not write_between_markers(ROOT / "docs" / "benchmarks.md", "tool-loop", tables):
            print("markers <!-- tool-loop:begin/end --> not found in docs/benchmarks.md",
                  file=sys.stderr)  # fmt: skip
        draw(args.results, ROOT / "docs" / "img" / "tool-loop.png")
    print(tables)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--steps",
        default="10,50,200,1000",
        help="comma-separated step counts (default: 10,50,200,1000)",
    )
    parser.add_argument(
        "--limiter",
        default="raised,default",
        help="dev server settings to run: raised, default or both",
    )
    parser.add_argument(
        "--quick", action="store_true", help="N = 10 with the raised limiter only (a smoke run)"
    )
    parser.add_argument(
        "--no-deepagents",
        action="store_true",
        help="skip temporalio-deepagents (no install, rows say skipped)",
    )
    parser.add_argument(
        "--timeout-base",
        type=float,
        default=120.0,
        help="seconds every run may take, plus --timeout-per-step * N",
    )
    parser.add_argument("--timeout-per-step", type=float, default=2.0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the generated code, the model's own time and the engine limit per N "
        "(the median is reported; default 3)",
    )
    parser.add_argument(
        "--round-steps",
        type=int,
        default=300,
        help="at small N, more rounds: at least this many steps per N in all (default 300: "
        "30 rounds at N = 10, 6 at N = 50)",
    )
    parser.add_argument(
        "--peer-max-steps",
        type=int,
        default=200,
        help="largest N at which the floor and temporalio-deepagents run (default 200: "
        "above it their history heads for Temporal's 50 MB limit)",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="write the tables into docs/benchmarks.md and draw docs/img/",
    )
    parser.add_argument("--results", type=Path, default=HERE / "results" / "tool_loop.json")
    args = parser.parse_args(argv)  # fmt: skip
    if args.quick:
        args.steps, args.limiter, args.repeat, args.round_steps = "10", "raised", 1, 0
    args.steps = [int(s) for s in args.steps.split(",") if s.strip()]
    args.limiter = [s.strip() for s in args.limiter.split(",") if s.strip()]
    if args.repeat < 1:
        parser.error("--repeat needs at least 1")
    if any(steps < 1 for steps in args.steps):
        parser.error("--steps needs step counts of at least 1")
    if not args.steps or not set(args.limiter) <= {"raised", "default"} or not args.limiter:
        parser.error("--steps needs numbers; --limiter takes raised and/or default")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
