from dagent_gen import Agent, Project, Tool
from tools import fetch, search

main = Agent(
    "main",
    tools=[
        Tool(search, timeout="5s"),
        Tool(fetch, name="search"),
    ],
)
project = Project(package="agents", agents=[main])
