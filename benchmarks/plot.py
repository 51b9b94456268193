"""Draw the tool-loop results: history size and wall time against steps.

    uv run --no-project --with matplotlib python benchmarks/plot.py RESULTS.json OUT.png

Called by ``tool_loop.py --write-docs``; matplotlib is a benchmark-only dependency that
``uv run --with`` provides, so the project's environment never gets it. Log-log axes: a
history that grows linearly is a line of slope 1, a quadratic one a line of slope 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter, ScalarFormatter
from report import overheads

STYLE = {
    "generated": ("dagent-gen (generated)", "tab:green", "o"),
    "floor": ("hand-written floor", "tab:blue", "s"),
    "deepagents": ("temporalio-deepagents", "tab:red", "^"),
    "engine": ("engine limit (2N + 1 no-op activities)", "black", "."),
    "model": ("scripted model's own time", "tab:gray", "."),
}
HISTORY_LIMIT = 50 * 2**20  # the server terminates a workflow whose history passes 50 MB


def _series(rows: list[dict[str, Any]], name: str, limiter: str, key: str) -> Any:
    """Completed runs as a line; runs Temporal terminated (history limit) as separate marks."""
    mine = [r for r in rows if r["implementation"] == name and r["limiter"] == limiter
            and r[key] is not None]  # fmt: skip
    done = sorted((r["steps"], r[key]) for r in mine if r["status"] == "completed")
    stopped = sorted((r["steps"], r[key]) for r in mine if r["status"] == "terminated")
    return [p[0] for p in done], [p[1] for p in done], stopped


def _history_panels(total: Any, per_step: Any, rows: list[dict[str, Any]], limiter: str) -> None:
    for axis in (total, per_step):
        axis.set(xscale="log", yscale="log", xlabel="tool steps (N)")
        axis.grid(True, which="both", alpha=0.3)
    for name in ("generated", "floor", "deepagents"):
        label, color, marker = STYLE[name]
        steps, sizes, stopped = _series(rows, name, limiter, "history_bytes")
        total.plot(steps, [s / 2**20 for s in sizes], marker=marker, color=color, label=label)
        per_step.plot(steps, [s / n / 1000 for n, s in zip(steps, sizes, strict=True)],
                      marker=marker, color=color, label=label)  # fmt: skip
        for n, size in stopped:
            total.plot([n], [size / 2**20], "X", color=color, markersize=10)
            total.annotate(f"terminated at N={n}", (n, size / 2**20), color=color, fontsize=8,
                           xytext=(-90, -18), textcoords="offset points")  # fmt: skip
    total.axhline(HISTORY_LIMIT / 2**20, color="darkred", linestyle=":", linewidth=1)
    total.annotate("50 MB: Temporal terminates the workflow", (0.02, HISTORY_LIMIT / 2**20),
                   xycoords=("axes fraction", "data"), xytext=(0, 4), textcoords="offset points",
                   color="darkred", fontsize=8)  # fmt: skip
    total.set(ylabel="event history (MiB)", title="History size (log-log: slope 1 vs slope 2)")
    per_step.set(yscale="linear", ylim=(0, None), ylabel="history per step (KB)",
                 title="History per step: flat = linear growth")  # fmt: skip
    total.legend(fontsize=8, loc="lower right")


def _wall_panel(axis: Any, rows: list[dict[str, Any]]) -> None:
    for name, (label, color, marker) in STYLE.items():
        for limiter, line in (("raised", "-"), ("default", "--")):
            steps, walls, stopped = _series(rows, name, limiter, "wall")
            steps, walls = steps + [n for n, _ in stopped], walls + [w for _, w in stopped]
            if steps:
                tag = label if limiter == "raised" else None  # one legend entry per colour
                axis.plot(steps, walls, line, marker=marker, color=color, label=tag)
    axis.set(xscale="log", yscale="log", xlabel="tool steps (N)", ylabel="wall time (s)",
             title="Wall time (solid: limiter raised, dashed: default)")  # fmt: skip
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)


def _overhead_panel(axis: Any, rows: list[dict[str, Any]]) -> None:
    """What the generated code costs per step beyond the engine and the model: flat = constant."""
    for limiter, line in (("raised", "-"), ("default", "--")):
        chosen = [r for r in rows if r["limiter"] == limiter]
        for measure, color in (("wall", "tab:green"), ("cpu", "tab:purple")):
            found = overheads(chosen, measure=measure)
            if found:
                axis.plot(list(found), list(found.values()), line, marker="o", color=color,
                          label=f"{measure}, limiter {limiter}")  # fmt: skip
    axis.axhline(5, color="darkred", linestyle=":", linewidth=1)
    axis.annotate("5 ms target", (0.02, 5), xycoords=("axes fraction", "data"), xytext=(0, 4),
                  textcoords="offset points", color="darkred", fontsize=8)  # fmt: skip
    axis.axhline(0, color="black", linewidth=0.5)
    axis.set(xscale="log", xlabel="tool steps (N)", ylabel="ms per step",
             title="Overhead: generated - engine limit - model's own time (wall, CPU)")  # fmt: skip
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)


def _plain_ticks(axes: list[Any], steps: list[int]) -> None:
    """Label the measured N values and plain numbers, not 2 x 10^1."""
    for axis in axes:
        axis.set_xticks(steps)
        axis.xaxis.set_major_formatter(ScalarFormatter())
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.yaxis.set_major_formatter(ScalarFormatter())
        axis.yaxis.set_minor_formatter(NullFormatter())


def main(results_file: Path, picture: Path) -> None:
    data = json.loads(results_file.read_text())
    rows: list[dict[str, Any]] = data["results"]
    limiter = "raised" if any(r["limiter"] == "raised" for r in rows) else "default"
    figure, ((total, per_step), (wall, overhead)) = plt.subplots(2, 2, figsize=(14, 10))
    _history_panels(total, per_step, rows, limiter)
    _wall_panel(wall, rows)
    _overhead_panel(overhead, rows)
    _plain_ticks([total, per_step, wall], sorted({r["steps"] for r in rows}))
    overhead.set_xticks(sorted({r["steps"] for r in rows}))
    overhead.xaxis.set_major_formatter(ScalarFormatter())
    overhead.xaxis.set_minor_formatter(NullFormatter())
    figure.suptitle(f"N-step tool loop on one Temporal dev server. {data['meta']}", fontsize=7,
                    wrap=True)  # fmt: skip
    figure.tight_layout()
    picture.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(picture, dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
