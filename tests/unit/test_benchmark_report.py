"""The benchmark's arithmetic: overhead per step from paired rounds, of wall or CPU time."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from loop_runs import process_cpu
from report import overheads


def row(name: str, wall: list[float], cpu: list[float] | None = None) -> dict[str, Any]:
    return {
        "steps": 10, "implementation": name, "status": "completed",
        "wall": sorted(wall)[len(wall) // 2], "rounds": wall,
        "cpu": sorted(cpu)[len(cpu) // 2] if cpu else None, "cpu_rounds": cpu or [],
    }  # fmt: skip


def test_overhead_is_the_median_of_the_rounds_own_differences() -> None:
    rows = [
        row("generated", [1.0, 2.0, 1.2], cpu=[0.5, 0.9, 0.6]),
        row("engine", [0.5, 1.5, 0.6], cpu=[0.2, 0.6, 0.3]),
        row("model", [0.1, 0.1, 0.1], cpu=[0.1, 0.1, 0.1]),
    ]
    # wall: rounds differ by 0.4, 0.4, 0.5 s -> median 0.4 s over 10 steps
    assert overheads(rows) == {10: pytest.approx(40.0)}
    # cpu: 0.2, 0.2, 0.2 s -> 20 ms per step
    assert overheads(rows, measure="cpu") == {10: pytest.approx(20.0)}


def test_a_run_without_cpu_times_has_no_cpu_overhead() -> None:
    rows = [row("generated", [1.0]), row("engine", [0.5]), row("model", [0.1])]
    assert overheads(rows) == {10: pytest.approx(40.0)}
    assert overheads(rows, measure="cpu") == {}


def test_process_cpu_reads_proc_or_says_none() -> None:
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        pytest.skip("no /proc on this system")
    sum(i * i for i in range(200_000))  # some CPU of our own
    assert (process_cpu(os.getpid()) or 0.0) > 0.0
    assert process_cpu(None) is None
    assert process_cpu(2**22 + 1) is None  # above Linux's largest pid: no such process
