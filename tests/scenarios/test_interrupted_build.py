"""A build stopped part-way (Ctrl-C, SIGTERM, a kill, a full disk, a read-only folder) is
all-or-nothing: it rolls itself back, or the next build does, and ``check`` never calls a
half-built project up to date."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dagent_gen import builder, journal
from dagent_gen.cli import app
from dagent_gen.exit_codes import ExitCode
from dagent_gen.write import atomic_write
from tests.scenarios.helpers import BOSS, HELPER, Project, definition


def _changed_definition(project: Project) -> None:
    data = definition()
    data["agents"]["boss"]["max_steps"] = 42
    data["agents"]["helper"]["max_steps"] = 43
    project.set_definition(data)


def _failing_after(count: int, failure: BaseException) -> Callable[..., bool]:
    """An ``atomic_write`` that writes ``count`` files, then raises ``failure``."""
    real = atomic_write
    written = 0

    def write(path: Path, content: str, *, within: Path | None = None) -> bool:
        nonlocal written
        if written == count:
            raise failure
        written += 1
        return real(path, content, within=within)

    return write


def _build_in_process(project: Project) -> None:
    prepared = builder.prepare(project.root)
    assert prepared.ok, prepared.problems
    builder.apply(prepared)


def test_a_killed_build_is_detected_by_check_and_repaired_by_build(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defect: workflows written, ``.dagent/`` not, definition reverted; ``build`` said
    "0 changed" and ``check`` "up to date" while the workflows held the interrupted values."""
    original = project.snapshot()
    _changed_definition(project)
    # A kill gives the build no chance to roll back: only the journal is left behind.
    monkeypatch.setattr(builder, "_roll_back_quietly", lambda root: None)
    monkeypatch.setattr(builder, "atomic_write", _failing_after(4, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        _build_in_process(project)
    monkeypatch.undo()
    assert "MAX_STEPS = 42" in project.read(BOSS) or "MAX_STEPS = 43" in project.read(HELPER)
    project.git("checkout", "--", "dagent.toml")  # the definition is reverted

    checked = project.check(expect=ExitCode.STALE)
    assert f"interrupted: {journal.JOURNAL_FILE}" in checked.stderr
    assert "warning[DG510]" in checked.stderr
    built = project.build()
    assert "warning[DG510]" in built.stderr
    assert project.snapshot() == original  # every file back as the definition says
    project.check()


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), journal.Terminated(signal.SIGTERM)])
def test_an_interrupted_build_rolls_itself_back(
    project: Project, monkeypatch: pytest.MonkeyPatch, stop: BaseException
) -> None:
    _changed_definition(project)
    before = project.snapshot()
    monkeypatch.setattr(builder, "atomic_write", _failing_after(3, stop))
    with pytest.raises(type(stop)):
        _build_in_process(project)
    assert project.snapshot() == before  # no half build, no journal, no temporary file
    monkeypatch.undo()
    project.check(expect=ExitCode.STALE)  # the definition change is still to build
    project.build()
    project.check()


def test_a_write_error_is_a_diagnostic_and_changes_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only folder or a full disk: DG509 with the path, exit 6, no traceback."""
    _changed_definition(project)
    before = project.snapshot()
    failure = OSError(errno.ENOSPC, "No space left on device", str(project.path(HELPER)))
    monkeypatch.setattr(builder, "atomic_write", _failing_after(2, failure))
    monkeypatch.chdir(project.root)
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == ExitCode.WRITE_FAILED, result.output
    assert "error[DG509]" in result.output and HELPER in result.output
    assert "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert project.snapshot() == before


def test_the_journal_itself_cannot_be_written(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only ``.dagent``: the build stops before its first write."""
    _changed_definition(project)
    before = project.snapshot()

    def refuse(root: Path, entries: journal.Journal) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(root / ".dagent"))

    monkeypatch.setattr(journal, "begin", refuse)
    monkeypatch.chdir(project.root)
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == ExitCode.WRITE_FAILED, result.output
    assert "error[DG509]" in result.output and "Permission denied" in result.output
    assert project.snapshot() == before


def test_stale_temporary_files_of_a_killed_build_are_removed(project: Project) -> None:
    folder = project.path(BOSS).parent
    leftover = folder / ".boss.py.k3j_9x0q.tmp"
    leftover.write_text("")
    mine = folder / ".boss.py.notes.tmp"  # not the writer's pattern: someone else's file
    mine.write_text("keep me\n")
    _changed_definition(project)
    project.build()
    assert not leftover.exists()
    assert mine.read_text() == "keep me\n"


def test_sigterm_unwinds_during_a_build() -> None:
    with pytest.raises(journal.Terminated), journal.termination_unwinds():
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0.5) if hasattr(signal, "sigtimedwait") else None
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_ctrl_c_during_build_exits_130_without_a_traceback(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _changed_definition(project)
    before = project.snapshot()
    monkeypatch.setattr(builder, "atomic_write", _failing_after(3, KeyboardInterrupt()))
    monkeypatch.chdir(project.root)
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 130, result.output
    assert "interrupted: the files written so far were rolled back" in result.output
    assert "Traceback" not in result.output
    assert project.snapshot() == before


# A build in its own process that stops after writing two files, until it is signalled.
_PAUSED_BUILD = """
import sys, time
from pathlib import Path
from dagent_gen import builder
real, written = builder.atomic_write, 0
def write(path, content, *, within=None):
    global written
    if written == 2:
        print("PAUSED", flush=True)
        time.sleep(60)
    written += 1
    return real(path, content, within=within)
builder.atomic_write = write
from dagent_gen.cli import app
sys.argv = ["dagent-gen", "build", sys.argv[1]]
app()
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_real_process_signalled_mid_build(project: Project, signum: signal.Signals) -> None:
    """SIGTERM: the build rolls back and exits 130. SIGKILL: the journal is left, the next
    build rolls back and rebuilds."""
    import subprocess
    import sys

    _changed_definition(project)
    before = project.snapshot()
    process = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_BUILD, str(project.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "PAUSED"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert project.snapshot() == before
    else:
        assert project.exists(journal.JOURNAL_FILE)
        project.check(expect=ExitCode.STALE)
    project.build()
    assert not project.exists(journal.JOURNAL_FILE)
    project.check()
    assert "MAX_STEPS = 42" in project.read(BOSS)


def test_commands_that_build_before_running_report_a_write_error_as_a_diagnostic(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run`` and ``dev`` build first (``build_if_stale``): a write error there is the same
    DG509 line as in ``build``, and the command stops, instead of a traceback."""
    from dagent_gen.commands.services import build_if_stale

    _changed_definition(project)
    before = project.snapshot()
    failure = PermissionError(errno.EACCES, "Permission denied", str(project.path(HELPER)))
    monkeypatch.setattr(builder, "atomic_write", _failing_after(1, failure))
    assert build_if_stale(project.root, say=lambda line: None) is None
    captured = capsys.readouterr()
    assert "error[DG509]" in captured.err + captured.out
    assert project.snapshot() == before
