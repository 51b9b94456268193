"""Ranges of the numeric settings: what the Temporal server and the model API can honour.

A value outside these ranges is accepted by the schema but breaks at run time, often on every
call: a timeout that rounds to zero fails each workflow task, a retry count above int32 cannot
be scheduled, a huge ``max_steps`` outgrows the workflow history. The validator refuses them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from dagent_gen.codes import Code
from dagent_gen.load import KeyPath

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

# Start-to-close timeouts: below a second the worker's own polling latency uses up the budget
# (and values under a microsecond become timedelta(0), which the server rejects); above a day
# a lost worker is noticed only after the timeout, and a typo ("3000h") is the likelier story.
MIN_TIMEOUT = 1.0
MAX_TIMEOUT = 24 * 3600.0
DURATION_HINT = 'write a duration like "30s", "5m", "1h30m", "500ms" or a number of seconds'


@dataclass(frozen=True)
class Limit:
    """An inclusive integer range and why its ends are where they are."""

    low: int
    high: int
    why: str


# Attempts are an int32 on the server; more than 100 retries of one call is never intended.
RETRIES = Limit(0, 100, "0 runs the call once; 3 allows three retries after a failure")
# A run continues as new before its history grows long, so steps are bounded by cost, not by
# history: 10,000 model calls carry a conversation of some 20,000 messages, which still fits the
# continuation payload when the tool results are short.
MAX_STEPS_LIMIT = 10_000
# Continue-as-new threshold: at least a few steps per run (a step with many parallel tool calls
# adds hundreds of events), and below the server's 10,240-event warning with room for a step.
MAX_HISTORY_EVENTS = Limit(
    1_000, 9_000, "a run continues as new once its history has this many events"
)
MAX_TOKENS = Limit(1, 1_000_000, "the most tokens one reply may use")
# A tool result travels as one payload; Temporal refuses payloads over 2 MB. The runtime also
# caps the encoded result at 1 MB (tool_support.MAX_OBSERVATION_BYTES): JSON escapes make a
# character up to 12 bytes, so no character count alone would be safe.
MAX_OUTPUT_CHARS = Limit(100, 500_000, "a tool result is one Temporal payload (at most 2 MB)")

Add = Callable[..., None]


def parse_duration(value: str | int | float) -> float | None:
    """Seconds in ``"30s"``, ``"1m30s"``, ``"500ms"``, ``"2h"`` or a bare number; None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if 0 < value < math.inf else None
    text = value.strip().replace(" ", "")
    if not text:
        return None
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or not 0 < total < math.inf:
        return None
    return total


# A human decision may take a weekend or a holiday; beyond 30 days a timeout is a typo, and a
# run that waits longer should leave approval_timeout unset (it then waits without a timer).
MAX_APPROVAL_TIMEOUT = 30 * 24 * 3600.0


def check_timeout(
    add: Add, value: str | int | float, path: KeyPath, maximum: float = MAX_TIMEOUT
) -> None:
    """A timeout: a valid duration of whole milliseconds, 1 s to ``maximum`` (24 h)."""
    seconds = parse_duration(value)
    shown = repr(value)
    if seconds is None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            finite = math.isfinite(value)
            problem = f"must be {'more than 0' if finite else 'a finite number of'} seconds"
            add(Code.INVALID_DURATION, f"{path[-1]} {problem}, not {shown}", path, DURATION_HINT)
        else:
            add(
                Code.INVALID_DURATION,
                f"{path[-1]} is not a valid duration: {shown}",
                path,
                DURATION_HINT,
            )
    elif not MIN_TIMEOUT <= seconds <= maximum:
        hint = (
            "a shorter timeout expires before a busy worker gets the call going"
            if seconds < MIN_TIMEOUT
            else "a lost worker is noticed only when the timeout expires"
        )
        most = "24h" if maximum == MAX_TIMEOUT else f"{maximum / 86400:g}d"
        add(
            Code.INVALID_DURATION,
            f"{path[-1]} must be between 1s and {most}, not {shown}",
            path,
            hint,
        )
    elif abs(seconds * 1000 - round(seconds * 1000)) > 1e-6:
        add(
            Code.INVALID_DURATION,
            f"{path[-1]} must be a whole number of milliseconds, not {shown}",
            path,
            DURATION_HINT,
        )


def check_range(add: Add, code: Code, value: int, limit: Limit, path: KeyPath) -> None:
    if value < limit.low:
        more = f"{limit.low} or more" if limit.low <= 1 else f"at least {limit.low}"
        add(code, f"{path[-1]} must be {more}, not {value}", path, limit.why)
    elif value > limit.high:
        add(code, f"{path[-1]} must be at most {limit.high}, not {value}", path, limit.why)
