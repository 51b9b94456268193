"""The build journal: what makes a build all-or-nothing across many files.

Before ``apply`` writes anything it records, in ``.dagent/journal.json``, the text every file it
is about to change has now (``before``, null if it does not exist) and the hash of what it will
write (``after_sha256``, null for a deletion). The journal is deleted once the last file, the
lock, is written. So a journal on disk means a build was interrupted (Ctrl-C, SIGTERM, a full
disk, a crash): ``roll_back`` restores every file the interrupted build got to, and the next
build starts from a consistent project. A file changed since (its text is neither ``before``
nor what the build wrote) is never overwritten: it is kept, with a warning.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, warning
from dagent_gen.state import STATE_DIR, resolve_inside, sha256, unsafe_path
from dagent_gen.write import UnsafePathError, atomic_write, remove_file

JOURNAL_FILE = f"{STATE_DIR}/journal.json"


class JournalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    before: str | None  # the file's text before the build; None: it did not exist
    after_sha256: str | None  # hash of what the build writes; None: the build deletes it


class Journal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, JournalEntry] = Field(default_factory=dict)


def has_journal(root: Path) -> bool:
    return (root / JOURNAL_FILE).exists()


def begin(root: Path, journal: Journal) -> None:
    """Record the journal (atomically) before the first write of a build."""
    atomic_write(root / JOURNAL_FILE, journal.model_dump_json(indent=1) + "\n", within=root)


def finish(root: Path) -> None:
    """The build is complete: forget the journal."""
    (root / JOURNAL_FILE).unlink(missing_ok=True)


def interrupted(root: Path) -> Diagnostic:
    return warning(
        Code.INTERRUPTED_BUILD,
        "an earlier build was interrupted before it finished (.dagent/journal.json exists)",
        Location(str(root / JOURNAL_FILE)),
        "`dagent-gen build` rolls the interrupted build back, then builds again",
    )


def roll_back(root: Path) -> list[Diagnostic]:
    """Undo what an interrupted build wrote; a warning per file kept, and DG510 itself."""
    path = root / JOURNAL_FILE
    try:
        journal = Journal.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (ValidationError, ValueError):
        path.unlink()  # unreadable: the rebuild compares every file with its expected text
        return [interrupted(root)]
    problems = [interrupted(root)]
    for name, entry in sorted(journal.files.items()):
        problem = _restore(root, name, entry)
        if problem is not None:
            problems.append(problem)
    finish(root)
    return problems


def _restore(root: Path, name: str, entry: JournalEntry) -> Diagnostic | None:
    target = resolve_inside(root, name)
    if target is None:
        return unsafe_path(name, str(root / JOURNAL_FILE), "it is outside the project")
    try:
        disk: str | None = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        disk = None
    if disk == entry.before:
        return None
    landed = sha256(disk) == entry.after_sha256 if disk is not None else entry.after_sha256 is None
    if not landed:
        return warning(
            Code.INTERRUPTED_BUILD,
            f"{name} changed after the interrupted build; kept as it is",
            Location(name, 1),
            "review it: the next build treats it like any other file on disk",
        )
    try:
        if entry.before is None:
            remove_file(target, root)
        else:
            atomic_write(target, entry.before, within=root)
    except UnsafePathError as err:
        return unsafe_path(name, str(root / JOURNAL_FILE), str(err))
    # Named, so a journal that did not come from an interrupted build (say, one committed to
    # the repository, where `dagent-gen check` already fails on it) cannot change files unseen.
    return warning(
        Code.INTERRUPTED_BUILD,
        f"{name} restored to its text from before the interrupted build",
        Location(name, 1),
    )


class Terminated(BaseException):
    """SIGTERM during a build: unwinds like Ctrl-C so the build can roll itself back."""


@contextlib.contextmanager
def termination_unwinds() -> Iterator[None]:
    """Turn SIGTERM into ``Terminated`` for the duration (main thread only; elsewhere Python
    cannot install signal handlers and the journal still covers a kill)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
