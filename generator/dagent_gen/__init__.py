"""dagent-gen: compile agent definitions into plain, checked-in Temporal code.

The public API is small: the definition objects for ``dagent.py`` and ``generate`` for tools
that want the generated files without writing them. Everything else is private.
"""

from dagent_gen.api import Agent, Project, Tool
from dagent_gen.diagnostics import Diagnostic, DiagnosticError, Location
from dagent_gen.pipeline import Generation, generate

__all__ = [
    "Agent",
    "Diagnostic",
    "DiagnosticError",
    "Generation",
    "Location",
    "Project",
    "Tool",
    "generate",
]
