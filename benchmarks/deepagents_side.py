"""Run the N-step loop on temporalio-deepagents; called by ``tool_loop.py`` in a subprocess.

    benchmarks/.venv-deepagents/bin/python benchmarks/deepagents_side.py \
        --address 127.0.0.1:7233 --base-url http://127.0.0.1:PORT/v1 --steps 10 --workflow-id X

Prints one JSON object on stdout: status (``completed``, ``terminated``, ``failed``,
``timeout``), wall seconds, counters (activity runs, heartbeats, queries) and the error text.
The history is measured by the caller.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from counters import Counting
from deepagents_workflow import DeepAgentsBench
from temporalio.client import Client, WorkflowFailureError
from temporalio.deepagents import DeepAgentsPlugin
from temporalio.exceptions import TerminatedError
from temporalio.service import RPCError
from temporalio.worker import Worker


async def run(args: argparse.Namespace) -> dict[str, Any]:
    counting = Counting()
    client = await Client.connect(
        args.address, plugins=[DeepAgentsPlugin()], interceptors=[counting]
    )
    queue = f"deepagents-{uuid.uuid4().hex[:8]}"
    outcome: dict[str, Any] = {"status": "completed", "error": ""}
    async with Worker(client, task_queue=queue, workflows=[DeepAgentsBench]):
        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                client.execute_workflow(
                    DeepAgentsBench.run, args.steps, id=args.workflow_id, task_queue=queue
                ),
                timeout=args.timeout,
            )
        except TimeoutError:
            outcome = {"status": "timeout", "error": f"no result within {args.timeout:.1f} s"}
        except WorkflowFailureError as error:
            terminated = isinstance(error.cause, TerminatedError)
            outcome = {
                "status": "terminated" if terminated else "failed",
                "error": str(error.cause or error),
            }
        outcome["wall"] = time.perf_counter() - started
        if outcome["status"] == "timeout":
            # The run may not have started yet, or may have ended meanwhile.
            with contextlib.suppress(RPCError):
                await client.get_workflow_handle(args.workflow_id).terminate("benchmark timeout")
    outcome["counts"] = counting.snapshot()
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--workflow-id", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    # LangChain's init_chat_model builds ChatOpenAI on the worker; point it at the fake model.
    os.environ["OPENAI_API_KEY"] = "bench"
    os.environ["OPENAI_BASE_URL"] = args.base_url
    os.environ["OPENAI_API_BASE"] = args.base_url
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
