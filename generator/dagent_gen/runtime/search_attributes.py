"""Search attributes of agent runs (``search_attributes = true``): find runs by agent and status.

``DagentAgent`` holds the agent's name, ``DagentStatus`` where the run is: ``running``,
``waiting_approval`` or how it ended (``done``, ``max_steps``, ``cancelled``; a failed run keeps
its last status, and Temporal's own ``ExecutionStatus`` says it failed). For example::

    temporal workflow list --query "DagentAgent = 'writer' AND DagentStatus = 'waiting_approval'"

Both must be registered as Keyword attributes of the namespace before a run upserts them: an
unknown attribute fails the workflow task, again and again. Runs inside workflows: each change
is one command in history, so an unchanged status is not upserted again.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributeKey

AGENT = SearchAttributeKey.for_keyword("DagentAgent")
STATUS = SearchAttributeKey.for_keyword("DagentStatus")


class RunAttributes:
    """The run's ``DagentAgent`` and ``DagentStatus``, upserted when they change."""

    def __init__(self) -> None:
        self._status: str | None = None

    def start(self, agent: str) -> None:
        """At the start of every run (continued runs too): the agent, and ``running``."""
        self._status = "running"
        workflow.upsert_search_attributes([AGENT.value_set(agent), STATUS.value_set("running")])

    def status(self, status: str) -> None:
        if status != self._status:
            self._status = status
            workflow.upsert_search_attributes([STATUS.value_set(status)])
