"""The engine's limit for an N-step loop: 2N + 1 no-op activities in a row on the same server.

An N-step tool loop that ends in an answer needs N + 1 model calls and N tool calls, each a
round trip through the server; the benchmark runs this workflow with that many round trips
that do nothing, so its wall time is what the server and the SDK cost before any agent code
runs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy


@activity.defn(name="noop")
async def noop() -> None:
    return None


@workflow.defn(name="noop_loop")
class NoopLoop:
    @workflow.run
    async def run(self, count: int) -> int:
        for _ in range(count):
            await workflow.execute_activity(
                noop,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        return count
