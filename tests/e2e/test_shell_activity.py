"""The shell tool inside a real Temporal activity: cancelling the workflow kills the command.

A worker runs in this process with one activity whose body is ``execute_activity_body``. The
workflow waits for the activity's cancellation to complete (WAIT_CANCELLATION_COMPLETED), so when
its result arrives the activity has already handled the cancellation; the processes are checked
before the worker shuts down, because a worker shutdown would cancel the activity too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError
from temporalio.worker import Worker

from dagent_gen.runtime.shell import ShellConfig, execute_activity_body
from dagent_gen.testing import TemporalDevServer

from .support import unique

pytestmark = pytest.mark.e2e

BOUND = 60.0
COMMAND = "sleep 300 & echo $! >> pids; sleep 300 & echo $! >> pids; echo $$ >> pids; wait"


@workflow.defn(sandboxed=False)
class ShellCommandWorkflow:
    @workflow.run
    async def run(self, command: str) -> str:
        result: str = await workflow.execute_activity(
            "shell_execute",
            command,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        return result


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


async def wait_until(condition: Callable[[], bool], bound: float = BOUND) -> bool:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def test_cancelling_the_workflow_kills_the_commands_process_group(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    config = ShellConfig(root=tmp_path, timeout=600)
    pid_file = tmp_path / "pids"

    @activity.defn(name="shell_execute")
    async def shell_execute(command: str) -> str:
        return await execute_activity_body(config, command)

    async def scenario() -> tuple[list[int], list[int]]:
        client = await Client.connect(temporal_server.address, namespace=temporal_server.namespace)
        task_queue = unique("shell-activity")
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[ShellCommandWorkflow],
            activities=[shell_execute],
        ):
            handle = await client.start_workflow(
                ShellCommandWorkflow.run, COMMAND, id=unique("shell-cancel"), task_queue=task_queue
            )
            assert await wait_until(lambda: len(pids_in(pid_file)) == 3), pids_in(pid_file)
            pids = pids_in(pid_file)
            assert all(alive(pid) for pid in pids)
            await handle.cancel()
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
            assert isinstance(failure.value.cause, CancelledError), repr(failure.value.cause)
            await wait_until(lambda: not any(alive(pid) for pid in pids))
            return pids, [pid for pid in pids if alive(pid)]

    pids, survivors = asyncio.run(scenario())
    assert len(pids) == 3
    assert survivors == []
