from dagent_gen import Agent, Project

project = Project(
    package="agents",
    agents=[Agent("main", system_prompt="bad \udc80 text")],
)
