"""dagent-gen: compile agent definitions into plain, checked-in Temporal code.

The public API is small: the definition objects for ``dagent.py`` and ``generate`` for tools
that want the generated files without writing them. Everything else is private.
"""

from typing import TYPE_CHECKING, Any

from dagent_gen.api import Agent, McpServer, Project, Tool
from dagent_gen.diagnostics import Diagnostic, Location

if TYPE_CHECKING:
    from dagent_gen.pipeline import Generation, generate

__all__ = [
    "Agent",
    "Diagnostic",
    "Generation",
    "Location",
    "McpServer",
    "Project",
    "Tool",
    "generate",
]


def __getattr__(name: str) -> Any:
    # Imported on first use: `dagent.py` runs in a child interpreter that needs `Agent` and
    # friends, not the renderer (jinja2, ruff), and it starts once per build.
    if name in ("Generation", "generate"):
        from dagent_gen import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'dagent_gen' has no attribute {name!r}")
