from dagent_gen import Agent, Project

main = Agent("main"
project = Project(package="agents", agents=[main])
