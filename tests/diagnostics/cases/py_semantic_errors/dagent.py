from dagent_gen import Agent, Project, Tool
from tools import search

helper = Agent("helper", planning=False)
main = Agent(
    "main",
    model="gpt-4o",
    max_steps=1,
    tools=[Tool(search, timeout="30 sec", retries=-1)],
    subagents=[helper, "ghost"],
)
project = Project(package="my-agents", agents=[main])
