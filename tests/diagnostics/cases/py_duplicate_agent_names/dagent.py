from dagent_gen import Agent, Project

first = Agent("main")
second = Agent("main", planning=False)
project = Project(package="agents", agents=[first, second])
