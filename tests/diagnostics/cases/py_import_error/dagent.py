from dagent_gen import Agent, Project
from no_such_tools import search

main = Agent("main", tools=[search])
project = Project(package="agents", agents=[main])
