"""Counting the Temporal actions history does not show: heartbeats, queries, activity runs.

Imports only ``temporalio`` so that both the benchmark process and the temporalio-deepagents
side (its own virtual environment) can use it. Pass :class:`Counting` as a client interceptor
(``Client.connect(..., interceptors=[counting])``): the SDK applies a client interceptor that is
also a worker interceptor to every worker built from that client, so activity runs and
heartbeats are counted too. Queries sent by activities through ``activity.client()`` (the
generated agent's ``messages`` query) go through the same client and are counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from temporalio import client as temporal_client
from temporalio import worker as temporal_worker


class Counting(temporal_client.Interceptor, temporal_worker.Interceptor):
    """Counts queries sent, activity executions and heartbeat calls in this process."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def reset(self) -> None:
        self.counts.clear()

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)

    def intercept_client(
        self, next: temporal_client.OutboundInterceptor
    ) -> temporal_client.OutboundInterceptor:
        return _CountingClient(next, self.counts)

    def intercept_activity(
        self, next: temporal_worker.ActivityInboundInterceptor
    ) -> temporal_worker.ActivityInboundInterceptor:
        return _CountingActivity(next, self.counts)


class _CountingClient(temporal_client.OutboundInterceptor):
    def __init__(self, next: temporal_client.OutboundInterceptor, counts: Counter[str]) -> None:
        super().__init__(next)
        self._counts = counts

    async def query_workflow(self, input: temporal_client.QueryWorkflowInput) -> Any:
        self._counts["queries"] += 1
        self._counts[f"query:{input.query}"] += 1
        return await super().query_workflow(input)


class _CountingActivity(temporal_worker.ActivityInboundInterceptor):
    def __init__(
        self, next: temporal_worker.ActivityInboundInterceptor, counts: Counter[str]
    ) -> None:
        super().__init__(next)
        self._counts = counts

    def init(self, outbound: temporal_worker.ActivityOutboundInterceptor) -> None:
        super().init(_CountingHeartbeats(outbound, self._counts))

    async def execute_activity(self, input: temporal_worker.ExecuteActivityInput) -> Any:
        self._counts["activity_runs"] += 1
        return await super().execute_activity(input)


class _CountingHeartbeats(temporal_worker.ActivityOutboundInterceptor):
    def __init__(
        self, next: temporal_worker.ActivityOutboundInterceptor, counts: Counter[str]
    ) -> None:
        super().__init__(next)
        self._counts = counts

    def heartbeat(self, *details: Any) -> None:
        self._counts["heartbeats"] += 1
        super().heartbeat(*details)
