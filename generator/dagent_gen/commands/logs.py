"""Logging of ``dagent-gen run``'s in-process worker: your workflows' and tools' log lines, and
failed activities in one line, not as the SDK's tracebacks.

The generated worker (``templates/package/worker.py.j2``) does the same for its own process;
it cannot import dagent-gen, so it carries its own copy of the filter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

ACTIVITY_LOGGER = "temporalio.activity"
QUIET_LOGGERS = ("httpx", "httpx2", "httpcore")  # an INFO line per model request: noise


class OneLineActivityFailures(logging.Filter):
    """The SDK logs each failed activity attempt with its traceback. A tool's error is an
    observation for the model, not a crash, so below DEBUG it becomes one line: activity,
    error type, message."""

    def __init__(self, keep: Callable[[], bool], drop: bool = False) -> None:
        super().__init__()
        self.keep = keep  # True: leave the record as the SDK wrote it (with the traceback)
        self.drop = drop  # True: say nothing (``run`` shows the failure in its progress)

    def filter(self, record: logging.LogRecord) -> bool:
        failure = getattr(record, "__temporal_error_identifier", None) == "ActivityFailure"
        if not failure or not record.exc_info or self.keep():
            return True
        if self.drop:
            return False
        error = record.exc_info[1]
        activity = (getattr(record, "temporal_activity", None) or {}).get("activity_type")
        record.msg, record.args = "%s failed: %s", (activity or "activity", describe(error))
        record.exc_info, record.exc_text = None, None
        return True


def describe(error: BaseException | None) -> str:
    """``Type: message``; an ApplicationError is named by its ``type``, as in the history."""
    if error is None:
        return "unknown error"
    kind = getattr(error, "type", None) or type(error).__name__
    message = getattr(error, "message", None) or str(error)  # str() of ApplicationError has type
    return f"{kind}: {message}" if message else str(kind)


def configure(level: int) -> None:
    """Log to stderr at ``level``. Failed activities are left to the progress lines, and
    shown with their tracebacks at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("  log %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    # The worker's own lifecycle lines are noise in a one-off run; the lines your workflows and
    # tools log (temporalio.workflow / temporalio.activity loggers) are not.
    logging.getLogger("temporalio").setLevel(max(level, logging.WARNING))
    for name in ("temporalio.workflow", ACTIVITY_LOGGER):
        logging.getLogger(name).setLevel(level)
    activity = logging.getLogger(ACTIVITY_LOGGER)
    for old in [f for f in activity.filters if isinstance(f, OneLineActivityFailures)]:
        activity.removeFilter(old)
    activity.addFilter(OneLineActivityFailures(lambda: root.isEnabledFor(logging.DEBUG), drop=True))
