from dagent_gen import Agent, Project

main = Agent("main")
one = Project(package="one", agents=[main])
two = Project(package="two", agents=[main])
