"""Benchmark: what carrying a tool loop's payloads costs per step, without any agent code.

    uv run --frozen python benchmarks/payload_cost.py                 # N = 100, 15 rounds
    uv run --frozen python benchmarks/payload_cost.py --steps 50 --rounds 9

On one dev server with the transfer-queue limiter raised, in turn, round after round: the
engine limit of ``tool_loop.py`` (2N + 1 no-op activities, ``noop_loop.py``) and the same loop
with arguments and results shaped like the generated loop's (``payload_loop.py``). Prints the
median of the rounds' own differences per step: the share of ``tool_loop.py``'s overhead that
is the SDK and the server moving payloads, which no agent code can avoid. A first round is
untimed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

import noop_loop
import payload_loop
from counters import Counting
from loop_runs import Context, run_workflow
from report import machine_description
from temporalio.client import Client

from dagent_gen.testing import TemporalDevServer


async def measure(steps: int, rounds: int) -> list[tuple[float, float]]:
    walls = []
    with TemporalDevServer() as server:
        client = await Client.connect(server.address)
        ctx = Context(client, Counting(), server.address, "raised", 120.0, 2.0)
        for round_ in range(rounds + 1):
            bare = await run_workflow(ctx, "engine", steps, "noop_loop", 2 * steps + 1,
                                      [noop_loop.NoopLoop], [noop_loop.noop])  # fmt: skip
            carried = await run_workflow(
                ctx, "payloads", steps, "payload_loop", steps, [payload_loop.PayloadLoop],
                [payload_loop.model_like, payload_loop.tool_like],
            )  # fmt: skip
            for result in (bare, carried):
                if result.status != "completed" or result.wall is None:
                    raise SystemExit(f"{result.implementation}: {result.status} {result.note}")
            if round_:
                walls.append((bare.wall or 0.0, carried.wall or 0.0))
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds need at least 1")
    walls = asyncio.run(measure(args.steps, args.rounds))
    per_step = sorted(1000 * (carried - bare) / args.steps for bare, carried in walls)
    print(machine_description())
    print(f"N = {args.steps}, {args.rounds} rounds: no-op loop {statistics.median(w[0] for w in walls):.2f} s, "
          f"payload loop {statistics.median(w[1] for w in walls):.2f} s (medians); carrying the "
          f"payloads costs {statistics.median(per_step):.1f} ms per step (median of the rounds' "
          f"differences; range {per_step[0]:.1f} to {per_step[-1]:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
