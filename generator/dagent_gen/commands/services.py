"""What the ``run`` and ``dev`` commands share: the build before a run, and the local services
they start when they are missing.

Each service is a context manager that stops what it started, so no process outlives the
command.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from dagent_gen.builder import apply, prepare
from dagent_gen.commands.console import report
from dagent_gen.pipeline import Generation

DEFAULT_ADDRESS = "localhost:7233"


def build_if_stale(path: Path, say: Callable[[str], None]) -> Generation | None:
    """Build the project (writing only what changed); None, with the errors printed, if the
    definition is broken or the merge needs the user."""
    prepared = prepare(path)
    report(prepared.problems)
    if not prepared.ok or prepared.generation is None:
        return None
    changed = apply(prepared)
    if changed:
        say(f"built {prepared.generation.model.package}: {len(changed)} files changed")
    return prepared.generation


@contextlib.contextmanager
def offline_model_if_needed(say: Callable[[str], None]) -> Iterator[None]:
    """With no model configured, point the openai client at the offline scripted model."""
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        yield
        return
    from dagent_gen.testing import ScriptedModelServer, offline_reply, respond

    server = ScriptedModelServer(default=respond(offline_reply)).start()
    saved = {key: os.environ.get(key) for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    os.environ["OPENAI_API_KEY"] = "offline"
    os.environ["OPENAI_BASE_URL"] = server.base_url
    say(
        "No OPENAI_API_KEY or OPENAI_BASE_URL set: running on the OFFLINE scripted model "
        "(it plans one step, calls a tool once and answers with what it returned). "
        "Set OPENAI_API_KEY for real answers."
    )
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def temporal_answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=0.5):
            return True
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def local_temporal(
    say: Callable[[str], None], db_filename: Path | None = None
) -> Iterator[tuple[str, str | None]]:
    """The server at TEMPORAL_ADDRESS if one answers, else an embedded dev server with the Web
    UI (keeping its database in ``db_filename`` when given). Yields (address, Web UI URL)."""
    address = os.environ.get("TEMPORAL_ADDRESS", DEFAULT_ADDRESS)
    if temporal_answers(address):
        say(f"using the Temporal server at {address}")
        ui = "http://localhost:8233" if address in (DEFAULT_ADDRESS, "127.0.0.1:7233") else None
        yield address, ui
        return
    say(f"no Temporal server at {address}: starting an embedded dev server")
    from dagent_gen.testing import TemporalDevServer

    if db_filename is not None:
        db_filename.parent.mkdir(parents=True, exist_ok=True)
    server = TemporalDevServer(ui=True, db_filename=db_filename).start()
    say(f"embedded Temporal dev server at {server.address} (pid {server.pid})")
    try:
        yield server.address, server.ui_url
    finally:
        server.stop()
        say("stopped the embedded Temporal dev server")
