"""What a workflow left in Temporal: history bytes, events and commands, over every run.

History bytes are the event history as compact JSON (``temporal workflow show -o json``
re-dumped without spaces), the same measure for every implementation. A workflow that
continued as new is followed back through ``continuedExecutionRunId`` and all its runs are
summed, so an implementation that bounds each run's history is not flattered.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dagent_gen.testing.temporal_server import find_temporal_cli

MAX_RUNS = 1000  # a chain longer than this is a bug in the measured code, not a benchmark


@dataclass
class HistoryStats:
    bytes: int = 0
    events: int = 0
    runs: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    @property
    def activities(self) -> int:
        return self.by_type["ACTIVITY_TASK_SCHEDULED"]

    @property
    def workflow_tasks(self) -> int:
        return self.by_type["WORKFLOW_TASK_COMPLETED"]

    @property
    def timers(self) -> int:
        return self.by_type["TIMER_STARTED"]

    @property
    def markers(self) -> int:
        """Local activities (and other markers) record one marker each."""
        return self.by_type["MARKER_RECORDED"]


def _show(address: str, workflow_id: str, run_id: str | None, timeout: float) -> dict[str, Any]:
    command = [str(find_temporal_cli()), "workflow", "show", "-w", workflow_id,
               "--address", address, "-o", "json"]  # fmt: skip
    if run_id:
        command += ["-r", run_id]
    shown = subprocess.run(command, capture_output=True, text=True, check=True, timeout=timeout)
    history: dict[str, Any] = json.loads(shown.stdout)
    return history


def _event_type(event: dict[str, Any]) -> str:
    return str(event.get("eventType", "")).removeprefix("EVENT_TYPE_")


def _previous_run(history: dict[str, Any]) -> str | None:
    events = history.get("events") or []
    if not events:
        return None
    started = events[0].get("workflowExecutionStartedEventAttributes") or {}
    previous = started.get("continuedExecutionRunId")
    return str(previous) if previous else None


def measure_history(address: str, workflow_id: str, timeout: float = 120.0) -> HistoryStats:
    """Sum bytes, events and event types over every run of ``workflow_id``."""
    stats = HistoryStats()
    run_id: str | None = None
    while stats.runs < MAX_RUNS:
        history = _show(address, workflow_id, run_id, timeout)
        stats.runs += 1
        stats.bytes += len(json.dumps(history, separators=(",", ":")))
        events = history.get("events") or []
        stats.events += len(events)
        stats.by_type.update(_event_type(event) for event in events)
        run_id = _previous_run(history)
        if run_id is None:
            break
    return stats
