from dagent_gen import Agent, Project

project = Project(package="agents", agents=[Agent("main")])
