"""The hand-written floor: the simplest correct Temporal tool loop, written the usual way.

One model activity and one tool activity per step, with the whole conversation passed to the
model activity every time — how most hand-written agent loops (and the peers) do it. Used only
by ``tool_loop.py`` as the baseline; it is not part of dagent-gen.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import openai

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "step",
            "description": "Do one step.",
            "parameters": {
                "type": "object",
                "properties": {"n": {"type": "integer"}},
                "required": ["n"],
            },
        },
    }
]


@activity.defn(name="floor_model")
async def floor_model(messages: list[dict[str, Any]]) -> dict[str, Any]:
    client = openai.AsyncOpenAI(
        api_key=os.environ["OPENAI_API_KEY"],
        base_url=os.environ["OPENAI_BASE_URL"],
        max_retries=0,
    )
    completion = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
    )
    message = completion.choices[0].message
    return message.model_dump(exclude_none=True, exclude={"annotations", "refusal", "audio"})


@activity.defn(name="floor_step")
async def floor_step(arguments: dict[str, Any]) -> str:
    return f"step {arguments.get('n')} done: " + "x" * 200


@workflow.defn(name="floor_agent")
class FloorAgent:
    @workflow.run
    async def run(self, task: str) -> str:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": "You run steps."},
            {"role": "user", "content": task},
        ]
        while True:
            reply = await workflow.execute_activity(
                floor_model,
                messages,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
            messages.append(reply)
            calls = reply.get("tool_calls") or []
            if not calls:
                return str(reply.get("content") or "")
            for call in calls:
                result = await workflow.execute_activity(
                    floor_step,
                    json.loads(call["function"]["arguments"]),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_attempts=3),
                )
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
