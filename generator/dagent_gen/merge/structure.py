"""Structure-aware checks on merged Python files, built on libcst.

A line-based merge knows nothing about Python. These helpers add the structure the
regeneration flow needs to talk to the user in their terms and to keep in-flight workflows
safe:

* ``parse_error`` - a merge that is "clean" line-wise can still produce invalid Python;
  report it as a located ``DG503`` diagnostic instead of writing a broken file silently.
* ``enclosing_scopes`` - name the functions a conflict touches ("ResearcherWorkflow.run")
  rather than only quoting line numbers, even though text with conflict markers does not
  parse.
* ``temporal_calls`` / ``command_sequence_changes`` - Temporal replays workflow history
  against the code, so changing which activities / child workflows / timers a function
  issues, or their order, breaks running workflows (non-determinism). We compare the
  statically visible command sequence per function and report changes so the user can
  add ``workflow.patched`` or drain running workflows first.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import ClassVar, Literal

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider, ProviderT, QualifiedNameProvider

from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.merge.three_way import has_conflict_markers, split_conflict_sides, split_lines

MODULE_SCOPE = "<module>"

CommandKind = Literal["activity", "child_workflow", "timer", "continue_as_new", "wait_condition"]

_ACTIVITY_FUNCS = frozenset(
    f"{verb}_{local}activity{suffix}"
    for verb in ("execute", "start")
    for local in ("", "local_")
    for suffix in ("", "_method", "_class")
)
_WORKFLOW_FUNCS: dict[str, CommandKind] = {
    **dict.fromkeys(_ACTIVITY_FUNCS, "activity"),
    "execute_child_workflow": "child_workflow",
    "start_child_workflow": "child_workflow",
    "sleep": "timer",
    "wait_condition": "wait_condition",
    "continue_as_new": "continue_as_new",
}
# The keyword under which the command's target may be passed instead of positionally.
_TARGET_KEYWORD: dict[CommandKind, str] = {"activity": "activity", "child_workflow": "workflow"}


def parse_error(text: str, *, filename: str) -> Diagnostic | None:
    """``None`` if ``text`` parses with libcst, else a ``DG503`` diagnostic at the error.

    libcst's own error positions can point past the real problem, so when CPython's parser
    also rejects the text we use its (more precise) line, column and wording.
    """
    try:
        cst.parse_module(text)
        return None
    except cst.ParserSyntaxError as exc:
        line, column, reason = exc.raw_line, exc.raw_column + 1, exc.message
    try:
        ast.parse(text, filename=filename)
    except SyntaxError as exc:
        line, column, reason = exc.lineno or line, exc.offset or column, exc.msg
    except ValueError:  # e.g. NUL bytes; keep libcst's location
        pass
    hint = "fix the syntax error in this file, then run the generator again"
    if has_conflict_markers(text):
        hint = "the file still contains conflict markers (<<<<<<< ... >>>>>>>); resolve them first"
    return error(
        "DG503",
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


@dataclass(frozen=True)
class TemporalCall:
    """A call that makes a Temporal workflow issue a command (activity, child, timer...)."""

    kind: CommandKind
    target: str  # activity/workflow as written ("web_search", "WriterWorkflow.run"); duration for timers
    function: str  # dotted enclosing scope, e.g. "ResearcherWorkflow._run_tool"
    line: int

    @property
    def item(self) -> str:
        """The identity Temporal checks on replay: kind plus name for activities/children.

        Timers (``sleep`` and ``wait_condition(timeout=...)`` alike) are matched by kind only,
        because Temporal records neither their duration nor which API created them.
        """
        if self.kind in ("activity", "child_workflow"):
            return f"{self.kind}:{self.target}"
        return "timer" if self.kind == "wait_condition" else self.kind


def _render(node: cst.CSTNode) -> str:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, str):
            return value
    return cst.Module(body=[]).code_for_node(node).strip()


class _CallCollector(_ScopeVisitor):
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TemporalCall] = []
        self.functions: set[str] = set()  # every scope seen, with or without commands

    def on_scope(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self.functions.add(self.scope)

    def _kind(self, func: cst.BaseExpression) -> CommandKind | None:
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, func, set())}
        if not names:  # unresolved (e.g. no import in a snippet): use the name as written
            names = {get_full_name_for_node(func) or ""}
        for name in names:
            module, _, attr = name.rpartition(".")
            if name == "asyncio.sleep":
                return "timer"
            if module in ("workflow", "temporalio.workflow") and attr in _WORKFLOW_FUNCS:
                return _WORKFLOW_FUNCS[attr]
        return None

    def visit_Call(self, node: cst.Call) -> None:
        kind = self._kind(node.func)
        if kind is None:
            return
        positional = [a for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        first = positional[0].value if positional else None
        target_node: cst.BaseExpression | None
        if kind == "wait_condition":
            # Without a timeout wait_condition issues no command at all.
            second = positional[1].value if len(positional) > 1 else None
            target_node = keywords.get("timeout", second)
            if target_node is None:
                return
        elif kind == "continue_as_new":
            target_node = keywords.get("workflow")  # positional arguments are the new input
        elif kind in _TARGET_KEYWORD:
            target_node = keywords.get(_TARGET_KEYWORD[kind], first)
        else:  # timer: workflow.sleep(duration) / asyncio.sleep(delay)
            target_node = first if first is not None else keywords.get("duration")
            target_node = target_node if target_node is not None else keywords.get("delay")
        target = _render(target_node) if target_node is not None else ""
        line = self.get_metadata(PositionProvider, node).start.line
        self.calls.append(TemporalCall(kind, target, self.scope, line))


def _collect(text: str) -> _CallCollector | None:
    wrapper = _parse(text)
    if wrapper is None:
        return None
    collector = _CallCollector()
    wrapper.visit(collector)
    return collector


def temporal_calls(text: str) -> list[TemporalCall]:
    """Every command-issuing Temporal call in source order ([] if the text does not parse).

    Recognises ``workflow.x(...)``, ``temporalio.workflow.x(...)``, aliased module imports and
    ``from temporalio.workflow import x`` (via libcst's qualified names), plus
    ``asyncio.sleep`` which the Temporal event loop turns into a timer.
    """
    collector = _collect(text)
    return collector.calls if collector is not None else []


@dataclass(frozen=True)
class SequenceChange:
    """A function whose statically visible command sequence differs between two versions."""

    function: str
    before: tuple[str, ...]  # "activity:web_search" style items
    after: tuple[str, ...]
    description: str


def _label(item: str) -> str:
    kind, _, target = item.partition(":")
    noun = kind.replace("_", " ").replace("continue as new", "continue-as-new")
    return f"{noun} '{target}'" if target else noun


def _labels(items: Sequence[str]) -> str:
    return ", ".join(_label(item) for item in items)


def _describe(before: Sequence[str], after: Sequence[str], existed: bool, exists: bool) -> str:
    if not existed:
        return f"new function issuing {_labels(after)}"
    if not exists:
        return f"function removed (it issued {_labels(before)})"
    if sorted(before) == sorted(after):
        return f"commands reordered (was: {_labels(before)}; now: {_labels(after)})"
    parts: list[str] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for op, b1, b2, a1, a2 in matcher.get_opcodes():
        old, new = before[b1:b2], after[a1:a2]
        if op == "insert":
            parts.append(f"{_labels(new)} added")
        elif op == "delete":
            parts.append(f"{_labels(old)} removed")
        elif op == "replace":
            parts.append(f"{_labels(old)} replaced by {_labels(new)}")
    return "; ".join(parts)


def _by_function(calls: Iterable[TemporalCall]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for call in calls:
        grouped.setdefault(call.function, []).append(call.item)
    return grouped


def command_sequence_changes(old: str, new: str) -> list[SequenceChange]:
    """Per function, report changes to the ordered (kind, target) commands it issues.

    This is a static, per-function view (branches and loops are flattened in source order);
    it flags likely replay-breaking edits, it does not prove determinism. Returns [] if either
    side does not parse, since nothing reliable can be said then.
    """
    old_side, new_side = _collect(old), _collect(new)
    if old_side is None or new_side is None:
        return []
    before_map, after_map = _by_function(old_side.calls), _by_function(new_side.calls)
    changes: list[SequenceChange] = []
    for function in dict.fromkeys([*before_map, *after_map]):
        before = tuple(before_map.get(function, ()))
        after = tuple(after_map.get(function, ()))
        if before != after:
            existed, exists = function in old_side.functions, function in new_side.functions
            description = f"{function}: {_describe(before, after, existed, exists)}"
            changes.append(SequenceChange(function, before, after, description))
    return changes
