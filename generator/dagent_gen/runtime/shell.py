"""The shell tool ``execute(command)``: one command line, run by ``/bin/sh -c`` in a root folder.

``run_command(config, command, heartbeat=...)`` returns the text the model sees: the command's
stdout and stderr interleaved as written, capped at ``max_output_chars`` (head and tail kept,
with a note of what was cut), then a status line, ``[exit code: N]`` or ``[timed out after Ns;
process group killed]``. A command it will not run raises ``ShellToolError`` (a refusal by the
allow-list: ``ShellCommandRefused``) whose message is meant for the model.

The command runs in a new session, so it and everything it starts share one process group. On
timeout, cancellation or any error the group gets SIGTERM, then SIGKILL after a grace period;
whatever the shell leaves running in its group when it exits is stopped the same way. No
process outlives the call unless it leaves the group on purpose (setsid). The environment is not
inherited except PATH, HOME, LANG and the names listed in ``env``. ``execute_activity_body`` is
the body of a Temporal activity: it heartbeats so that cancellation reaches it.

A shell is not a sandbox; see docs/shell-tool.md.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from temporalio import activity

from . import shell_allow
from . import shell_process

__all__ = [
    "ShellCommandRefused",
    "ShellConfig",
    "ShellToolError",
    "command_environment",
    "execute_activity_body",
    "run_command",
]

ShellToolError = shell_allow.ShellToolError
ShellCommandRefused = shell_allow.ShellCommandRefused

SHELL = "/bin/sh"
MAX_TIMEOUT_SECONDS = 3600.0
DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_MAX_OUTPUT_CHARS = 20_000
MIN_MAX_OUTPUT_CHARS = 1_000
HEARTBEAT_INTERVAL_SECONDS = 2.0
KILL_GRACE_SECONDS = 5.0
DRAIN_SECONDS = 5.0  # waiting for the output pipe to close once the process group is gone
DEFAULT_LANG = "C.UTF-8"
_ENV_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class ShellConfig:
    """How ``execute`` runs commands (the ``[agents.X.shell]`` table of a definition).

    ``root``: the working directory (relative: to the worker's working directory).
    ``timeout``: seconds, more than 0 and at most 3600. ``max_output_chars``: the output cap.
    ``env``: names of the worker's environment variables passed through to commands.
    ``allow``: program names a command may start (None: any); see ``shell_allow``.
    """

    root: Path
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS
    env: tuple[str, ...] = ()
    allow: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))
        if isinstance(self.env, str) or isinstance(self.allow, str):
            raise ValueError("shell env and allow are lists of names, not a string")
        object.__setattr__(self, "env", tuple(self.env))
        if self.allow is not None:
            object.__setattr__(self, "allow", tuple(self.allow))
            for name in self.allow:
                shell_allow.check_program_name(name)
        if not (math.isfinite(self.timeout) and 0 < self.timeout <= MAX_TIMEOUT_SECONDS):
            raise ValueError(
                f"shell timeout must be more than 0 and at most {MAX_TIMEOUT_SECONDS:g} "
                f"seconds, got {self.timeout!r}"
            )
        if self.max_output_chars < MIN_MAX_OUTPUT_CHARS:
            raise ValueError(f"shell max_output_chars must be at least {MIN_MAX_OUTPUT_CHARS}")
        for name in self.env:
            if not name or name[0].isdigit() or not set(name) <= _ENV_NAME_CHARS:
                raise ValueError(f"shell env entry {name!r} is not an environment variable name")


def command_environment(
    config: ShellConfig, worker_env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a command: PATH, HOME, LANG and the passed-through names, nothing else.

    PATH is the worker's (or ``os.defpath``), HOME the worker's if set, LANG the worker's or
    C.UTF-8. Names in ``config.env`` that the worker does not have are left out.
    """
    source = dict(os.environ) if worker_env is None else worker_env
    env = {"PATH": source.get("PATH") or os.defpath, "LANG": source.get("LANG") or DEFAULT_LANG}
    if source.get("HOME"):
        env["HOME"] = source["HOME"]
    env.update({name: source[name] for name in config.env if name in source})
    return env


async def execute_activity_body(config: ShellConfig, command: str) -> str:
    """``run_command`` with ``activity.heartbeat`` when called inside a Temporal activity.

    Give the activity a ``heartbeat_timeout`` (cancellation only reaches an activity that
    heartbeats) and a ``start_to_close_timeout`` above ``config.timeout`` plus ~15 s.
    """
    heartbeat = activity.heartbeat if activity.in_activity() else None
    return await run_command(config, command, heartbeat=heartbeat)


async def run_command(
    config: ShellConfig,
    command: str,
    *,
    heartbeat: Callable[[], None] | None = None,
    heartbeat_interval: float = HEARTBEAT_INTERVAL_SECONDS,
    kill_grace: float = KILL_GRACE_SECONDS,
) -> str:
    """Run ``command`` with ``/bin/sh -c`` in ``config.root``; return output and status line.

    ``heartbeat`` is called every ``heartbeat_interval`` seconds while the command runs. When
    this coroutine is cancelled, the command's process group is killed and the cancellation
    re-raised. Raises ``ShellToolError`` for a command it will not run.
    """
    if not command.strip():
        raise ShellToolError("the command is empty")
    if "\0" in command:
        raise ShellToolError("the command contains a NUL character")
    if config.allow is not None:
        shell_allow.check_command(command, config.allow)
    if not config.root.is_dir():
        raise ShellToolError(f"the shell's working directory {config.root} is not a directory")
    output = shell_process.CappedOutput(config.max_output_chars)
    read_fd, write_fd = os.pipe()  # one pipe for stdout and stderr keeps them in write order
    try:
        transport, reader = await _read_pipe(read_fd, output)
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    try:
        process = await _spawn(config, command, write_fd)
    except BaseException:
        transport.close()
        raise
    finally:
        os.close(write_fd)
    try:
        finished = await _wait(process, config.timeout, heartbeat, heartbeat_interval)
        # Also when the shell exited: what it left running in its group (jobs started with &)
        # must not outlive the call.
        await shell_process.terminate_group(process.pid, kill_grace)
        drained = await _drain(reader)
    except BaseException:
        reader.cancel()
        await shell_process.terminate_group(process.pid, kill_grace)
        raise
    finally:
        transport.close()
    if finished:
        status = _exit_status(process.returncode)
    else:
        status = f"[timed out after {config.timeout:g}s; process group killed]"
    return output.render(status, drained)


async def _spawn(config: ShellConfig, command: str, output_fd: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        SHELL,
        "-c",
        command,
        cwd=config.root,
        env=command_environment(config),
        stdin=subprocess.DEVNULL,
        stdout=output_fd,
        stderr=output_fd,
        start_new_session=True,  # its own process group, killed as a whole
    )


async def _read_pipe(
    read_fd: int, output: shell_process.CappedOutput
) -> tuple[asyncio.ReadTransport, asyncio.Task[None]]:
    """Start reading the command's output pipe into ``output``."""
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader(limit=shell_process.READ_CHUNK_BYTES, loop=loop)
    pipe = open(read_fd, "rb", buffering=0)  # noqa: SIM115 - the transport owns and closes it
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(stream, loop=loop), pipe
    )
    return transport, asyncio.create_task(_collect(stream, output))


async def _collect(stream: asyncio.StreamReader, output: shell_process.CappedOutput) -> None:
    while chunk := await stream.read(shell_process.READ_CHUNK_BYTES):
        output.feed(chunk)
    output.feed(b"", final=True)


async def _wait(
    process: asyncio.subprocess.Process,
    timeout: float,
    heartbeat: Callable[[], None] | None,
    interval: float,
) -> bool:
    """Wait for the shell to exit, heartbeating; False when ``timeout`` passed first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    exited = asyncio.ensure_future(process.wait())
    try:
        while True:
            if heartbeat is not None:
                heartbeat()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            done, _ = await asyncio.wait({exited}, timeout=min(interval, remaining))
            if done:
                return True
    finally:
        exited.cancel()


async def _drain(reader: asyncio.Task[None]) -> bool:
    """Let the reader reach the end of the output; False if the pipe stays open (see below)."""
    done, _ = await asyncio.wait({reader}, timeout=DRAIN_SECONDS)
    if done:
        reader.result()
        return True
    reader.cancel()  # a process that left the group (setsid) still holds the pipe
    return False


def _exit_status(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"[exit code: {returncode} (shell killed by {signal.Signals(-returncode).name})]"
    return f"[exit code: {returncode}]"
