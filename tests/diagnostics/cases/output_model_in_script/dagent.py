from pydantic import BaseModel

from dagent_gen import Agent, Project


class Report(BaseModel):
    title: str


project = Project(
    "agents",
    agents=[Agent("writer", output=Report)],
)
