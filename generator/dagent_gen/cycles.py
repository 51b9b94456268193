"""Sub-agent cycles: an agent must not delegate to itself, directly or through others."""

from __future__ import annotations

from dagent_gen.codes import Code
from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic, error
from dagent_gen.load import SourceMap


def subagent_cycles(definition: Definition, source: SourceMap) -> list[Diagnostic]:
    """Sub-agent cycles: agents that can (transitively) delegate to themselves.

    One diagnostic per group of agents that reach each other (showing the shortest cycle
    through the first of them by name), plus one per agent that delegates to itself. The cost
    is polynomial: many paths between the same agents cannot make it slow.
    """
    agents = definition.agents
    edges = {
        name: [sub for sub in agent.subagents if sub in agents] for name, agent in agents.items()
    }
    reach = {name: _reachable(name, edges) for name in agents}
    problems: list[Diagnostic] = []

    def report(cycle: list[str]) -> None:
        closing, target = cycle[-2], cycle[-1]
        index = agents[closing].subagents.index(target)
        problems.append(
            error(
                Code.SUBAGENT_CYCLE,
                f"sub-agent cycle: {' -> '.join(cycle)}",
                source.locate(("agents", closing, "subagents", index)),
                "an agent cannot delegate to itself, directly or through others",
            )
        )

    done: set[str] = set()
    for name in sorted(agents):
        if name in edges[name]:
            report([name, name])
        if name in done:
            continue
        group = {other for other in reach[name] if other != name and name in reach[other]}
        done |= group
        if group:
            report(_shortest_cycle(name, edges))
    return problems


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    """Agents ``start`` delegates to, directly or through others."""
    found: set[str] = set()
    stack = list(edges[start])
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(edges[current])
    return found


def _shortest_cycle(start: str, edges: dict[str, list[str]]) -> list[str]:
    """A shortest ``start -> ... -> start`` path of length 2 or more (breadth first)."""
    parents: dict[str, str] = {}
    queue = [sub for sub in edges[start] if sub != start]
    for sub in queue:
        parents.setdefault(sub, start)
    for current in queue:
        for sub in edges[current]:
            if sub == start:
                path = [current]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if sub not in parents and sub != start:
                parents[sub] = current
                queue.append(sub)
    return [start, start]  # unreachable: callers pass an agent on a cycle
