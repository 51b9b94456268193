"""Helpers of the end-to-end tests: build projects, run workers and clients, read history."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import Client, WorkflowHistory

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
WORKER_READY = "worker polling"
WORKER_START_TIMEOUT = 60.0
BUILD_TIMEOUT = 120.0
CACHE_DIRS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


def unique(prefix: str) -> str:
    """A name no other test (or earlier run against the same server) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- building projects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A built project folder: the definition, the tools modules and the generated package."""

    root: Path
    package: str


def build_project(root: Path, package: str) -> Project:
    """Run ``dagent-gen build`` on ``root`` in a subprocess; the build must succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "build", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (
        f"dagent-gen build {root} exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
    assert (root / package / "worker.py").is_file(), result.stdout
    return Project(root=root, package=package)


def write_project(
    root: Path,
    package: str,
    definition: str,
    modules: dict[str, str],
    definition_name: str = "dagent.toml",
) -> Project:
    """Write a definition and its tools modules (``{module name: source}``), then build."""
    root.mkdir(parents=True, exist_ok=True)
    (root / definition_name).write_text(textwrap.dedent(definition).lstrip(), encoding="utf-8")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return build_project(root, package)


def copy_example(name: str, dest: Path, package: str) -> Project:
    """Copy ``examples/<name>`` without its generated package and build it afresh.

    The fresh build makes the test exercise what the current templates generate.
    """
    source = EXAMPLES / name

    def ignore(directory: str, names: list[str]) -> list[str]:
        skipped = [n for n in names if n in CACHE_DIRS or n == ".dagent"]
        if Path(directory) == source:
            skipped.append(package)
        return skipped

    shutil.copytree(source, dest, ignore=ignore)
    return build_project(dest, package)


# -- running workers and clients --------------------------------------------------------------


def subprocess_env(temporal: TemporalDevServer, **extra: str) -> dict[str, str]:
    """The environment of a generated worker or client: no inherited Temporal/OpenAI settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEMPORAL_", "OPENAI_"))
        and not key.endswith(("_API_KEY", "_BASE_URL"))  # other providers' settings
    }
    env.update(
        TEMPORAL_ADDRESS=temporal.address,
        TEMPORAL_NAMESPACE=temporal.namespace,
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


@dataclass
class Worker:
    """A generated worker (``python -m <pkg>.worker``) running in its own process group."""

    project: Project
    task_queue: str
    api_key: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Worker:
        """Launch the worker and wait until it prints that it polls the task queue."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    f"{self.project.package}.worker",
                    "--task-queue",
                    self.task_queue,
                ],
                cwd=self.project.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while WORKER_READY not in self.log():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"worker exited with {self.process.returncode} before polling:\n{self.log()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"worker did not start polling in time:\n{self.log()}")
            time.sleep(0.05)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would, and reap the process."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self, grace_period: float = 10.0) -> None:
        """SIGTERM (the worker shuts down cleanly), then SIGKILL whatever is left."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_period)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


StartWorker = Callable[..., Worker]
"""The ``start_worker`` fixture: ``start_worker(project, task_queue=None, env=None) -> Worker``."""


def run_client(
    project: Project,
    temporal: TemporalDevServer,
    args: Sequence[str],
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <pkg>.client ARGS`` (it needs no model API key) and capture output."""
    return subprocess.run(
        [sys.executable, "-m", f"{project.package}.client", *args],
        cwd=project.root,
        env=subprocess_env(temporal),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def connect(temporal: TemporalDevServer) -> Client:
    return await Client.connect(temporal.address, namespace=temporal.namespace)


# -- reading history --------------------------------------------------------------------------


def decode(payload: Payload) -> Any:
    """A JSON payload's value (the default data converter's encoding)."""
    assert payload.metadata.get("encoding") == b"json/plain", payload.metadata
    return json.loads(payload.data)


class EventLog:
    """One workflow run's history, with the lookups the tests assert on."""

    def __init__(self, history: WorkflowHistory) -> None:
        self.workflow_id = history.workflow_id
        self.events: list[HistoryEvent] = list(history.events)
        self._history = history

    @property
    def history(self) -> WorkflowHistory:
        """The run's history as fetched, e.g. to replay it with ``temporalio.worker.Replayer``."""
        return self._history

    @staticmethod
    def _type(name: str) -> int:
        return EventType.Value(f"EVENT_TYPE_{name}")

    def of(self, name: str) -> list[HistoryEvent]:
        """Events of one type, e.g. ``of("ACTIVITY_TASK_SCHEDULED")``."""
        kind = self._type(name)
        return [event for event in self.events if event.event_type == kind]

    def count(self, name: str) -> int:
        return len(self.of(name))

    def by_id(self, event_id: int) -> HistoryEvent:
        return next(event for event in self.events if event.event_id == event_id)

    def scheduled_activities(self) -> list[str]:
        """Activity type names, in the order the workflow scheduled them."""
        return [
            event.activity_task_scheduled_event_attributes.activity_type.name
            for event in self.of("ACTIVITY_TASK_SCHEDULED")
        ]

    def activity_type_of(self, event: HistoryEvent) -> str:
        """The activity type an ActivityTaskStarted/Completed/Failed event belongs to."""
        attributes = getattr(event, str(event.WhichOneof("attributes")))
        scheduled = self.by_id(attributes.scheduled_event_id)
        return scheduled.activity_task_scheduled_event_attributes.activity_type.name

    def started_attempts(self, activity_type: str) -> list[int]:
        """The attempt of each ActivityTaskStarted of ``activity_type`` (the last attempt run)."""
        return [
            event.activity_task_started_event_attributes.attempt
            for event in self.of("ACTIVITY_TASK_STARTED")
            if self.activity_type_of(event) == activity_type
        ]

    def activity_inputs(self, activity_type: str) -> list[Any]:
        return [
            decode(event.activity_task_scheduled_event_attributes.input.payloads[0])
            for event in self.of("ACTIVITY_TASK_SCHEDULED")
            if event.activity_task_scheduled_event_attributes.activity_type.name == activity_type
        ]

    def failed_activities(self) -> list[tuple[str, str, bool]]:
        """``(activity type, failure type, non_retryable)`` of each ActivityTaskFailed."""
        found = []
        for event in self.of("ACTIVITY_TASK_FAILED"):
            failure = event.activity_task_failed_event_attributes.failure
            info = failure.application_failure_info
            found.append((self.activity_type_of(event), info.type, info.non_retryable))
        return found

    def children(self) -> list[tuple[str, str]]:
        """``(workflow type, workflow id)`` of each child workflow the run started."""
        return [
            (
                event.start_child_workflow_execution_initiated_event_attributes.workflow_type.name,
                event.start_child_workflow_execution_initiated_event_attributes.workflow_id,
            )
            for event in self.of("START_CHILD_WORKFLOW_EXECUTION_INITIATED")
        ]

    def binary(self) -> bytes:
        """The protobuf encoding: payload data appear verbatim (JSON would base64 them)."""
        return History(events=self.events).SerializeToString()

    def compact_json(self) -> str:
        """History as compact JSON, the way ``temporal workflow show -o json`` exports it."""
        return json.dumps(self._history.to_json_dict(), separators=(",", ":"))

    def assert_healthy(self) -> None:
        """The run never failed a workflow task (no nondeterminism, no workflow-code crash)."""
        failed = self.of("WORKFLOW_TASK_FAILED")
        details = [e.workflow_task_failed_event_attributes.failure.message for e in failed]
        assert failed == [], details


def run_agent(
    temporal: TemporalDevServer, agent: str, task: str, *, task_queue: str, workflow_id: str
) -> tuple[dict[str, Any], EventLog]:
    """Run one agent to completion by workflow type name; its result and its history."""

    async def run() -> tuple[dict[str, Any], EventLog]:
        client = await connect(temporal)
        output = await client.execute_workflow(
            agent, {"task": task}, id=workflow_id, task_queue=task_queue, result_type=dict
        )
        return output, await fetch_history(client, workflow_id)

    return asyncio.run(run())


async def fetch_history(client: Client, workflow_id: str, run_id: str | None = None) -> EventLog:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    return EventLog(await handle.fetch_history())


async def history_has(client: Client, workflow_id: str, event_type: str) -> bool:
    """Whether ``workflow_id``'s history holds an event of ``event_type`` yet."""
    return (await fetch_history(client, workflow_id)).count(event_type) > 0


UNTIL_TIMEOUT = 60.0  # generous: a busy CI box


async def until(check: Any, what: str, *, deadline: float | None = None) -> None:
    """Poll ``check()`` (sync or async) until it is true; fail naming ``what`` at ``deadline``
    (a ``time.monotonic()`` value; default UNTIL_TIMEOUT seconds from now)."""
    if deadline is None:
        deadline = time.monotonic() + UNTIL_TIMEOUT
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def tool_messages(request: dict[str, Any]) -> dict[str, str]:
    """``{tool_call_id: content}`` of the tool messages of one model request."""
    return {
        message["tool_call_id"]: message["content"]
        for message in request["messages"]
        if message["role"] == "tool"
    }


def answered_calls(request: dict[str, Any]) -> list[tuple[str, dict[str, Any] | str, str]]:
    """``(tool name, arguments, tool message)`` for every tool call answered in ``request``."""
    results = tool_messages(request)
    found = []
    for message in request["messages"]:
        for call in message.get("tool_calls") or []:
            raw: str = call["function"]["arguments"]
            arguments: dict[str, Any] | str = raw
            with contextlib.suppress(ValueError):
                arguments = json.loads(raw)
            found.append((call["function"]["name"], arguments, results[call["id"]]))
    return found


def tool_choices(server: ScriptedModelServer) -> list[Any]:
    return [request.get("tool_choice") for request in server.requests]


# -- measuring processes ----------------------------------------------------------------------


def process_memory_kib(pid: int) -> dict[str, int]:
    """The ``Vm*`` lines of ``/proc/<pid>/status`` in KiB (``VmHWM``: peak resident memory).

    Empty where ``/proc`` does not exist (not Linux): the figures are informative only.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return {}
    found = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key.startswith("Vm") and value.strip().endswith("kB"):
            found[key] = int(value.split()[0])
    return found
