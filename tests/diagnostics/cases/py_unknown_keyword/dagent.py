from dagent_gen import Agent, Project, Tool

main = Agent("main", modle="openai:gpt-4o", tools=[Tool("tools:look", retires=2)])
project = Project(package="agents", agents=[main], entry_agnet="main")
