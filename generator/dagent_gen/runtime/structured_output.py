"""Structured output: an agent whose final answer must be JSON matching a pydantic model.

The calls that may give the final answer are sent with the model's ``response_format`` (a JSON
schema, built at build time). The ``call_model`` activity validates such a reply with the
pydantic model itself (on the worker: validators may do anything) and returns what is wrong,
as the text the model is shown; the workflow then asks again, at most ``OUTPUT_ATTEMPTS``
answers in all, and parses the valid answer with ``parse_output`` (plain ``json``: the same
text always gives the same object, as replays need).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError

MAX_ERRORS = 20  # validation errors shown to the model; the rest are counted
MAX_ERROR_CHARS = 300  # of one error's message


@dataclass(frozen=True)
class OutputSpec:
    """An agent's output model, the ``response_format`` sent for it, and the ``tool_choice``
    values of the calls that may give the final answer (only those carry it)."""

    model: type[BaseModel]
    response_format: dict[str, Any]
    choices: tuple[str, ...] = ("none",)

    def requested(self, tool_choice: str) -> bool:
        """Whether a call with ``tool_choice`` is asked for this output."""
        return tool_choice in self.choices

    def problem(self, content: str | None) -> str | None:
        """``None`` when ``content`` is valid output, else what the model is told."""
        return output_problem(self.model, content)


def output_problem(model: type[BaseModel], content: str | None) -> str | None:
    """``None`` when ``content`` is a JSON object valid for ``model``, else an observation for
    the model that lists what is wrong and asks for the corrected object."""
    name = model.__name__
    if not content or not content.strip():
        return _again(name, "The answer is empty.")
    try:
        value = json.loads(content)
    except json.JSONDecodeError as err:
        return _again(name, f"The answer is not valid JSON: {err.msg} at position {err.pos}.")
    if not isinstance(value, dict):
        return _again(name, f"The answer is JSON, but not an object (a {type(value).__name__}).")
    try:
        model.model_validate_json(content)  # JSON mode: dates, enums... as JSON spells them
    except ValidationError as err:
        return _again(name, describe_errors(err))
    return None


def describe_errors(err: ValidationError) -> str:
    """One line per validation error: where (``items[0].price``) and what is wrong."""
    errors = err.errors(include_url=False, include_input=False)
    lines = [f"- {_path(error['loc'])}: {error['msg'][:MAX_ERROR_CHARS]}" for error in errors]
    if len(lines) > MAX_ERRORS:
        lines = [*lines[:MAX_ERRORS], f"- ... and {len(lines) - MAX_ERRORS} more"]
    count = len(errors)
    return f"The answer has {count} validation error{'s' if count != 1 else ''}:\n" + "\n".join(
        lines
    )


def _path(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the object)"


def _again(name: str, what: str) -> str:
    return (
        f"Your answer is not a valid {name} object. {what}\n"
        f"Answer again with only the corrected {name} JSON object."
    )


def parse_output(content: str | None) -> dict[str, Any] | None:
    """The answer's JSON object (validated by the activity), or ``None``."""
    try:
        value = json.loads(content or "")
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
