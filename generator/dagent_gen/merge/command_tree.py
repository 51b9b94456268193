"""Command trees: the Temporal commands a function can issue, as paths (see ``replay``).

Built from the standard library's ``ast``: no libcst metadata, so a build that touches every
workflow of a large project stays fast.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

CommandKind = Literal[
    "activity", "local_activity", "child_workflow", "timer", "continue_as_new", "wait_condition"
]


def _activity_funcs(local: str) -> frozenset[str]:
    return frozenset(
        f"{verb}_{local}activity{suffix}"
        for verb in ("execute", "start")
        for suffix in ("", "_method", "_class")
    )


# A local activity is a different command from an activity of the same name (history records a
# marker, not ActivityTaskScheduled), so turning a tool's ``local`` on or off is a change.
_WORKFLOW_FUNCS: dict[str, CommandKind] = {
    **dict.fromkeys(_activity_funcs(""), "activity"),
    **dict.fromkeys(_activity_funcs("local_"), "local_activity"),
    "execute_child_workflow": "child_workflow",
    "start_child_workflow": "child_workflow",
    "sleep": "timer",
    "wait_condition": "wait_condition",
    "continue_as_new": "continue_as_new",
}
_WORKFLOW_MODULE = "temporalio.workflow"
# The keyword under which the command's target may be passed instead of positionally.
_TARGET_KEYWORD: dict[CommandKind, str] = {
    "activity": "activity",
    "local_activity": "activity",
    "child_workflow": "workflow",
}

# A command tree: ("cmd", item) | ("call", method) | ("seq", nodes) | ("alt", nodes) |
# ("loop", node). Tuples, so trees compare and sort by value.
Node: TypeAlias = tuple[object, ...]
EMPTY: Node = ("seq", ())


@dataclass(frozen=True)
class TemporalCall:
    """A call that makes a Temporal workflow issue a command (activity, child, timer...)."""

    kind: CommandKind
    target: (
        str  # activity/workflow as written ("web_search", "WriterWorkflow.run"); timer: duration
    )
    function: str  # dotted enclosing scope, e.g. "ResearcherWorkflow._run_tool"
    line: int

    @property
    def item(self) -> str:
        """The identity Temporal checks on replay: kind plus name for activities/children.

        Timers (``sleep`` and ``wait_condition(timeout=...)`` alike) are matched by kind only,
        because Temporal records neither their duration nor which API created them.
        """
        if self.kind in ("activity", "local_activity", "child_workflow"):
            return f"{self.kind}:{self.target}"
        return "timer" if self.kind == "wait_condition" else self.kind


@dataclass(frozen=True)
class Function:
    name: str  # dotted scope
    cls: str | None  # the enclosing class's dotted name, for self.method calls
    node: ast.FunctionDef | ast.AsyncFunctionDef


def import_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, from every import in the module."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _kind(func: ast.expr, names: dict[str, str]) -> CommandKind | None:
    written = _dotted(func)
    if written is None:
        return None
    head, _, rest = written.partition(".")
    full = names.get(head, head) + (f".{rest}" if rest else "")
    module, _, attr = full.rpartition(".")
    if full == "asyncio.sleep":
        return "timer"
    if module in ("workflow", _WORKFLOW_MODULE) and attr in _WORKFLOW_FUNCS:
        return _WORKFLOW_FUNCS[attr]
    return None


def _render(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ast.unparse(node)


def _target(kind: CommandKind, call: ast.Call) -> str | None:
    """What the command names; None when the call issues no command (wait without timeout)."""
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    first = positional[0] if positional else None
    node: ast.expr | None
    if kind == "wait_condition":
        node = keywords.get("timeout", positional[1] if len(positional) > 1 else None)
        if node is None:
            return None
    elif kind == "continue_as_new":
        node = keywords.get("workflow")  # positional arguments are the new input
    elif kind in _TARGET_KEYWORD:
        node = keywords.get(_TARGET_KEYWORD[kind], first)
    else:  # timer: workflow.sleep(duration) / asyncio.sleep(delay)
        node = first if first is not None else keywords.get("duration", keywords.get("delay"))
    return _render(node) if node is not None else ""


def functions(tree: ast.Module) -> Iterator[Function]:
    """Every function and method, with its dotted name, including nested ones."""

    def walk(body: Sequence[ast.AST], prefix: str, cls: str | None) -> Iterator[Function]:
        for node in body:
            if isinstance(node, ast.ClassDef):
                yield from walk(node.body, f"{prefix}{node.name}.", f"{prefix}{node.name}")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{node.name}"
                yield Function(name, cls, node)
                yield from walk(node.body, f"{name}.", None)
            elif isinstance(node, ast.stmt | ast.ExceptHandler | ast.match_case):
                # definitions nested in if / try / with / match blocks
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        yield from walk(inner, prefix, cls)

    yield from walk(tree.body, "", None)


def seq(items: Sequence[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        if item[0] == "seq":
            flat.extend(item[1])  # type: ignore[arg-type]
        else:
            flat.append(item)
    return flat[0] if len(flat) == 1 else ("seq", tuple(flat))


def alt(branches: Sequence[Node]) -> Node:
    unique = sorted(set(branches), key=repr)
    if all(branch == EMPTY for branch in unique):
        return EMPTY
    return unique[0] if len(unique) == 1 else ("alt", tuple(unique))


def loop(body: Node) -> Node:
    return EMPTY if body == EMPTY else ("loop", body)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class TreeBuilder:
    """The command tree of one function body; also collects its ``TemporalCall``s."""

    def __init__(self, function: Function, names: dict[str, str]) -> None:
        self.function = function
        self.names = names
        self.calls: list[TemporalCall] = []
        self.flat: list[str] = []  # commands and self-calls in source order

    def block(self, statements: Sequence[ast.stmt]) -> Node:
        return seq([self.node(statement) for statement in statements])

    def node(self, node: ast.AST) -> Node:
        if isinstance(node, _SCOPES):
            return EMPTY  # its own scope (or deferred, for lambdas)
        if isinstance(node, ast.If | ast.IfExp):
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            body = node.body if isinstance(node.body, list) else [node.body]
            return seq([self.node(node.test), alt([self.nodes(body), self.nodes(orelse)])])
        if isinstance(node, ast.Match):
            return seq([self.node(node.subject), self.cases(node.cases)])
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            head = node.test if isinstance(node, ast.While) else node.iter
            repeated = loop(self.block(node.body))
            return seq([self.node(head), repeated, self.block(node.orelse)])
        if isinstance(node, ast.Try | ast.TryStar):
            handlers = [self.block(handler.body) for handler in node.handlers]
            outcome = alt([self.block(node.orelse), *handlers])
            return seq([self.block(node.body), outcome, self.block(node.finalbody)])
        if isinstance(node, _COMPREHENSIONS):
            parts = [self.node(child) for child in ast.iter_child_nodes(node)]
            return loop(seq(parts))
        if isinstance(node, ast.Call):
            return seq([*(self.node(c) for c in ast.iter_child_nodes(node)), self.call(node)])
        return self.nodes(list(ast.iter_child_nodes(node)))

    def nodes(self, nodes: Sequence[ast.AST]) -> Node:
        return seq([self.node(node) for node in nodes])

    def cases(self, cases: Sequence[ast.match_case]) -> Node:
        branches = [
            seq([self.node(case.guard) if case.guard else EMPTY, self.block(case.body)])
            for case in cases
        ]
        last = cases[-1].pattern if cases else None
        if not (isinstance(last, ast.MatchAs) and last.pattern is None):
            branches.append(EMPTY)  # no case matches
        return alt(branches)

    def call(self, node: ast.Call) -> Node:
        kind = _kind(node.func, self.names)
        if kind is not None:
            target = _target(kind, node)
            if target is None:
                return EMPTY
            found = TemporalCall(kind, target, self.function.name, node.lineno)
            self.calls.append(found)
            self.flat.append(found.item)
            return ("cmd", found.item)
        func = node.func
        is_self = isinstance(func, ast.Attribute) and _dotted(func.value) == "self"
        if is_self and self.function.cls is not None:
            assert isinstance(func, ast.Attribute)
            self.flat.append(f"call:{func.attr}")
            return ("call", f"{self.function.cls}.{func.attr}")
        return EMPTY
