from dagent_gen import Agent, Project

main = Agent("main", max_steps="20", planning="yes")
project = Project(package="agents", agents=[main])
