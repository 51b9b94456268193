"""Benchmark: how fast ``dagent-gen build`` and ``check`` are (issue 12, item 6).

    uv run --frozen python benchmarks/build_speed.py                  # 1, 10 and 100 agents
    uv run --frozen python benchmarks/build_speed.py --quick          # 1 and 10 agents, 2 runs
    uv run --frozen python benchmarks/build_speed.py --write-docs

A project of K agents with 10 tools each (one tool, ``shared``, used by every agent, and 9 of
each agent's own; every tool a typed function with a docstring in a real module) is written
to a temporary folder. Timed, as whole processes of the ``dagent-gen`` command:

- ``fresh build``: build into a copy of the untouched project;
- ``check``: ``dagent-gen check`` on the built project (up to date, exit 0);
- ``no-op rebuild``: ``dagent-gen build`` again with nothing changed;
- ``one-key change``: ``[tools.shared] timeout`` edited, then ``build``; the timeout is
  written into every agent's workflow, so every workflow module is re-rendered and merged.

Each timed command is paired with a bare interpreter start (``python -c pass``, the same
interpreter) run just before it, and reported as the median wall time and the median of the
per-pair ratios, so the figures stay comparable on a busy machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from report import machine_description, write_between_markers

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOOLS_PER_AGENT = 10
DAGENT_GEN = str(Path(sys.executable).parent / "dagent-gen")

TOOL = '''

def {name}(query: str, limit: int = 5) -> str:
    """Look {name} up.

    Args:
        query: What to look for.
        limit: How many results to return.
    """
    return query[:limit]
'''


@dataclass
class Timing:
    agents: int
    case: str
    status: str
    wall: float | None = None
    ratio: float | None = None
    bare: float | None = None


def write_project(folder: Path, agents: int) -> None:
    """K agents, each with ``shared`` and 9 tools of its own, one tool module per agent."""
    folder.mkdir(parents=True)
    lines = ['[project]\npackage = "fleet"\n', '[tools.shared]\nfunction = "tools_shared:shared"',
             'timeout = "60s"\n']  # fmt: skip
    (folder / "tools_shared.py").write_text(TOOL.format(name="shared").lstrip())
    for a in range(agents):
        own = [f"a{a}_t{t}" for t in range(1, TOOLS_PER_AGENT)]
        (folder / f"tools_a{a}.py").write_text("".join(TOOL.format(name=n) for n in own).lstrip())
        names = ", ".join(f'"{n}"' for n in ["shared", *own])
        lines.append(f'[agents.a{a}]\nsystem_prompt = "Agent {a}."\ntools = [{names}]\n')
        lines += [f'[tools.{n}]\nfunction = "tools_a{a}:{n}"\n' for n in own]
    (folder / "dagent.toml").write_text("\n".join(lines))


def _wall(command: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - started, done


def measure(
    agents: int,
    case: str,
    command: list[str],
    prepare: Callable[[], None],
    args: argparse.Namespace,
) -> Timing:
    """``prepare`` (untimed) then the command, ``--repeat`` times, each after a bare start."""
    walls, ratios, bares = [], [], []
    for _ in range(args.repeat):
        prepare()
        try:
            bare, _ = _wall([sys.executable, "-c", "pass"], args.timeout)
            wall, done = _wall(command, args.timeout)
        except subprocess.TimeoutExpired:
            return Timing(agents, case, f"timeout ({args.timeout:.0f} s)")
        if done.returncode not in args.expect_codes:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return Timing(agents, case, f"exit {done.returncode}: {tail[0][:100]}")
        walls.append(wall)
        bares.append(bare)
        ratios.append(wall / bare)
    print(f"  {agents} agents, {case}: {statistics.median(walls):.2f} s", file=sys.stderr)
    return Timing(agents, case, "ok", statistics.median(walls), statistics.median(ratios),
                  statistics.median(bares))  # fmt: skip


def _fresh_copy(source: Path, target: Path) -> Callable[[], None]:
    def prepare() -> None:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)

    return prepare


def _one_key_change(built: Path, target: Path) -> Callable[[], None]:
    def prepare() -> None:
        _fresh_copy(built, target)()
        definition = target / "dagent.toml"
        definition.write_text(definition.read_text().replace('timeout = "60s"', 'timeout = "61s"'))

    return prepare


def bench_agents(agents: int, args: argparse.Namespace, tmp: Path) -> list[Timing]:
    pristine, work, built = tmp / f"p{agents}", tmp / f"w{agents}", tmp / f"b{agents}"
    write_project(pristine, agents)
    args.expect_codes = {0}
    timings = [measure(agents, "fresh build", [DAGENT_GEN, "build", str(work)],
                       _fresh_copy(pristine, work), args)]  # fmt: skip
    _fresh_copy(pristine, built)()
    subprocess.run([DAGENT_GEN, "build", str(built)], capture_output=True, timeout=args.timeout)
    nothing = lambda: None  # noqa: E731
    timings.append(measure(agents, "check", [DAGENT_GEN, "check", str(built)], nothing, args))
    timings.append(measure(agents, "no-op rebuild", [DAGENT_GEN, "build", str(built)], nothing,
                           args))  # fmt: skip
    timings.append(measure(agents, "one-key change", [DAGENT_GEN, "build", str(work)],
                           _one_key_change(built, work), args))  # fmt: skip
    return timings


def table(timings: list[Timing], meta: str) -> str:
    lines = [meta, "",
             "| agents (10 tools each) | command | wall s (median) | x bare interpreter start "
             "| bare start s | status |", "|---|---|---|---|---|---|"]  # fmt: skip
    for t in timings:
        wall = "\u2013" if t.wall is None else f"{t.wall:.2f}"
        ratio = "\u2013" if t.ratio is None else f"{t.ratio:.0f}"
        bare = "\u2013" if t.bare is None else f"{t.bare:.3f}"
        lines.append(f"| {t.agents} | {t.case} | {wall} | {ratio} | {bare} | {t.status} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", default="1,10,100", help="comma-separated agent counts")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per command run")
    parser.add_argument("--quick", action="store_true", help="1 and 10 agents, 2 runs each")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="write the table into docs/benchmarks.md between markers",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.quick:
        args.agents, args.repeat = "1,10", 2
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory() as tmp:
        for agents in (int(a) for a in args.agents.split(",") if a.strip()):
            timings += bench_agents(agents, args, Path(tmp))
    text = table(timings, machine_description())
    if args.write_docs and not write_between_markers(
        ROOT / "docs" / "benchmarks.md", "build-speed", text
    ):
        print("markers <!-- build-speed:begin/end --> not found in docs/benchmarks.md",
              file=sys.stderr)  # fmt: skip
    print(text)


if __name__ == "__main__":
    main()
