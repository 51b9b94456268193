"""Benchmark: worker cold start, from process start to polling (issue 12, item 5).

    uv run --frozen python benchmarks/worker_start.py                 # 7 rounds
    uv run --frozen python benchmarks/worker_start.py --rounds 3 --no-deepagents
    uv run --frozen python benchmarks/worker_start.py --write-docs

On one local Temporal dev server, in turn, round after round:

- the worker dagent-gen generates (``python -m bench_agent.worker``, the one-agent, one-tool
  project of ``tool_loop.py``): interpreter start, imports, building the model client,
  connecting, the worker's start;
- a temporalio-deepagents worker (``deepagents_worker.py``, the same loop written with the
  plugin, in its own virtual environment): the same steps with the plugin's imports;
- each interpreter's bare start (``python -c pass``), for scale.

Timed from the process's start to its ``worker polling`` line on stdout; each worker is then
stopped with SIGTERM. Reports the median of the rounds. With ``--write-docs`` the table goes
into docs/benchmarks.md between the ``worker-start`` markers.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deepagents_env import ensure_deepagents
from loop_runs import DEFINITION, build_bench_project
from report import machine_description, write_between_markers

from dagent_gen.testing import TemporalDevServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
READY = "worker polling"


def time_to_polling(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> float:
    """Seconds from starting ``command`` to its ``worker polling`` line; then stops it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the worker prints nothing before it polls
            if READY in line:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                break
        raise RuntimeError(f"{command[0]} ended or ran {timeout} s without polling")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bare_start(python: str) -> float:
    started = time.perf_counter()
    subprocess.run([python, "-c", "pass"], check=True)
    return time.perf_counter() - started


def measure(args: argparse.Namespace) -> tuple[dict[str, list[float]], str]:
    deepagents: tuple[Path | None, str] = (None, "skipped (--no-deepagents)")
    if not args.no_deepagents:
        deepagents = ensure_deepagents()
    python, note = deepagents
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, TemporalDevServer() as server:
        project = Path(tmp) / "bench"
        if problems := build_bench_project(project, DEFINITION.format(max_steps=20)):
            sys.exit(problems)
        env = {**os.environ, "TEMPORAL_ADDRESS": server.address, "OPENAI_API_KEY": "bench",
               "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}  # fmt: skip
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = {"generated": [sys.executable, "-m", "bench_agent.worker"]}
        if python is not None:
            commands["deepagents"] = [str(python), str(HERE / "deepagents_worker.py"),
                                      "--address", server.address]  # fmt: skip
        for command in commands.values():  # a first start writes bytecode caches
            time_to_polling(command, project, env, args.timeout)
        for _ in range(args.rounds):
            for name, command in commands.items():
                times.setdefault(name, []).append(
                    time_to_polling(command, project, env, args.timeout)
                )
            times.setdefault("bare", []).append(bare_start(sys.executable))
            if python is not None:
                times.setdefault("bare-deepagents", []).append(bare_start(str(python)))
    return times, note


def table(times: dict[str, list[float]], note: str, rounds: int) -> str:
    labels = {
        "generated": "dagent-gen worker (`python -m bench_agent.worker`)",
        "deepagents": "temporalio-deepagents worker",
        "bare": "bare interpreter start, project environment",
        "bare-deepagents": "bare interpreter start, temporalio-deepagents environment",
    }
    meta = machine_description(note)
    lines = [meta, "", "| process | median s to polling | min s | max s | rounds |",
             "|---|---|---|---|---|"]  # fmt: skip
    for name, label in labels.items():
        values = times.get(name)
        if not values:
            lines.append(f"| {label} | \u2013 | \u2013 | \u2013 | 0 |")
            continue
        lines.append(f"| {label} | {statistics.median(values):.2f} | {min(values):.2f} | "
                     f"{max(values):.2f} | {len(values)} |")  # fmt: skip
    generated, deepagents = times.get("generated"), times.get("deepagents")
    if generated and deepagents:
        ratio = statistics.median(deepagents) / statistics.median(generated)
        lines += ["", f"temporalio-deepagents / dagent-gen: {ratio:.1f}x (medians)."]
    if "deepagents" not in times:
        lines += ["", f"temporalio-deepagents: {note}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=120.0, help="per start, seconds")
    parser.add_argument("--no-deepagents", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    times, note = measure(args)
    text = table(times, note, args.rounds)
    if args.write_docs and not write_between_markers(
        ROOT / "docs" / "benchmarks.md", "worker-start", text
    ):
        print("markers <!-- worker-start:begin/end --> not found", file=sys.stderr)
    print(text)


if __name__ == "__main__":
    main()
