"""Stage 2, validate: check the loaded data against the schema and against itself.

Returns the typed ``Definition`` or diagnostics that each name the file:line of the offending
key. All problems are collected in one pass, so a user fixes them in one round.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import pydantic

from dagent_gen import limits, names
from dagent_gen.definition import AgentSection, Definition, ProjectSection, ToolSection
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.limits import check_range, check_timeout, parse_duration
from dagent_gen.load import KeyPath, SourceMap

__all__ = ["PROVIDERS", "RESERVED_TOOL_NAMES", "parse_duration", "validate"]

RESERVED_TOOL_NAMES = frozenset({"write_todos"})
PROVIDERS = ("openai",)
_SECTIONS: dict[str, type[pydantic.BaseModel]] = {
    "project": ProjectSection,
    "agents": AgentSection,
    "tools": ToolSection,
}


def validate(data: dict[str, Any], source: SourceMap) -> tuple[Definition | None, list[Diagnostic]]:
    """The typed definition, or every problem found: schema errors (unknown keys, wrong types)
    and, for the parts that do fit the schema, the semantic checks too, so one run reports
    all of them. Diagnostics are sorted by position in the file."""
    try:
        definition = Definition.model_validate(data)
    except pydantic.ValidationError as err:
        problems = _schema_diagnostics(err, data, source)
        partial = _partial(data)
        if partial is not None:
            problems += _check(partial[0], source, partial[1])
        return None, _sorted(problems)
    problems = _check(definition, source, set())
    return (None if problems else definition), _sorted(problems)


def _sorted(problems: list[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda d: (d.location is None, d.location or Location("")))


def _partial(data: Any) -> tuple[Definition, set[str]] | None:
    """The sections of ``data`` that fit the schema (when [project] does), and the names of
    the agents and tools that do not: they exist, so references to them are not "unknown"."""
    if not isinstance(data, dict):
        return None
    agents, tools = data.get("agents", {}), data.get("tools", {})
    if not isinstance(agents, dict) or not isinstance(tools, dict):
        return None
    try:
        project = ProjectSection.model_validate(data.get("project"))
    except pydantic.ValidationError:
        return None
    broken: set[str] = set()
    sections: dict[str, dict[str, Any]] = {"agents": {}, "tools": {}}
    for kind, model, entries in (("agents", AgentSection, agents), ("tools", ToolSection, tools)):
        for name, value in entries.items():
            try:
                sections[kind][name] = model.model_validate(value)
            except pydantic.ValidationError:
                broken.add(name)
    definition = Definition.model_construct(
        project=project, agents=sections["agents"], tools=sections["tools"]
    )
    return definition, broken


def _schema_diagnostics(
    err: pydantic.ValidationError, data: dict[str, Any], source: SourceMap
) -> list[Diagnostic]:
    """One diagnostic per offending key. pydantic reports a value that fits no member of a
    union once per member (``temperature.float``, ``temperature.int``): those are merged."""
    merged: dict[KeyPath, list[Any]] = {}
    for problem in err.errors():
        path = tuple(problem["loc"])
        if problem["type"] not in ("missing", "extra_forbidden"):
            path = _existing(path, data)
        merged.setdefault(path, []).append(problem)
    return [_schema_diagnostic(path, found, source) for path, found in merged.items()]


def _existing(path: KeyPath, data: Any) -> KeyPath:
    """The longest prefix of ``path`` that names a value in ``data`` (drops union tags)."""
    value = data
    for end, part in enumerate(path):
        in_dict = isinstance(value, dict) and part in value
        in_list = isinstance(value, list | tuple) and isinstance(part, int) and part < len(value)
        if not (in_dict or in_list):
            return path[:end]
        value = value[part]
    return path


def _schema_diagnostic(path: KeyPath, problems: list[Any], source: SourceMap) -> Diagnostic:
    python = _is_python(source)
    where = source.locate(path)
    table = _table_name(path[:-1], python)
    key = str(path[-1]) if path else ""
    first = problems[0]
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return error("DG201", f"unknown key {key!r} in {table}", where, hint)
    if first["type"] == "missing" and path == ("project",):
        return error("DG202", "the definition has no [project] table", where, _MISSING_HINTS[key])
    if first["type"] == "missing":
        return error("DG202", f"{table} needs the key {key!r}", where, _MISSING_HINTS.get(key))
    expected = [_EXPECTED.get(problem["type"]) for problem in problems]
    if None in expected:
        reasons = "; ".join(dict.fromkeys(str(problem["msg"]) for problem in problems))
        message = f"invalid value for {_key_name(path, python)}: {reasons}"
        return error("DG202", f"{message} (got {_describe(first['input'])})", where)
    wanted = list(dict.fromkeys(str(text) for text in expected))
    if "an integer" in wanted and "a number" in wanted:
        wanted.remove("an integer")
    if path and path[-1] in ("timeout", "model_timeout"):
        wanted = ['a duration such as "30s"', "a number of seconds"]
    message = (
        f"{_key_name(path, python)} must be {' or '.join(wanted)}, not {_describe(first['input'])}"
    )
    return error("DG202", message, where, _type_hint(path, wanted, first["input"], python))


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)


def _type_hint(path: KeyPath, wanted: list[str], value: Any, python: bool) -> str | None:
    key = str(path[-1]) if path else ""
    equals = "=" if python else " = "
    if isinstance(value, str) and any(w in ("an integer", "a number") for w in wanted):
        return f"remove the quotes: {key}{equals}{value.strip()}" if _numeric(value) else None
    if isinstance(value, str) and wanted == ["true or false"]:
        true, false = ("True", "False") if python else ("true", "false")
        return f"write {key}{equals}{true} or {key}{equals}{false}"
    if wanted == ["a list"] and isinstance(value, str):
        return f'write a list: {key}{equals}["{value}"]'
    if wanted == ["a string"] and not isinstance(value, dict | list | tuple) and not python:
        return "put the value in double quotes"
    if wanted == ["a table"] and path and path[0] in ("agents", "tools") and not python:
        return f"write each one as its own table: [{path[0]}.NAME]"
    return None


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_MISSING_HINTS = {
    "project": 'add a [project] table with package = "my_agents"',
    "package": 'the Python package to generate, e.g. package = "my_agents"',
    "function": 'the tool function as "module:function", e.g. function = "tools:search"',
}


def _is_python(source: SourceMap) -> bool:
    return source.file.endswith(".py")


def _table_name(path: KeyPath, python: bool = False) -> str:
    if not path:
        return "the definition"
    if python and path[0] in ("agents", "tools") and len(path) == 2:
        return f"{'Agent' if path[0] == 'agents' else 'Tool'} {path[1]!r}"
    if python and path == ("project",):
        return "Project"
    if path[0] in ("agents", "tools") and len(path) >= 2:
        rest = "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in path[2:])
        return f"[{path[0]}.{path[1]}]{rest}"
    return f"[{'.'.join(str(part) for part in path)}]"


def _allowed_keys(table: KeyPath) -> list[str]:
    if not table:
        return sorted(_SECTIONS)
    model = _SECTIONS.get(str(table[0]))
    return sorted(model.model_fields) if model else []


def _key_name(path: KeyPath, python: bool) -> str:
    """``max_steps in [agents.main]``, ``tools[0] in [agents.main]``, ``[project]``."""
    if not path:
        return "the definition"
    names = [str(part) for part in path]
    if isinstance(path[-1], int) and len(path) >= 2:
        names = [*names[:-2], f"{names[-2]}[{path[-1]}]"]
        path = (*path[:-2], names[-1])
    if len(path) == 1:
        return f"[{path[0]}]" if not python else str(path[0])
    if len(path) == 2 and path[0] in ("agents", "tools"):
        return _table_name(path, python)
    return f"{names[-1]} in {_table_name(path[:-1], python)}"


def _check(definition: Definition, source: SourceMap, broken: set[str]) -> list[Diagnostic]:
    """Semantic checks. ``broken`` names agents and tools that exist but failed the schema
    check: they are left out of ``definition`` and must not be reported as unknown."""
    problems: list[Diagnostic] = []
    python = _is_python(source)

    def add(code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        problems.append(error(code, message, source.locate(path), hint))

    package = definition.project.package
    package_problem = names.package_problem(package)
    if package_problem is not None:
        add("DG209", package_problem[0], ("project", "package"), package_problem[1])
    if definition.project.task_queue is not None and not definition.project.task_queue.strip():
        add("DG202", "task_queue must not be empty", ("project", "task_queue"))
    if not definition.agents and not broken:
        hint = "pass agents=[Agent(...)] to Project" if python else "add an [agents.NAME] table"
        add("DG210", "the definition has no agents", ("project",), hint)
    entry = definition.project.entry_agent
    if entry is not None and entry not in definition.agents and entry not in broken:
        add(
            "DG204",
            f"entry_agent {entry!r} is not an agent",
            ("project", "entry_agent"),
            _close_hint(entry, definition.agents, f"agents: {', '.join(definition.agents)}"),
        )

    for name, tool in definition.tools.items():
        path: KeyPath = ("tools", name)
        _check_name(add, "tool", name, path)
        _check_tool_module(add, tool.function, package, (*path, "function"))
        check_timeout(add, tool.timeout, (*path, "timeout"))
        check_range(add, "DG208", tool.retries, limits.RETRIES, (*path, "retries"))
        for index, kind in enumerate(tool.non_retryable_errors):
            if not kind.isidentifier():
                add(
                    "DG202",
                    f"non_retryable_errors holds exception class names, not {kind!r}",
                    (*path, "non_retryable_errors", index),
                    'e.g. non_retryable_errors = ["KeyError", "ValueError"]',
                )
        check_range(
            add,
            "DG202",
            tool.max_output_chars,
            limits.MAX_OUTPUT_CHARS,
            (*path, "max_output_chars"),
        )

    for name, agent in definition.agents.items():
        _check_agent(add, definition, name, agent, broken, python)
    problems.extend(_cycles(definition, source))
    return problems


def _check_tool_module(add: Any, function: str, package: str, path: KeyPath) -> None:
    module = function.partition(":")[0].strip()
    problem = names.tool_module_problem(module, package) if module else None
    if problem is not None:
        add("DG209", problem, path, "rename the tool module or the package")


def _close_hint(name: str, known: Any, otherwise: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else otherwise


def _check_name(add: Any, kind: str, name: str, path: KeyPath) -> None:
    problem = names.name_problem(kind, name)
    if problem is not None:
        add("DG209", problem[0], path, problem[1])
    elif kind == "tool" and name in names.RESERVED_ACTIVITY_NAMES:
        add(
            "DG206",
            f"tool name {name!r} is the name of the activity that calls the model",
            path,
            "give the tool another name",
        )
    elif kind == "tool" and name in RESERVED_TOOL_NAMES:
        add(
            "DG206",
            f"tool name {name!r} is reserved for the built-in planner",
            path,
            "give the tool another name",
        )


def _check_agent(
    add: Any,
    definition: Definition,
    name: str,
    agent: AgentSection,
    broken: set[str],
    python: bool,
) -> None:
    path: KeyPath = ("agents", name)
    _check_name(add, "agent", name, path)
    provider, _, model = agent.model.partition(":")
    if not model:
        add(
            "DG211",
            f"model {agent.model!r} does not name its provider",
            (*path, "model"),
            f'write it as provider:model, e.g. "openai:{agent.model or "gpt-4o-mini"}"',
        )
    elif provider not in PROVIDERS:
        add(
            "DG211",
            f"model {agent.model!r}: unknown provider {provider!r} "
            f"(supported: {', '.join(PROVIDERS)})",
            (*path, "model"),
            "for other providers use an OpenAI-compatible endpoint (Ollama, vLLM, LiteLLM): "
            'model = "openai:MODEL" with base_url (and api_key_env)',
        )
    _check_max_steps(add, agent, (*path, "max_steps"))
    check_timeout(add, agent.model_timeout, (*path, "model_timeout"))
    check_range(add, "DG208", agent.model_retries, limits.RETRIES, (*path, "model_retries"))
    if agent.temperature is not None and not 0 <= agent.temperature <= 2:
        add(
            "DG202",
            f"temperature must be between 0 and 2, not {agent.temperature}",
            (*path, "temperature"),
        )
    if agent.max_tokens is not None:
        check_range(add, "DG202", agent.max_tokens, limits.MAX_TOKENS, (*path, "max_tokens"))
    if agent.base_url is not None and not agent.base_url.startswith(("http://", "https://")):
        add(
            "DG202",
            f"base_url {agent.base_url!r} is not an http(s) URL",
            (*path, "base_url"),
            'e.g. "http://localhost:11434/v1" for Ollama',
        )
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", agent.api_key_env):
        add(
            "DG202",
            f"api_key_env {agent.api_key_env!r} is not an environment variable name",
            (*path, "api_key_env"),
            "name the variable that holds the key, e.g. OPENAI_API_KEY, not the key itself",
        )
    offered: dict[str, str] = {}
    for index, tool in enumerate(agent.tools):
        where: KeyPath = (*path, "tools", index)
        if tool not in definition.tools and tool not in broken:
            hint = _close_hint(tool, definition.tools, f"add a [tools.{tool}] table")
            add("DG203", f"agent {name!r} uses unknown tool {tool!r}", where, hint)
        elif tool in offered:
            add("DG206", f"agent {name!r} lists the tool {tool!r} twice", where)
        offered[tool] = "tool"
    for index, sub in enumerate(agent.subagents):
        where = (*path, "subagents", index)
        if sub not in definition.agents and sub not in broken:
            otherwise = (
                "add the Agent to Project(agents=[...])"
                if python
                else f"add an [agents.{sub}] table"
            )
            hint = _close_hint(sub, definition.agents, otherwise)
            message = f"agent {name!r} delegates to unknown agent {sub!r}"
            if python:
                message = (
                    f"agent {name!r} delegates to {sub!r}, which is not in the Project's agents"
                )
            add("DG204", message, where, hint)
        elif sub in offered:
            if offered[sub] == "tool":
                message = f"agent {name!r} offers two tools named {sub!r} (a tool and a sub-agent)"
            else:
                message = f"agent {name!r} lists the sub-agent {sub!r} twice"
            add(
                "DG206",
                message,
                where,
                "the model sees tools and sub-agents under one name each: rename one of them"
                if offered[sub] == "tool"
                else None,
            )
        elif agent.planning and sub in RESERVED_TOOL_NAMES:
            add(
                "DG206",
                f"sub-agent name {sub!r} is reserved for the built-in planner",
                where,
                "rename that agent",
            )
        offered[sub] = "sub-agent"


def _check_max_steps(add: Any, agent: AgentSection, path: KeyPath) -> None:
    minimum = 3 if agent.planning else 1
    if agent.max_steps < minimum:
        add(
            "DG202",
            f"max_steps must be at least {minimum} for this agent, not {agent.max_steps}",
            path,
            "a planning agent needs a step to plan, one to work and one to answer"
            if agent.planning
            else "each step is one model call; the agent needs at least one",
        )
    elif agent.max_steps > limits.MAX_STEPS_LIMIT:
        add(
            "DG202",
            f"max_steps must be at most {limits.MAX_STEPS_LIMIT}, not {agent.max_steps}",
            path,
            "every step grows the workflow history, which Temporal caps at 51,200 events",
        )


def _cycles(definition: Definition, source: SourceMap) -> list[Diagnostic]:
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
                "DG205",
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
