"""Run the user's code (``dagent.py`` and the tool modules) in a child interpreter.

Importing user code runs it: it may print, call ``os._exit``, loop forever or start threads
that never end. In the build's own process any of those would fake or hide the result, hang
the command, or corrupt its output. So one child per build (``python -m
dagent_gen.user_code.child``, same interpreter) does load, validate and introspect, with a
time limit, and sends back a JSON :class:`Inspection`. Anything else (no result, a garbled
one, a non-zero exit, a signal, the time limit) is a DG105 diagnostic that says what the child
was doing and shows what it printed. The build's process never imports a user module.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pydantic

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.user_code.wire import Inspection, Message, Request, Stage

__all__ = ["TIMEOUT_ENV", "Inspection", "inspect_in_child"]

TIMEOUT_ENV = "DAGENT_GEN_IMPORT_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
_DUMP_GRACE = 2.0  # seconds the child gets to print its stacks before it is killed
_OUTPUT_LINES = 20  # the last lines of the child's output shown in a diagnostic
_DUMP_START = re.compile(r"^(Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):", re.M)
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')


@dataclass(frozen=True)
class _Finished:
    returncode: int
    channel: str  # the result channel (the child's original stdout)
    output: str  # everything the child and the user's code printed
    timed_out: bool


def inspect_in_child(file: Path) -> tuple[Inspection | None, list[Diagnostic]]:
    """Load, validate and introspect ``file`` in a child interpreter; DG105 if that fails."""
    timeout, problem = import_timeout(Location(str(file)))
    if problem is not None:
        return None, [problem]
    request = Request(definition_file=str(file), sys_path=[str(file.parent), *sys.path])
    finished = _run_child(request, timeout)
    stage, result, garbled = _read_channel(finished.channel)
    if finished.returncode == 0 and result is not None:  # (a result is sent last)
        return result, list(result.diagnostics)
    verb = "running" if file.suffix == ".py" else "reading"
    stage = stage or Stage(doing=f"{verb} {file.name}", location=Location(str(file)))
    return None, [_failure(finished, stage, garbled, timeout, file.parent)]


def import_timeout(where: Location) -> tuple[float, Diagnostic | None]:
    """Seconds the child may take, from ``DAGENT_GEN_IMPORT_TIMEOUT`` (default 60)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT, None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        message = f"{TIMEOUT_ENV}={text!r} is not a positive number of seconds"
        return DEFAULT_TIMEOUT, error(
            Code.USER_CODE_PROCESS_FAILED, message, where, f"e.g. {TIMEOUT_ENV}=120"
        )
    return value, None


def _run_child(request: Request, timeout: float) -> _Finished:
    """Run the child with its output in files, not pipes: processes the user's code started
    may keep a pipe open long after the child is gone, and must not make the build wait."""
    command = [sys.executable, "-B", "-P", "-m", "dagent_gen.user_code.child"]
    with tempfile.TemporaryFile() as channel, tempfile.TemporaryFile() as output:
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=channel,
            stderr=output,
            start_new_session=True,  # one process group to kill, with whatever it started
        )
        timed_out = False
        try:
            assert child.stdin is not None
            with child.stdin:
                child.stdin.write(request.model_dump_json().encode())
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(child)
        finally:
            _kill_group(child)  # leave nothing running: not the child, nor what it started
            child.wait()
        return _Finished(
            returncode=child.returncode,
            channel=_read(channel),
            output=_read(output),
            timed_out=timed_out,
        )


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Ask the child for its stacks, to show where it hangs; it is killed afterwards."""
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGUSR1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(_DUMP_GRACE)  # faulthandler prints and lets it run on: wait a moment


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", errors="replace")


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(child.pid, signal.SIGKILL)


def _read_channel(text: str) -> tuple[Stage | None, Inspection | None, bool]:
    """The last stage announced, the result if the channel holds a whole valid one, and
    whether a line could not be read (garbled: nothing after it is trusted)."""
    stage: Stage | None = None
    for line in text.splitlines():
        try:
            message = Message.model_validate_json(line)
        except pydantic.ValidationError:
            return stage, None, True
        if message.result is not None:
            return stage, message.result, False
        stage = message.stage or stage
    return stage, None, False


def _failure(
    finished: _Finished, stage: Stage, garbled: bool, timeout: float, project: Path
) -> Diagnostic:
    if finished.timed_out:
        where = _hanging_line(finished.output, project) or stage.location
        message = f"{stage.doing} did not finish within {timeout:g}s"
        hint = (
            "code that runs at import time must not block or loop; move the work into the "
            f"function, or allow more time with {TIMEOUT_ENV}=SECONDS"
        )
        return error(Code.USER_CODE_PROCESS_FAILED, message + _shown(finished.output), where, hint)
    code = finished.returncode
    if code < 0:
        ended = f"was killed by {_signal_name(-code)}"
    elif code == 0:
        ended = "ended the process (exit code 0) before dagent-gen had its result"
    else:
        ended = f"ended the process with exit code {code}"
    hint = (
        "importing the definition and the tool modules must not end the process "
        "(os._exit, os.kill, a crash in an extension module); run it directly "
        "(`python dagent.py`, or `python -c 'import MODULE'`) to see what happens"
    )
    if garbled and code >= 0:
        ended = f"sent back an unreadable result (exit code {code})"
    return error(
        Code.USER_CODE_PROCESS_FAILED,
        f"{stage.doing} {ended}" + _shown(finished.output),
        stage.location,
        hint,
    )


def _hanging_line(output: str, project: Path) -> Location | None:
    """The innermost frame in the project of the stack dump the child printed on timeout."""
    root = project.resolve()
    for line in output.splitlines():  # faulthandler prints the innermost call first
        match = _FRAME.match(line)
        if match and Path(match["file"]).resolve().is_relative_to(root):
            return Location(match["file"], int(match["line"]))
    return None


def _shown(output: str) -> str:
    """The end of what the child printed, without the stack dump (its line is the location)."""
    dump = _DUMP_START.search(output)
    if dump:
        output = output[: dump.start()]
    lines = [line for line in output.rstrip().splitlines() if line.strip()]
    if not lines:
        return ""
    if len(lines) > _OUTPUT_LINES:
        lines = ["...", *lines[-_OUTPUT_LINES:]]
    return "\n  output:\n" + "\n".join(f"    {line}" for line in lines)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
