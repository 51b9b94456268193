"""What the ``run`` and ``dev`` commands share: the build before a run, the local services they
start when they are missing, and how the in-process pieces behave (logging, activity slots).

Each service is a context manager that stops what it started, so no process outlives the
command; :func:`stop_on_termination` makes that true for SIGTERM and SIGHUP as for Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from dagent_gen.builder import BuildFailed, apply, prepare
from dagent_gen.commands.console import report
from dagent_gen.pipeline import Generation

DEFAULT_ADDRESS = "localhost:7233"
STANDARD_PORT, STANDARD_UI_PORT = 7233, 8233  # what READMEs and the client default to


def build_if_stale(path: Path, say: Callable[[str], None]) -> Generation | None:
    """Build the project (writing only what changed); None, with the errors printed, if the
    definition is broken or the merge needs the user."""
    prepared = prepare(path)
    report(prepared.problems)
    if not prepared.ok or prepared.generation is None:
        return None
    try:
        changed = apply(prepared)
    except BuildFailed as failed:  # a write error, rolled back: a diagnostic, not a traceback
        report([failed.diagnostic])
        return None
    if changed:
        say(f"built {prepared.generation.model.package}: {len(changed)} files changed")
    return prepared.generation


@contextlib.contextmanager
def offline_model_if_needed(say: Callable[[str], None]) -> Iterator[None]:
    """With no model configured, point the openai client at the offline scripted model."""
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        yield
        return
    from dagent_gen.testing.offline_model import offline_endpoint

    with offline_endpoint():
        say(
            "No OPENAI_API_KEY or OPENAI_BASE_URL set: running on the OFFLINE model (it picks "
            "the tool the task names, calls it once and answers with what it returned; see "
            "docs/offline-model.md). Set OPENAI_API_KEY for real answers."
        )
        yield


def temporal_answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=0.5):
            return True
    except (OSError, ValueError):
        return False


@dataclass(frozen=True)
class Temporal:
    """The Temporal service a command uses: its address, and its Web UI when known."""

    address: str
    ui_url: str | None
    embedded: bool


@contextlib.contextmanager
def local_temporal(
    say: Callable[[str], None], db_filename: Path | None = None
) -> Iterator[Temporal]:
    """The server at TEMPORAL_ADDRESS if one answers, else an embedded dev server with the Web
    UI on the standard ports when they are free (keeping its database in ``db_filename`` when
    given, in a folder git ignores)."""
    address = os.environ.get("TEMPORAL_ADDRESS", DEFAULT_ADDRESS)
    if temporal_answers(address):
        say(f"using the Temporal server at {address}")
        local = address in (DEFAULT_ADDRESS, f"127.0.0.1:{STANDARD_PORT}")
        yield Temporal(address, f"http://localhost:{STANDARD_UI_PORT}" if local else None, False)
        return
    say(f"no Temporal server at {address}: starting an embedded dev server")
    from dagent_gen.devserver import TemporalDevServer

    if db_filename is not None:
        keep_out_of_git(db_filename.parent)
    server = TemporalDevServer(
        ui=True, db_filename=db_filename, port=STANDARD_PORT, ui_port=STANDARD_UI_PORT
    ).start()
    say(f"embedded Temporal dev server at {server.address} (pid {server.pid})")
    try:
        yield Temporal(server.address, server.ui_url, True)
    finally:
        server.stop()
        say("stopped the embedded Temporal dev server")


def keep_out_of_git(folder: Path) -> None:
    """Create ``folder`` with a ``.gitignore`` that ignores everything in it: run histories
    stay local even inside ``.dagent/``, which projects commit."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# local run data of `dagent-gen dev`: never commit it\n*\n")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so every ``finally`` runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """The shell's status for a command ended by a signal: 128 + its number."""
    return 128 + (interrupt.signum if isinstance(interrupt, Terminated) else signal.SIGINT)


class Stopper:
    """Turns SIGINT, SIGTERM and SIGHUP into an orderly stop (see :func:`stop_on_termination`).

    Outside an event loop the first signal raises KeyboardInterrupt (:class:`Terminated` for
    SIGTERM / SIGHUP) in the main thread. While :meth:`cancelling` is active it cancels that
    task instead: an exception raised at a random point inside the loop would land in whatever
    callback runs (an HTTP client, the SDK) and can leave the loop unable to shut down.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._cancel: Callable[[], None] | None = None

    def interrupt(self) -> KeyboardInterrupt:
        """The exception that ends the command for the signal that arrived."""
        if self.signum in (None, signal.SIGINT):
            return KeyboardInterrupt()
        return Terminated(self.signum)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            return  # already stopping: let the cleanup that stops the server finish
        self.signum = signum
        if self._cancel is not None:
            self._cancel()
            return
        raise self.interrupt()

    @contextlib.contextmanager
    def cancelling(self, task: asyncio.Task[Any]) -> Iterator[None]:
        """While inside, a signal cancels ``task`` (on its loop) instead of raising."""
        loop = task.get_loop()

        def cancel() -> None:
            loop.call_soon_threadsafe(task.cancel)

        self._cancel = cancel
        try:
            if self.signum is not None:  # arrived just before: act on it now
                task.cancel()
            yield
        finally:
            self._cancel = None


@contextlib.contextmanager
def stop_on_termination() -> Iterator[Stopper]:
    """Handle SIGINT, SIGTERM and SIGHUP with a :class:`Stopper` (once: signals that arrive
    while the command is stopping are ignored, so the cleanup that stops the embedded server is
    not cut short); the previous handlers come back afterwards."""
    stopper = Stopper()
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, stopper.handle) for signum in signals}
    try:
        yield stopper
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def activity_slots() -> int:
    """How many activities a worker runs at once; also the size of its tool thread pool, so
    an activity it accepts never waits for a thread while its start-to-close timeout runs."""
    value = os.environ.get("DAGENT_MAX_ACTIVITIES", "").strip() or "32"
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"error: DAGENT_MAX_ACTIVITIES={value!r} is not a positive whole number")
    return int(value)
