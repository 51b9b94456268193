"""The engine's limit again, but carrying a tool loop's payloads (used by ``payload_cost.py``).

``noop_loop.py`` runs activities without arguments or results. This loop runs the same
2N + 1 activities, each with an argument and a result shaped and sized like the generated
loop's: the model activity takes a request of message digests and returns a reply with one
tool call, the tool activity takes ``{"n": ...}`` and returns ~220 characters. No agent code
runs: what it costs over ``noop_loop`` is what carrying those payloads through the SDK and the
server costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy


@dataclass
class Request:
    agent: str
    message_count: int
    new: list[list[str]]
    prefix_digest: str
    tool_choice: str = "auto"
    tools: str = ""


@dataclass
class Reply:
    content: str | None = None
    calls: list[list[str]] = field(default_factory=list)
    usage: list[int] = field(default_factory=list)
    invalid: str | None = None


@activity.defn(name="model_like")
async def model_like(request: Request) -> Reply:
    arguments = f'{{"n": {request.message_count}}}'
    return Reply(calls=[[f"call_{request.message_count}", "step", arguments]], usage=[90, 9, 99])


@activity.defn(name="tool_like")
async def tool_like(arguments: dict[str, Any]) -> str:
    return f"step {arguments['n']} done: " + "x" * 200


OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_attempts=3),
}


@workflow.defn(name="payload_loop")
class PayloadLoop:
    @workflow.run
    async def run(self, steps: int) -> int:
        new = [["reply", "24830f0d9786b481"], ["tool", "90b4f9b5e30e1a1a", "call_1"]]
        for step in range(steps):
            request = Request("bench", 2 * step + 2, new, "d1a4acbf21b0c7de")
            await workflow.execute_activity(model_like, request, **OPTIONS)
            await workflow.execute_activity(tool_like, {"n": step}, **OPTIONS)
        await workflow.execute_activity(model_like, Request("bench", 2, new, "0"), **OPTIONS)
        return steps
