"""Short, readable text for a type annotation, as diagnostics and generated docs show it."""

from __future__ import annotations

import types
import typing
from typing import Any

__all__ = ["annotation_text", "format_annotation"]


def format_annotation(annotation: Any) -> str:
    """Short, readable text for a type, e.g. ``list[str]``, ``int | None``, ``SearchResult``."""
    if annotation is None or annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, typing.ForwardRef):
        return annotation.__forward_arg__
    if isinstance(annotation, list):
        return "[" + ", ".join(format_annotation(a) for a in annotation) + "]"
    if isinstance(annotation, typing.TypeVar):
        return annotation.__name__
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return format_annotation(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return " | ".join(format_annotation(a) for a in args)
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(a) for a in args) + "]"
    if origin is not None and args:
        return f"{format_annotation(origin)}[{', '.join(format_annotation(a) for a in args)}]"
    if isinstance(annotation, type):
        return annotation.__qualname__
    return annotation_text(annotation)


def annotation_text(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.replace("typing.", "").replace("collections.abc.", "")
