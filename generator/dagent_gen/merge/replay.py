"""Which Temporal commands a workflow can issue, and whether a rebuild changes them.

Temporal replays a running workflow's history against the current code, so a change to the
commands (activities, child workflows, timers) a workflow issues, or their order along a path it
took, breaks running executions. What matters is the set of paths, not the text order of the
branches: reordering ``match`` cases changes no path, dropping the planning step does.

Each function becomes a command tree, built from the standard library's ``ast`` (cheap: no
libcst metadata), cached per text:

- a command (``activity:web_search``, ``child_workflow:X.run``, ``timer``...), in evaluation
  order;
- a call ``self._method(...)`` to a method of the same class that itself (transitively) issues
  commands, as ``call:_method``: a change inside the method is reported at the method;
- a branch (``if`` / ``match`` / ``try`` handlers / conditional expressions) as the *set* of its
  alternatives, so their order does not count;
- a loop (``for`` / ``while`` / comprehensions) as its body.

Two versions of a function are compatible when their trees are equal, or when the new one only
adds alternatives made of commands the old code never issued (a ``case`` arm for a new tool):
no execution of the old code can have taken such a branch.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from dagent_gen.merge.command_tree import (
    EMPTY,
    Node,
    TemporalCall,
    TreeBuilder,
    alt,
    functions,
    import_names,
    loop,
    seq,
)

__all__ = [
    "SequenceChange",
    "TemporalCall",
    "analyse",
    "command_sequence_changes",
    "temporal_calls",
]


@dataclass(frozen=True)
class SequenceChange:
    """A function whose commands differ between two versions in a way replay can notice."""

    function: str
    before: tuple[str, ...]  # its own commands in source order, "activity:web_search" style
    after: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class _Analysis:
    calls: tuple[TemporalCall, ...]  # every command call, in source order
    trees: dict[str, Node]  # function -> command tree (self-calls to every method kept)
    flat: dict[str, tuple[str, ...]]  # function -> commands and self-calls in source order
    issuing: frozenset[str]  # functions that (transitively) issue commands


@functools.lru_cache(maxsize=512)
def analyse(text: str) -> _Analysis | None:
    """The command trees of every function of ``text``; None if it does not parse.

    Cached per text: a build asks about the same disk / generated text more than once.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    names = import_names(tree)
    calls: list[TemporalCall] = []
    trees: dict[str, Node] = {}
    flat: dict[str, tuple[str, ...]] = {}
    for function in functions(tree):
        builder = TreeBuilder(function, names)
        trees[function.name] = builder.block(function.node.body)
        flat[function.name] = tuple(builder.flat)
        calls.extend(builder.calls)
    calls.sort(key=lambda call: call.line)
    return _Analysis(tuple(calls), trees, flat, _issuing(trees))


def _leaves(node: Node) -> Iterator[Node]:
    if node[0] in ("cmd", "call"):
        yield node
    elif node[0] == "loop":
        yield from _leaves(node[1])  # type: ignore[arg-type]
    else:
        for child in node[1]:  # type: ignore[attr-defined]
            yield from _leaves(child)


def _issuing(trees: dict[str, Node]) -> frozenset[str]:
    """Functions whose tree reaches a command, directly or through self-calls (fixed point)."""
    leaves = {name: list(_leaves(tree)) for name, tree in trees.items()}
    issuing = {name for name, found in leaves.items() if any(n[0] == "cmd" for n in found)}
    grew = True
    while grew:
        grew = False
        for name, found in leaves.items():
            if name not in issuing and any(n[0] == "call" and n[1] in issuing for n in found):
                issuing.add(name)
                grew = True
    return frozenset(issuing)


def _prune(node: Node, issuing: frozenset[str]) -> Node:
    """``node`` without calls to methods that issue nothing, renormalised."""
    kind = node[0]
    if kind == "cmd":
        return node
    if kind == "call":
        return node if node[1] in issuing else EMPTY
    if kind == "loop":
        return loop(_prune(node[1], issuing))  # type: ignore[arg-type]
    children = [_prune(child, issuing) for child in node[1]]  # type: ignore[attr-defined]
    return seq(children) if kind == "seq" else alt(children)


def _commands(node: Node) -> set[str]:
    return {str(leaf[1]) for leaf in _leaves(node) if leaf[0] == "cmd"}


def _compatible(old: Node, new: Node, known: set[str]) -> bool:
    """Every path of ``old`` is still a path of ``new``; new paths only issue commands the
    old code never issued (so no old execution can have taken them)."""
    if old == new:
        return True
    if new[0] == "alt" and old[0] != "alt":
        return _compatible(("alt", (old,)), new, known)
    if old[0] != new[0]:
        return False
    if old[0] == "loop":
        return _compatible(old[1], new[1], known)  # type: ignore[arg-type]
    old_children: tuple[Node, ...] = old[1]  # type: ignore[assignment]
    new_children: tuple[Node, ...] = new[1]  # type: ignore[assignment]
    if old[0] == "seq":
        return len(old_children) == len(new_children) and all(
            _compatible(a, b, known) for a, b in zip(old_children, new_children, strict=True)
        )
    if old[0] == "alt":
        added = [branch for branch in new_children if branch not in old_children]
        kept = all(branch in new_children for branch in old_children)
        return kept and all(
            branch != EMPTY
            and all(leaf[0] == "cmd" for leaf in _leaves(branch))
            and not _commands(branch) & known
            for branch in added
        )
    return False


def _label(item: str) -> str:
    kind, _, target = item.partition(":")
    if kind == "call":
        return f"self.{target}()"
    noun = kind.replace("_", " ").replace("continue as new", "continue-as-new")
    return f"{noun} '{target}'" if target else noun


def _labels(items: Sequence[str]) -> str:
    return ", ".join(_label(item) for item in items)


def _describe(before: Sequence[str], after: Sequence[str], existed: bool, exists: bool) -> str:
    if not existed:
        return f"new function issuing {_labels(after)}"
    if not exists:
        return f"function removed (it issued {_labels(before)})"
    if before == after:
        return "the branches or loops around its commands changed"
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


def _own(analysis: _Analysis, function: str) -> tuple[str, ...]:
    return tuple(call.item for call in analysis.calls if call.function == function)


def _with_calls(analysis: _Analysis, function: str, issuing: frozenset[str]) -> tuple[str, ...]:
    cls = function.rpartition(".")[0]
    return tuple(
        item
        for item in analysis.flat.get(function, ())
        if not item.startswith("call:") or f"{cls}.{item[5:]}" in issuing
    )


def command_sequence_changes(old: str, new: str) -> list[SequenceChange]:
    """Per function, the changes to the commands it can issue that replay may notice.

    A static view (see the module docstring): it flags likely replay-breaking edits, it does
    not prove determinism. Returns [] if either side does not parse, since nothing reliable
    can be said then.
    """
    before, after = analyse(old), analyse(new)
    if before is None or after is None:
        return []
    issuing = before.issuing | after.issuing
    known = {call.item for call in before.calls}
    changes: list[SequenceChange] = []
    for function in dict.fromkeys([*before.trees, *after.trees]):
        existed, exists = function in before.trees, function in after.trees
        old_tree = _prune(before.trees[function], issuing) if existed else EMPTY
        new_tree = _prune(after.trees[function], issuing) if exists else EMPTY
        if old_tree == new_tree or (existed and exists and _compatible(old_tree, new_tree, known)):
            continue
        old_own, new_own = _own(before, function), _own(after, function)
        if old_own == new_own:  # the change is in self-calls or structure
            old_own = _with_calls(before, function, issuing)
            new_own = _with_calls(after, function, issuing)
        description = f"{function}: {_describe(old_own, new_own, existed, exists)}"
        changes.append(
            SequenceChange(function, _own(before, function), _own(after, function), description)
        )
    return changes


def temporal_calls(text: str) -> list[TemporalCall]:
    """Every command-issuing Temporal call in source order ([] if the text does not parse).

    Recognises ``workflow.x(...)``, ``temporalio.workflow.x(...)``, aliased module imports and
    ``from temporalio.workflow import x``, plus ``asyncio.sleep`` which the Temporal event loop
    turns into a timer.
    """
    analysis = analyse(text)
    return list(analysis.calls) if analysis is not None else []
