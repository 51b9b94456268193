from dagent_gen import Agent, Project

PROMPTS = {"main": "You help."}
main = Agent("main", system_prompt=PROMPTS["lead"])
project = Project(package="agents", agents=[main])
