from dagent_gen import Agent, Project


def search(query: str) -> str:
    return query


main = Agent("main", tools=[search])
project = Project(package="agents", agents=[main])
