from dagent_gen import Agent, Project, Tool

numbered = Agent(123)
listed = Agent("listed", tools="search", subagents=None)
named = Agent("named", tools=[Tool("tools:search", name=3)])
project = Project(package="agents", agents=[numbered, listed, named], tools=None)
