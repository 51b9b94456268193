"""Rebuild time when a definition change touches every workflow of a 100-agent project.

    uv run python benchmarks/rebuild_touch_all.py [--agents 100]

Builds a fresh project (N agents, two tools each), then gives every agent a third tool (a new
dispatch branch in every workflow: every merged file goes through the 3-way merge and the
replay analysis) and rebuilds. Prints the wall time of the fresh build and of the rebuild, both
through the real command line in a subprocess.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = '''"""Tools of the benchmark project."""


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def echo(text: str) -> str:
    """Repeat a text.

    Args:
        text: The text to repeat.
    """
    return text


def shout(text: str) -> str:
    """Repeat a text loudly.

    Args:
        text: The text to shout.
    """
    return text.upper()
'''


def definition(agents: int, tools: list[str]) -> str:
    lines = ["[project]", 'package = "bench_agents"', 'task_queue = "bench"', ""]
    for index in range(agents):
        lines += [
            f"[agents.agent{index:03d}]",
            f'description = "Agent number {index}"',
            'model = "openai:gpt-4o-mini"',
            'system_prompt = "You help."',
            f"tools = [{', '.join(repr(t).replace(chr(39), chr(34)) for t in tools)}]",
            "",
        ]
    for tool in ("add", "echo", "shout"):
        lines += [f"[tools.{tool}]", f'function = "bench_tools:{tool}"', ""]
    return "\n".join(lines)


def timed_build(root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "build", str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "bench_tools.py").write_text(TOOLS, encoding="utf-8")
        (root / "dagent.toml").write_text(definition(args.agents, ["add", "echo"]))
        fresh = timed_build(root)
        (root / "dagent.toml").write_text(definition(args.agents, ["add", "echo", "shout"]))
        touched = timed_build(root)
        unchanged = timed_build(root)
    print(f"agents: {args.agents}")
    print(f"fresh build: {fresh:.1f} s")
    print(f"rebuild touching every workflow: {touched:.1f} s")
    print(f"rebuild with nothing to change: {unchanged:.1f} s")


if __name__ == "__main__":
    main()
