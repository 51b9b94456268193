"""``dagent-gen dev``: a dev server with Web UI and a worker that follows your edits.

The dev server keeps its database in ``.dagent/dev/temporal.db`` (the folder carries its own
``.gitignore``: run histories never get committed with ``.dagent/``), so runs survive a restart
of ``dev``. It prefers the standard ports 7233 / 8233, and prints how to send it a task. When the definition or any Python file of the project changes, the project
is rebuilt and the worker restarted; a failed rebuild keeps the old worker and prints the errors.
Ctrl-C, SIGTERM or SIGHUP stop everything this command started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from dagent_gen.commands.services import (
    Temporal,
    build_if_stale,
    local_temporal,
    offline_model_if_needed,
)
from dagent_gen.exit_codes import ExitCode
from dagent_gen.state import STATE_DIR

POLL_SECONDS = 1.0
SKIPPED_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", STATE_DIR}


def dev_command(
    path: Annotated[Path, typer.Argument(help="Project folder or definition file.")] = Path("."),
) -> None:
    """Run a dev server (with Web UI) and a worker that is rebuilt and restarted on every edit."""

    def say(text: str) -> None:
        typer.echo(text, err=True)

    generation = build_if_stale(path, say)
    if generation is None:
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    project_dir = generation.project_dir.resolve()
    package = generation.model.package
    stop = _stop_on_signals()
    with contextlib.ExitStack() as stack:
        stack.enter_context(offline_model_if_needed(say))
        database = project_dir / STATE_DIR / "dev" / "temporal.db"
        temporal = stack.enter_context(local_temporal(say, db_filename=database))
        address = temporal.address
        worker = _Worker(project_dir, package, address, say)
        stack.callback(lambda: worker.stop())  # late binding: stops the current worker
        worker.start()
        _say_how_to_use(temporal, package, say)
        snapshot = _snapshot(project_dir)
        while not stop():
            time.sleep(POLL_SECONDS)
            current = _snapshot(project_dir)
            if current == snapshot:
                continue
            snapshot = current
            say("change detected: rebuilding")
            rebuilt = build_if_stale(path, say)
            if rebuilt is None:
                say("build failed: the previous worker keeps running")
                continue
            snapshot = _snapshot(project_dir)  # the build itself may have written files
            worker.stop()
            worker = _Worker(project_dir, rebuilt.model.package, address, say)
            worker.start()
            say("worker restarted")
    say("dev stopped")


def _say_how_to_use(temporal: Temporal, package: str, say: Callable[[str], None]) -> None:
    say("send it a task (from the project folder):")
    say(f'  TEMPORAL_ADDRESS={temporal.address} python -m {package}.client "your task"')
    if temporal.ui_url:
        say(f"Web UI: {temporal.ui_url}")


def _snapshot(root: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in files:
            if name.endswith((".py", ".toml")):
                file = Path(folder, name)
                with contextlib.suppress(OSError):
                    found[str(file)] = file.stat().st_mtime
    return found


def _stop_on_signals() -> Callable[[], bool]:
    stopped = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stopped
        stopped = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)
    return lambda: stopped


class _Worker:
    """The generated worker as a child process (``python -m <package>.worker``)."""

    def __init__(self, project_dir: Path, package: str, address: str, say: Callable[[str], None]):
        self.project_dir = project_dir
        self.package = package
        self.address = address
        self.say = say
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ, TEMPORAL_ADDRESS=self.address)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.project_dir), env.get("PYTHONPATH", "")])
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"{self.package}.worker"],
            cwd=self.project_dir,
            env=env,
            start_new_session=True,
        )
        self.say(f"worker started (pid {self.process.pid})")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
