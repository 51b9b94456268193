"""A planner that delegates to two specialist sub-agents, defined in Python.

Only `dagent-gen build` imports this file; the generated package never imports dagent_gen.
"""

from dagent_gen import Agent, Project, Tool
from planner_tools import convert_units, lookup_fact, word_count

calculator = Agent(
    "calculator",
    description="Does unit conversions and arithmetic",
    system_prompt="You convert units precisely. Use the convert_units tool.",
    tools=[Tool(convert_units, timeout="5s", retries=0)],
    planning=False,
    max_steps=6,
)

fact_checker = Agent(
    "fact_checker",
    description="Checks facts against the reference table",
    system_prompt="You check facts. Always call lookup_fact before you answer.",
    tools=[lookup_fact],
    planning=False,
    max_steps=6,
)

planner = Agent(
    "planner",
    description="Plans a task and delegates its parts",
    system_prompt=(
        "You plan work as a todo list, delegate each part to the right specialist, "
        "and combine their answers."
    ),
    tools=[word_count],
    subagents=[calculator, fact_checker],
    max_steps=24,
)

project = Project(
    package="planner_agents",
    task_queue="planner-agents",
    description="A planner with calculator and fact-checker sub-agents.",
    agents=[planner, calculator, fact_checker],
)
