"""Logging of `dagent-gen run`'s in-process worker: user log lines show, failed tool attempts
are left to the progress line unless --verbose asks for their tracebacks."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from dagent_gen.commands import logs


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    names = ("", "temporalio", "temporalio.workflow", logs.ACTIVITY_LOGGER, *logs.QUIET_LOGGERS)
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers),
                    list(logging.getLogger(name).filters)) for name in names}  # fmt: skip
    yield
    for name, (level, handlers, filters) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.filters[:] = filters


def fail_an_activity() -> None:
    try:
        raise ValueError("not an arithmetic expression: 'x'")
    except ValueError:
        logging.getLogger(logs.ACTIVITY_LOGGER).warning(
            "Completing activity as failed ({'activity_type': 'calculate'})",
            exc_info=True,
            extra={
                "__temporal_error_identifier": "ActivityFailure",
                "temporal_activity": {"activity_type": "calculate"},
            },
        )


def test_user_log_lines_show_and_tool_failures_stay_out(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(logging.INFO)
    logging.getLogger("temporalio.workflow").info("hello from a workflow")
    logging.getLogger("my_tools").info("hello from a tool")
    logging.getLogger("httpx").info("HTTP Request: POST /v1/chat/completions")
    logging.getLogger("temporalio.worker._worker").info("Beginning worker shutdown")
    fail_an_activity()
    err = capsys.readouterr().err
    assert "hello from a workflow" in err
    assert "hello from a tool" in err
    assert "HTTP Request" not in err
    assert "worker shutdown" not in err
    assert "Completing activity" not in err and "Traceback" not in err


def test_verbose_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(logging.DEBUG)
    fail_an_activity()
    err = capsys.readouterr().err
    assert "Completing activity as failed" in err
    assert "Traceback (most recent call last)" in err


def test_quiet_shows_no_info(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(logging.ERROR)
    logging.getLogger("temporalio.workflow").info("hello from a workflow")
    fail_an_activity()
    assert capsys.readouterr().err == ""


def test_describe_names_application_errors_by_type() -> None:
    from temporalio.exceptions import ApplicationError

    assert logs.describe(ApplicationError("no key", type="ModelConfigurationError")) == (
        "ModelConfigurationError: no key"
    )
    assert logs.describe(ValueError("bad")) == "ValueError: bad"


def test_a_bad_activity_limit_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from dagent_gen.commands.services import activity_slots

    monkeypatch.setenv("DAGENT_MAX_ACTIVITIES", "many")
    with pytest.raises(SystemExit, match="DAGENT_MAX_ACTIVITIES='many'"):
        activity_slots()
    monkeypatch.setenv("DAGENT_MAX_ACTIVITIES", "8")
    assert activity_slots() == 8
