"""Tools of the planner example: deterministic, offline, typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FACTS = {
    "boiling point of water": "100 degrees Celsius at sea level",
    "speed of light": "299,792,458 metres per second",
    "tallest mountain": "Mount Everest, 8,849 metres",
}

_TO_METRES = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "ft": 0.3048}


@dataclass
class Quantity:
    value: float
    unit: Literal["m", "km", "mi", "ft"]


def convert_units(quantity: Quantity, to: Literal["m", "km", "mi", "ft"]) -> str:
    """Convert a length to another unit.

    Args:
        quantity: The length to convert.
        to: The unit to convert to.
    """
    metres = quantity.value * _TO_METRES[quantity.unit]
    return f"{quantity.value:g} {quantity.unit} = {metres / _TO_METRES[to]:.4g} {to}"


async def lookup_fact(topic: str) -> str:
    """Look a fact up in the reference table.

    Args:
        topic: The topic, e.g. "speed of light".
    """
    key = topic.strip().lower()
    if key not in FACTS:
        raise KeyError(f"no fact about {topic!r}; known topics: {', '.join(sorted(FACTS))}")
    return FACTS[key]


def word_count(text: str, unique: bool = False) -> int:
    """Count the words of a text.

    Args:
        text: The text.
        unique: Count each distinct word once.
    """
    words = text.lower().split()
    return len(set(words)) if unique else len(words)
