"""Tool introspection: from ``"module:function"`` to an OpenAI function-tool schema.

Stage contract: every function returns ``(result | None, diagnostics)`` and never lets an
exception from user code escape, so the pipeline can report all problems at once.
"""

from __future__ import annotations

from pathlib import Path

from dagent_gen.diagnostics import Diagnostic, Location
from dagent_gen.introspect.docstring import ParsedDocstring, parse_docstring
from dagent_gen.introspect.importing import import_function
from dagent_gen.introspect.signature import (
    ToolParameter,
    ToolSignature,
    describe_function,
    format_annotation,
)

__all__ = [
    "ParsedDocstring",
    "ToolParameter",
    "ToolSignature",
    "describe_function",
    "format_annotation",
    "import_function",
    "introspect_tool",
    "parse_docstring",
]


def introspect_tool(
    ref: str, *, search_path: Path, location: Location
) -> tuple[ToolSignature | None, list[Diagnostic]]:
    """Import ``ref`` from ``search_path`` and describe it; diagnostics from both steps."""
    fn, diagnostics = import_function(ref, search_path=search_path, location=location)
    if fn is None:
        return None, diagnostics
    signature, more = describe_function(fn)
    return signature, diagnostics + more
