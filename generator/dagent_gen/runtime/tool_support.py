"""Helpers shared by the tool activities: argument validation and observation text.

Arguments are validated against the tool function's own signature with pydantic, so an enum
parameter receives the enum member, a model parameter the model instance, and a parameter left
out gets its default (``Field(default=...)`` included). Invalid arguments fail the activity
without retry; the workflow shows the error to the model.

The tool's result becomes text inside the activity, so what the activity returns always
serialises: a result that cannot become text fails without retry instead of running the tool
again.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Annotated
from typing import Any
from typing import NotRequired
from typing import get_type_hints

import pydantic
import pydantic_core
from pydantic.fields import FieldInfo
from temporalio.exceptions import ApplicationError
from typing_extensions import TypedDict

from .conversation import CACHE

MAX_OBSERVATION_CHARS = 20_000
# Whatever the character limit, a result stays one payload well under Temporal's 2 MB: the data
# converter writes JSON with ASCII escapes, 6 bytes per CJK character and 12 per emoji.
MAX_OBSERVATION_BYTES = 1_000_000


def arguments_adapter(fn: Callable[..., Any]) -> pydantic.TypeAdapter[Any]:
    """A validator for ``fn``'s keyword arguments, built from its signature and type hints."""
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(fn).parameters.items():
        annotation = hints.get(name, Any)
        default = parameter.default
        if default is inspect.Parameter.empty:
            fields[name] = annotation
        elif isinstance(default, FieldInfo):  # ``n: int = Field(default=3, ge=1)``
            fields[name] = NotRequired[Annotated[annotation, default]]
        elif default is None:  # ``s: str = None``: the model's null means the default
            fields[name] = NotRequired[annotation | None]
        else:
            fields[name] = NotRequired[annotation]
    # typing_extensions.TypedDict: pydantic needs it on Python < 3.12.
    arguments = TypedDict(f"{fn.__name__}_arguments", fields)  # type: ignore[misc]
    forbid_extra = pydantic.with_config(pydantic.ConfigDict(extra="forbid"))
    return pydantic.TypeAdapter(forbid_extra(arguments))


def validate_arguments(
    tool: str, adapter: pydantic.TypeAdapter[Any], arguments: dict[str, Any]
) -> dict[str, Any]:
    """Typed keyword arguments for the tool, or a non-retryable ``InvalidArguments`` error."""
    try:
        return dict(adapter.validate_python(arguments))
    except pydantic.ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'arguments'}: {e['msg']}"
            for e in err.errors()
        )
        raise ApplicationError(
            f"invalid arguments for tool {tool!r}: {problems}",
            type="InvalidArguments",
            non_retryable=True,
        ) from None


def to_observation(value: Any, limit: int = MAX_OBSERVATION_CHARS) -> str:
    """Text the model sees for a tool's return value, cut to ``limit`` characters.

    The text is also kept in this worker's conversation cache, so the next model call finds it
    there instead of asking the workflow for it.
    """
    text = _text(value)
    keep = min(limit, len(text))
    while _json_size(text[:keep]) > MAX_OBSERVATION_BYTES - 100:  # 100: room for the note
        keep = keep * 9 // 10
    if keep < len(text):
        text = f"{text[:keep]}\n[output truncated: {len(text) - keep} more characters]"
    CACHE.remember_text(text)
    return text


def _json_size(text: str) -> int:
    """Bytes ``text`` takes in a payload: as JSON with ASCII escapes, like the data converter."""
    return len(json.dumps(text))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "(no output)"
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    try:  # models, dataclasses, enums, containers of them; str() for anything else
        return pydantic_core.to_json(value, fallback=str).decode()
    except pydantic_core.PydanticSerializationError as err:  # e.g. non-UTF-8 bytes inside a list
        raise ApplicationError(
            f"the tool's result cannot be shown to the model: {type(value).__name__}: {err}",
            type="UnserializableResult",
            non_retryable=True,
        ) from None
