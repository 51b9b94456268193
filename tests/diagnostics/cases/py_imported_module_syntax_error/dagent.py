from dagent_gen import Agent, Project
from tools import search

main = Agent("main", tools=[search])
project = Project(package="agents", agents=[main])
