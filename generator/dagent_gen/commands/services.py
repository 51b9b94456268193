"""Local services the ``run`` and ``dev`` commands start when they are missing.

Each is a context manager that stops what it started, so no process outlives the command.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator

DEFAULT_ADDRESS = "localhost:7233"


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
        "(it plans one step and answers with a canned text). Set OPENAI_API_KEY for real answers."
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
def temporal_for_run(say: Callable[[str], None]) -> Iterator[tuple[str, str | None]]:
    address = os.environ.get("TEMPORAL_ADDRESS", DEFAULT_ADDRESS)
    if temporal_answers(address):
        say(f"using the Temporal server at {address}")
        ui = "http://localhost:8233" if address in (DEFAULT_ADDRESS, "127.0.0.1:7233") else None
        yield address, ui
        return
    say(f"no Temporal server at {address}: starting an embedded dev server")
    from dagent_gen.testing import TemporalDevServer

    server = TemporalDevServer(ui=True).start()
    say(f"embedded Temporal dev server at {server.address} (pid {server.pid})")
    try:
        yield server.address, server.ui_url
    finally:
        server.stop()
        say("stopped the embedded Temporal dev server")
