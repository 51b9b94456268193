"""Tool introspection: from ``"module:function"`` to an OpenAI function-tool schema.

Stage contract: every function returns ``(result | None, diagnostics)`` and never lets an
exception from user code escape, so the pipeline can report all problems at once.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.introspect.docstring import ParsedDocstring, parse_docstring
from dagent_gen.introspect.importing import describe_exception, import_function, user_frame
from dagent_gen.introspect.signature import (
    ToolSignature,
    describe_function,
    format_annotation,
)

_OURS = Path(__file__).resolve().parents[1]  # the dagent_gen package

__all__ = [
    "ParsedDocstring",
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
    try:
        signature, more = describe_function(fn)
    except Exception as exc:
        # User code can run while a signature is read: a metaclass, a type's __repr__, a
        # __signature__ property. Its exceptions are the user's; ours are bugs and propagate.
        frames = traceback.extract_tb(exc.__traceback__)
        if not frames or Path(frames[-1].filename).resolve().is_relative_to(_OURS):
            raise
        where = user_frame(exc, search_path)
        message = f"reading the signature of `{ref}` raised {describe_exception(exc)} (at {where})"
        hint = "point the reference at a plain `def` or `async def` function with plain types"
        return None, [error(Code.NOT_IMPORTABLE_FUNCTION, message, location, hint=hint)]
    return signature, diagnostics + more
