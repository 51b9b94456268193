"""A temporalio-deepagents worker for the cold-start benchmark (``worker_start.py``).

    benchmarks/.venv-deepagents/bin/python benchmarks/deepagents_worker.py --address HOST:PORT

The counterpart of a generated ``python -m <package>.worker``: imports the plugin and the
benchmark's agent workflow, connects with ``DeepAgentsPlugin``, starts a worker and prints
``worker polling`` once it polls; stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deepagents_workflow import DeepAgentsBench
from temporalio.client import Client
from temporalio.deepagents import DeepAgentsPlugin
from temporalio.worker import Worker


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address, plugins=[DeepAgentsPlugin()])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[DeepAgentsBench]):
        print(f"worker polling task queue {task_queue!r}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", default="deepagents-cold-start")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
