"""Markdown tables for the benchmarks, and writing them into docs between markers."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

MISSING = "\u2013"  # an en dash marks a value the run could not measure

NAMES = {
    "generated": "dagent-gen (generated)",
    "floor": "hand-written floor",
    "deepagents": "temporalio-deepagents",
    "engine": "engine limit (2N + 1 no-op activities)",
    "model": "scripted model's own time",
}
LIMITERS = {
    "raised": "dev server limiter raised (`history.transferProcessorMaxPollRPS=1000`)",
    "default": "dev server at its default limiter (20 transfer-queue polls per second)",
}


def human_bytes(size: int | None) -> str:
    if size is None:
        return MISSING
    if size >= 1_000_000:
        return f"{size / 1_000_000:.2f} MB"
    return f"{size / 1000:.1f} KB"


def _num(value: int | None) -> str:
    return MISSING if value is None else str(value)


def _loop_row(row: dict[str, Any]) -> str:
    steps, wall, size = row["steps"], row["wall"], row["history_bytes"]
    status = row["status"] if row["status"] == "completed" else f"**{row['status']}**"
    cells = [
        str(steps),
        NAMES.get(row["implementation"], row["implementation"]),
        status,
        MISSING if wall is None else f"{wall:.2f}",
        MISSING if wall is None else f"{1000 * wall / steps:.1f}",
        human_bytes(size),
        MISSING if size is None else f"{size / steps / 1000:.1f}",
        _num(row["events"]),
        _num(row["activities"]),
        _num(row["heartbeats"]),
        _num(row["queries"]),
        _num(row["actions"]),
        row["note"].replace("|", "/").replace("\n", " ")[:120],
    ]
    return "| " + " | ".join(cells) + " |"


def overheads(
    rows: Sequence[dict[str, Any]], activities: str = "2N+1", measure: str = "wall"
) -> dict[int, float]:
    """Overhead per step (ms) of the generated code by N: generated - engine - model, per step.

    The engine row runs 2N + 1 no-op activities, as many as the loop runs. ``activities="2N"``
    scales it to 2N (one activity fewer, the bar as issue 12 first put it): the final answer's
    model call is then counted as overhead too. ``measure="cpu"``: the same of the CPU time the
    benchmark's process used (worker, SDK core threads, in-process model server) instead of
    wall time; runs without it are left out.
    """
    value, per_round = ("wall", "rounds") if measure == "wall" else ("cpu", "cpu_rounds")
    by_key = {(r["steps"], r["implementation"]): r for r in rows}
    found = {}
    for steps in sorted({r["steps"] for r in rows}):
        runs = [by_key.get((steps, k)) for k in ("generated", "engine", "model")]
        totals: list[float] = [
            r[value] for r in runs if r and r["status"] == "completed" and r.get(value)
        ]
        if len(totals) < 3:
            continue
        scale = 2 * steps / (2 * steps + 1) if activities == "2N" else 1.0
        # Each round runs the three one after another: the median of the rounds' own
        # differences cancels a slower minute of a shared box, which a difference of the
        # three medians does not. Without paired rounds: the difference of the medians.
        paired = [r.get(per_round) or [] for r in runs if r]
        if len({len(p) for p in paired}) == 1 and paired[0] and all(None not in p for p in paired):
            differences = sorted(g - e * scale - m for g, e, m in zip(*paired, strict=True))
            found[steps] = 1000 * statistics.median(differences) / steps
        else:
            found[steps] = 1000 * (totals[0] - totals[1] * scale - totals[2]) / steps
    return found


def _overhead_rows(rows: Sequence[dict[str, Any]]) -> Iterable[str]:
    by_key = {(r["steps"], r["implementation"]): r for r in rows}
    found, against_2n = overheads(rows), overheads(rows, "2N")
    cpu = overheads(rows, measure="cpu")
    for steps in sorted({r["steps"] for r in rows}):
        generated, engine, model = (
            by_key.get((steps, k)) for k in ("generated", "engine", "model")
        )
        if steps not in found or generated is None or engine is None or model is None:
            yield "| " + " | ".join([str(steps)] + [MISSING] * 11) + " |"
            continue
        per_step = [generated[k] for k in ("actions", "activities", "heartbeats", "queries")]
        cells = [f"{v / steps:.2f}" if v is not None else MISSING for v in per_step]
        servers = [r.get("server_cpu") for r in (generated, engine)]
        server = " / ".join(_ms(v and 1000 * v / steps) for v in servers)
        yield (f"| {steps} | {generated['wall']:.2f} | {engine['wall']:.2f} | "
               f"{model['wall']:.2f} | **{found[steps]:.1f}** | {against_2n[steps]:.1f} | "
               f"{_ms(cpu.get(steps))} | {server} | " + " | ".join(cells) + " |")  # fmt: skip


def _ms(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def _growth(rows: Sequence[dict[str, Any]]) -> str:
    found = overheads(rows)
    if len(found) < 2:
        return ""
    first, last = min(found), max(found)
    change = found[last] - found[first]
    return (f"From N = {first} to N = {last} the overhead per step changes by {change:+.1f} ms "
            f"({found[first]:.1f} -> {found[last]:.1f}).")  # fmt: skip


def loop_tables(results: Sequence[dict[str, Any]], meta: str) -> str:
    """One results table and one overhead table per limiter setting."""
    lines = [meta, ""]
    for limiter in ("raised", "default"):
        rows = [r for r in results if r["limiter"] == limiter]
        if not rows:
            continue
        lines += [
            f"#### N-step loop, {LIMITERS[limiter]}", "",
            "| steps | implementation | status | wall s | ms / step | history | KB / step "
            "| events | activity runs | heartbeats | queries | actions | note |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *(_loop_row(r) for r in sorted(rows, key=lambda r: r["steps"])),
            "",
            f"Overhead of the generated code, {limiter} limiter "
            "(generated wall - engine limit - model's own time, per step; with several rounds, "
            "the median of the rounds' own differences; CPU overhead: the same difference of "
            "the CPU time the benchmark's process used, worker, SDK core threads and "
            "in-process model server; server CPU: the dev server process's):", "",
            "| steps | generated s | engine limit s | model's own s | overhead ms / step "
            "| (against 2N no-ops) | CPU overhead ms / step | server CPU ms / step (generated "
            "/ engine) | actions / step | activity runs / step | heartbeats / step "
            "| queries / step |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            *_overhead_rows(rows),
            "",
            _growth(rows),
            "",
        ]  # fmt: skip
    return "\n".join(lines)


def write_between_markers(path: Path, name: str, text: str) -> bool:
    """Replace what sits between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in ``path``.

    Returns ``False`` (and changes nothing) when the markers are missing.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    content = path.read_text()
    if begin not in content or end not in content:
        return False
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text.strip()}\n{end}{tail}")
    return True


def machine_description(extra: str = "") -> str:
    """One line naming the machine and versions, for the top of every results block."""
    import datetime
    import os
    import platform
    import subprocess
    from importlib.metadata import version

    from dagent_gen.testing.temporal_server import find_temporal_cli

    kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:"))  # fmt: skip
    cli = subprocess.run([str(find_temporal_cli()), "--version"], capture_output=True,
                         text=True, timeout=60).stdout.strip()  # fmt: skip
    parts = [
        f"Measured {datetime.date.today().isoformat()}",
        f"{len(os.sched_getaffinity(0))} cores (nproc), {kib / 2**20:.0f} GiB",
        f"Python {platform.python_version()}",
        cli,
        f"temporalio {version('temporalio')}",
        f"dagent-gen {version('dagent-gen')}",
    ]
    if extra:
        parts.append(extra)
    return "; ".join(parts) + "."
