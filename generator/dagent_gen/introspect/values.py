"""Checks on the values that cross between the model and a tool: defaults and results.

* ``s: str = None`` (an "implicit Optional"): the model may well send ``null`` for it, which a
  plain ``str`` refuses. Like type checkers used to, it is read as ``s: str | None = None``
  (the generated runtime accepts ``null`` for a ``None`` default), with a warning (DG308), and
  the schema shown to the model says ``null`` is allowed.
* ``n: Annotated[int, Field(default=3)]`` without ``= 3``: pydantic's schema says the default is
  3, but the generated activity calls the function with the arguments the model sent, and
  Python has no default for ``n``; refused (DG310) with the form that works.
* A return type that cannot be written as JSON (``bytes``, an arbitrary class): the model only
  ever sees text, so such a result may not reach it; a warning (DG309) says so at build time.
"""

from __future__ import annotations

import inspect
import typing
import warnings
from typing import Any

from pydantic import TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, warning
from dagent_gen.introspect.annotation_text import format_annotation

__all__ = ["annotated_defaults", "check_return_type", "implicit_optionals", "make_nullable"]

# Keywords that annotate a property rather than constrain its value: they stay outside the
# ``anyOf`` that adds ``null``.
_ANNOTATIONS = frozenset({"default", "deprecated", "description", "examples", "title"})


def implicit_optionals(
    sig: inspect.Signature, hints: dict[str, Any], where: dict[str, Location]
) -> tuple[list[str], list[Diagnostic]]:
    """Parameters defaulting to ``None`` whose type refuses ``None``, with a DG308 each."""
    names: list[str] = []
    found: list[Diagnostic] = []
    for param in sig.parameters.values():
        if param.default is not None or param.name not in hints:
            continue
        if _accepts_none(hints[param.name]):
            continue
        text = format_annotation(hints[param.name])
        names.append(param.name)
        found.append(
            warning(
                Code.IMPLICIT_OPTIONAL,
                f"parameter `{param.name}` defaults to None, but its type `{text}` does not "
                f"allow None; it is treated as `{text} | None`, and the model may send null",
                where.get(param.name),
                hint=f"write `{param.name}: {text} | None = None`",
            )
        )
    return names, found


def annotated_defaults(
    sig: inspect.Signature, hints: dict[str, Any], where: dict[str, Location]
) -> list[Diagnostic]:
    """DG310 for parameters whose only default is a ``Field(default=...)`` in ``Annotated``."""
    found: list[Diagnostic] = []
    for param in sig.parameters.values():
        if param.default is not inspect.Parameter.empty or param.name not in hints:
            continue
        if typing.get_origin(hints[param.name]) is not typing.Annotated:
            continue
        fields = [m for m in typing.get_args(hints[param.name])[1:] if isinstance(m, FieldInfo)]
        if not any(f.default is not PydanticUndefined or f.default_factory for f in fields):
            continue
        found.append(
            error(
                Code.DEFAULT_ONLY_IN_FIELD,
                f"parameter `{param.name}` has a default only inside `Annotated[..., Field()]`"
                ", which the generated tool does not apply (Python has no default for it)",
                where.get(param.name),
                hint=f"give the default in the signature: `{param.name}: "
                "Annotated[T, Field(...)] = VALUE` (keep only the constraints in Field)",
            )
        )
    return found


def _accepts_none(annotation: Any) -> bool:
    try:
        TypeAdapter(annotation).validate_python(None)
    except Exception:
        return False
    return True


def make_nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` (a property schema) that also accepts ``null``, its annotations kept on top."""
    outer = {k: v for k, v in prop.items() if k in _ANNOTATIONS}
    value = {k: v for k, v in prop.items() if k not in _ANNOTATIONS}
    if set(value) == {"anyOf"}:
        branches = [*value["anyOf"], {"type": "null"}]
    else:
        branches = [value, {"type": "null"}]
    return dict(sorted({**outer, "anyOf": branches}.items()))


def check_return_type(annotation: Any, text: str, where: Location) -> list[Diagnostic]:
    """DG309 if a result of type ``annotation`` may not be writable as JSON text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema = TypeAdapter(annotation).json_schema(mode="serialization")
    except Exception:
        why = "pydantic cannot serialise it"
    else:
        if not _has_binary(schema):
            return []
        why = "bytes that are not UTF-8 text cannot be written as JSON"
    return [
        warning(
            Code.RETURN_NOT_JSON,
            f"the tool returns `{text}`, which may not become text for the model ({why})",
            where,
            hint="return str, a number, a list/dict, a pydantic model or a dataclass; convert "
            "other values (e.g. decode bytes) inside the tool",
        )
    ]


def _has_binary(schema: Any) -> bool:
    if isinstance(schema, dict):
        if schema.get("format") == "binary":
            return True
        return any(_has_binary(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_has_binary(v) for v in schema)
    return False
