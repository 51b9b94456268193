from pydantic import BaseModel, RootModel


class Report(BaseModel):
    title: str


class Plain:
    title: str


Rows = RootModel[list[int]]
