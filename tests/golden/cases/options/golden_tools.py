"""Tools with the parameter types the schema generator must handle."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Filter(BaseModel):
    field: str
    value: str | None = None


class Verdict(BaseModel):
    """The lead's answer: its structured output."""

    summary: str
    confidence: float = Field(ge=0, le=1)
    sources: list[Filter] = []


class Tally(BaseModel):
    counts: dict[str, int]  # a free-form mapping: sent with strict false (DG343)


@dataclass
class Window:
    start: int
    end: int = 10


async def lookup(
    key: str,
    colour: Colour = Colour.RED,
    mode: Literal["exact", "prefix"] = "exact",
    filters: list[Filter] | None = None,
    window: Window | None = None,
) -> dict[str, str]:
    """Look a key up.

    Args:
        key: The key.
        colour: A colour.
        mode: How to match.
        filters: Extra filters.
        window: Rows to return.
    """
    return {"key": key, "colour": colour.value, "mode": mode}


def tally(
    values: list[int],
    weights: dict[str, float] | None = None,
    top: Annotated[int, Field(ge=1, le=10)] = 3,
) -> int:
    """Add numbers up.

    Args:
        values: The numbers.
        weights: Optional weights by name.
        top: How many to keep.
    """
    return sum(sorted(values, reverse=True)[:top])
