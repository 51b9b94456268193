"""The N-step tool loop written with temporalio-deepagents (runs in its own environment).

Imported only by ``deepagents_side.py`` inside ``benchmarks/.venv-deepagents``; the project's
own environment does not have LangChain. Written from the plugin's published README: the
agent is built with ``create_temporal_deep_agent`` inside the workflow, the tool is moved into
an activity with ``tool_as_activity``, the model call is the plugin's model activity.
"""

from __future__ import annotations

from datetime import timedelta

from langchain_core.tools import tool
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.deepagents import create_temporal_deep_agent, tool_as_activity


@tool
def step(n: int) -> str:
    """Do one step.

    Args:
        n: The step number.
    """
    return f"step {n} done: " + "x" * 200


STEP = tool_as_activity(
    step,
    start_to_close_timeout=timedelta(seconds=30),
    activity_options={"retry_policy": RetryPolicy(maximum_attempts=3)},
)


@workflow.defn(name="deepagents_bench")
class DeepAgentsBench:
    @workflow.run
    async def run(self, steps: int) -> str:
        agent = create_temporal_deep_agent(
            model="openai:gpt-4o-mini",
            system_prompt="You run steps.",
            tools=[STEP],
            activity_options={
                "start_to_close_timeout": timedelta(seconds=60),
                "retry_policy": RetryPolicy(maximum_attempts=3),
            },
        )
        # LangGraph stops a graph after 25 super-steps by default; each tool step takes two.
        result = await agent.ainvoke(
            {"messages": [{"role": "user", "content": "go"}]},
            config={"recursion_limit": 2 * steps + 50},
        )
        return str(result["messages"][-1].content)
