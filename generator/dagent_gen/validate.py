"""Stage 2, validate: check the loaded data against the schema and against itself.

Returns the typed ``Definition`` or diagnostics that each name the file:line of the offending
key. All problems are collected in one pass, so a user fixes them in one round.
"""

from __future__ import annotations

import difflib
import keyword
import re
from typing import Any

import pydantic

from dagent_gen.definition import AgentSection, Definition, ProjectSection, ToolSection
from dagent_gen.diagnostics import Diagnostic, error
from dagent_gen.load import KeyPath, SourceMap

RESERVED_TOOL_NAMES = frozenset({"write_todos"})
PROVIDERS = ("openai",)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_SECTIONS: dict[str, type[pydantic.BaseModel]] = {
    "project": ProjectSection,
    "agents": AgentSection,
    "tools": ToolSection,
}


def parse_duration(value: str | int | float) -> float | None:
    """Seconds in ``"30s"``, ``"1m30s"``, ``"500ms"``, ``"2h"`` or a bare number; None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    text = value.strip().replace(" ", "")
    if not text:
        return None
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or total <= 0:
        return None
    return total


def validate(data: dict[str, Any], source: SourceMap) -> tuple[Definition | None, list[Diagnostic]]:
    try:
        definition = Definition.model_validate(data)
    except pydantic.ValidationError as err:
        return None, [_schema_diagnostic(e, data, source) for e in err.errors()]
    problems = _check(definition, source)
    return (None if problems else definition), problems


def _schema_diagnostic(problem: Any, data: dict[str, Any], source: SourceMap) -> Diagnostic:
    path: KeyPath = tuple(problem["loc"])
    where = source.locate(path)
    table = _table_name(path[:-1])
    key = str(path[-1]) if path else ""
    if problem["type"] == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return error("DG201", f"unknown key {key!r} in {table}", where, hint)
    if problem["type"] == "missing":
        return error("DG202", f"{table} needs the key {key!r}", where, _MISSING_HINTS.get(key))
    return error(
        "DG202",
        f"invalid value for {_table_name(path)}: {problem['msg']} (got {problem['input']!r})",
        where,
    )


_MISSING_HINTS = {
    "project": 'add a [project] table with package = "my_agents"',
    "package": 'the Python package to generate, e.g. package = "my_agents"',
    "function": 'the tool function as "module:function", e.g. function = "tools:search"',
}


def _table_name(path: KeyPath) -> str:
    if not path:
        return "the definition"
    if path[0] in ("agents", "tools") and len(path) >= 2:
        rest = "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in path[2:])
        return f"[{path[0]}.{path[1]}]{rest}"
    return f"[{'.'.join(str(part) for part in path)}]"


def _allowed_keys(table: KeyPath) -> list[str]:
    if not table:
        return sorted(_SECTIONS)
    model = _SECTIONS.get(str(table[0]))
    return sorted(model.model_fields) if model else []


def _check(definition: Definition, source: SourceMap) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def add(code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        problems.append(error(code, message, source.locate(path), hint))

    package = definition.project.package
    if not package.isidentifier() or keyword.iskeyword(package):
        add(
            "DG209",
            f"package {package!r} is not a valid Python package name",
            ("project", "package"),
            "use lowercase letters, digits and underscores, e.g. research_agent",
        )
    if definition.project.task_queue is not None and not definition.project.task_queue.strip():
        add("DG202", "task_queue must not be empty", ("project", "task_queue"))
    if not definition.agents:
        add("DG210", "the definition has no agents", ("project",), "add an [agents.NAME] table")
    entry = definition.project.entry_agent
    if entry is not None and entry not in definition.agents:
        add("DG204", f"entry_agent {entry!r} is not an agent", ("project", "entry_agent"))

    for name, tool in definition.tools.items():
        path: KeyPath = ("tools", name)
        _check_name(add, "tool", name, path)
        if parse_duration(tool.timeout) is None:
            add("DG207", f"invalid duration {tool.timeout!r}", (*path, "timeout"), _DURATION_HINT)
        if tool.retries < 0:
            add("DG208", f"retries must be 0 or more, not {tool.retries}", (*path, "retries"))
        if tool.max_output_chars < 100:
            add("DG202", "max_output_chars must be at least 100", (*path, "max_output_chars"))

    for name, agent in definition.agents.items():
        _check_agent(add, definition, name, agent)
    problems.extend(_cycles(definition, source))
    return problems


_DURATION_HINT = 'write a duration like "30s", "5m", "1h30m", "500ms" or a number of seconds'


def _check_name(add: Any, kind: str, name: str, path: KeyPath) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        add(
            "DG209",
            f"{kind} name {name!r} must be a lowercase Python identifier",
            path,
            "use lowercase letters, digits and underscores, starting with a letter",
        )
    elif kind == "tool" and name in RESERVED_TOOL_NAMES:
        add("DG206", f"tool name {name!r} is reserved for the built-in planner", path)


def _check_agent(add: Any, definition: Definition, name: str, agent: AgentSection) -> None:
    path: KeyPath = ("agents", name)
    _check_name(add, "agent", name, path)
    provider, _, model = agent.model.partition(":")
    if not model or provider not in PROVIDERS:
        add(
            "DG211",
            f"model {agent.model!r} is not of the form provider:model",
            (*path, "model"),
            'use "openai:MODEL"; for Ollama, vLLM or LiteLLM add base_url (and api_key_env)',
        )
    minimum = 3 if agent.planning else 1
    if agent.max_steps < minimum:
        add(
            "DG202",
            f"max_steps must be at least {minimum} for this agent, not {agent.max_steps}",
            (*path, "max_steps"),
            "a planning agent needs a step to plan, one to work and one to answer",
        )
    if parse_duration(agent.model_timeout) is None:
        add(
            "DG207",
            f"invalid duration {agent.model_timeout!r}",
            (*path, "model_timeout"),
            _DURATION_HINT,
        )
    if agent.model_retries < 0:
        add(
            "DG208",
            f"model_retries must be 0 or more, not {agent.model_retries}",
            (*path, "model_retries"),
        )
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", agent.api_key_env):
        add(
            "DG202",
            f"api_key_env {agent.api_key_env!r} is not an environment variable name",
            (*path, "api_key_env"),
        )
    offered: dict[str, str] = {}
    for index, tool in enumerate(agent.tools):
        if tool not in definition.tools:
            close = difflib.get_close_matches(tool, list(definition.tools), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"add a [tools.{tool}] table"
            add(
                "DG203", f"agent {name!r} uses unknown tool {tool!r}", (*path, "tools", index), hint
            )
        elif tool in offered:
            add("DG206", f"tool {tool!r} is listed twice", (*path, "tools", index))
        offered[tool] = "tool"
    for index, sub in enumerate(agent.subagents):
        where = (*path, "subagents", index)
        if sub not in definition.agents:
            close = difflib.get_close_matches(sub, list(definition.agents), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"add an [agents.{sub}] table"
            add("DG204", f"agent {name!r} delegates to unknown agent {sub!r}", where, hint)
        elif sub in offered:
            kind = offered[sub]
            add(
                "DG206",
                f"agent {name!r} offers two tools named {sub!r} (a {kind} and a sub-agent)",
                where,
                "rename the tool or the sub-agent: the model sees both under one name",
            )
        elif agent.planning and sub in RESERVED_TOOL_NAMES:
            add("DG206", f"sub-agent name {sub!r} is reserved for the built-in planner", where)
        offered[sub] = "sub-agent"


def _cycles(definition: Definition, source: SourceMap) -> list[Diagnostic]:
    """Sub-agent cycles: an agent that can (transitively) delegate to itself."""
    problems: list[Diagnostic] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(definition.agents):
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            current, trail = stack.pop()
            agent = definition.agents.get(current)
            if agent is None:
                continue
            for sub in agent.subagents:
                if sub == start:
                    cycle = [*trail, sub]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        index = definition.agents[trail[-1]].subagents.index(sub)
                        problems.append(
                            error(
                                "DG205",
                                f"sub-agent cycle: {' -> '.join(cycle)}",
                                source.locate(("agents", trail[-1], "subagents", index)),
                                "an agent cannot delegate to itself, directly or through others",
                            )
                        )
                elif sub not in trail:
                    stack.append((sub, [*trail, sub]))
    return problems
