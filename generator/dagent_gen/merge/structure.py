"""Structure-aware checks on merged Python files, built on libcst.

A line-based merge knows nothing about Python. These helpers add the structure the
regeneration flow needs to talk to the user in their terms and to keep in-flight workflows
safe:

* ``parse_error`` - a merge that is "clean" line-wise can still produce invalid Python;
  report it as a located ``DG503`` diagnostic instead of writing a broken file silently.
* ``enclosing_scopes`` - name the functions a conflict touches ("ResearcherWorkflow.run")
  rather than only quoting line numbers, even though text with conflict markers does not
  parse.
* ``temporal_calls`` / ``command_sequence_changes`` (in ``replay``, re-exported here) -
  Temporal replays workflow history against the code, so changing which activities / child
  workflows / timers a workflow issues, or their order along a path, breaks running workflows
  (non-determinism). We compare the paths of commands per function and report changes so the
  user can add ``workflow.patched`` or drain running workflows first.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable
from typing import ClassVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ProviderT

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.merge.replay import (
    SequenceChange,
    TemporalCall,
    command_sequence_changes,
    temporal_calls,
)
from dagent_gen.merge.three_way import has_conflict_markers, split_conflict_sides, split_lines

__all__ = [
    "SequenceChange",
    "TemporalCall",
    "command_sequence_changes",
    "enclosing_scopes",
    "parse_error",
    "temporal_calls",
]

MODULE_SCOPE = "<module>"


def parse_error(text: str, *, filename: str) -> Diagnostic | None:
    """``None`` if ``text`` is valid Python, else a ``DG503`` diagnostic at the error.

    CPython's own parser decides (it is the fastest and the most precise about positions);
    libcst only locates what CPython cannot (NUL bytes).
    """
    try:
        ast.parse(text, filename=filename)
        return None
    except SyntaxError as exc:
        line, column, reason = exc.lineno or 0, exc.offset or 0, exc.msg
    except ValueError:  # e.g. NUL bytes
        try:
            cst.parse_module(text)
            line, column, reason = 0, 0, "source code cannot contain null bytes"
        except cst.ParserSyntaxError as exc:
            line, column, reason = exc.raw_line, exc.raw_column + 1, exc.message
    hint = "fix the syntax error in this file, then run the generator again"
    if has_conflict_markers(text):
        hint = "the file still contains conflict markers (<<<<<<< ... >>>>>>>); resolve them first"
    return error(
        Code.UNPARSABLE_FILE,
        f"file does not parse as Python: {reason}",
        Location.of(filename, line, column),
        hint,
    )


def _parse(text: str) -> MetadataWrapper | None:
    try:
        return MetadataWrapper(cst.parse_module(text))
    except (cst.ParserSyntaxError, RecursionError):
        return None


class _ScopeVisitor(cst.CSTVisitor):
    """Tracks the dotted class/function name around each node as it walks the tree."""

    METADATA_DEPENDENCIES: ClassVar[Collection[ProviderT]] = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    @property
    def scope(self) -> str:
        return ".".join(self.stack) or MODULE_SCOPE

    def _enter(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self.stack.append(node.name.value)
        self.on_scope(node)

    def on_scope(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        """Hook called right after entering a class or function."""

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._enter(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()


class _ScopeTable(_ScopeVisitor):
    """Fills ``scopes[line]`` with the innermost scope; inner definitions overwrite outer."""

    def __init__(self, line_count: int) -> None:
        super().__init__()
        self.scopes = [MODULE_SCOPE] * (line_count + 2)

    def on_scope(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        # Decorators are outside the def's syntactic range but belong to the definition.
        first = min(
            self.get_metadata(PositionProvider, part).start.line
            for part in (node, *node.decorators)
        )
        last = self.get_metadata(PositionProvider, node).end.line
        for line in range(first, min(last, len(self.scopes) - 1) + 1):
            self.scopes[line] = self.scope


def _scope_table(text: str) -> list[str] | None:
    wrapper = _parse(text)
    if wrapper is None:
        return None
    table = _ScopeTable(len(split_lines(text)))
    wrapper.visit(table)
    return table.scopes


def enclosing_scopes(text: str, lines: Iterable[int]) -> list[str]:
    """Dotted names of the innermost class/function around each 1-based line, deduplicated.

    Works on text with unresolved diff3 markers: each side (yours / last generated / newly
    generated) is parsed separately and each line is looked up in the side it belongs to,
    so passing ``range(conflict.start_line, conflict.end_line + 1)`` names every function the
    conflict touches on any side. Lines no parsable side covers fall back to ``<module>``.
    """
    if has_conflict_markers(text):
        sides, places = split_conflict_sides(text)
    else:
        sides = {"ours": text}
        places = [(("ours", n),) for n in range(1, len(split_lines(text)) + 1)]
    tables = {side: _scope_table(body) for side, body in sides.items()}
    found: list[str] = []
    for line in lines:
        scope = MODULE_SCOPE
        for side, side_line in places[line - 1] if 1 <= line <= len(places) else ():
            table = tables[side]
            if table is not None:
                scope = table[side_line]
                break
        if scope not in found:
            found.append(scope)
    return found
