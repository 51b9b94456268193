"""Stage 2, validate: check the loaded data against the schema and against itself.

Returns the typed ``Definition`` or diagnostics that each name the file:line of the offending
key. All problems are collected in one pass, so a user fixes them in one round.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import pydantic

from dagent_gen import limits, names, providers
from dagent_gen.codes import Code
from dagent_gen.cycles import subagent_cycles
from dagent_gen.definition import (
    AgentSection,
    Definition,
    McpSection,
    ProjectSection,
    ToolSection,
)
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.limits import check_range, check_timeout, parse_duration
from dagent_gen.load import KeyPath, SourceMap
from dagent_gen.loop_vocabulary import BUILTIN_TOOL_NAMES
from dagent_gen.mcp_definition import check_mcp
from dagent_gen.schema_errors import is_python, schema_diagnostics
from dagent_gen.validate_providers import check_budget, check_model, check_prices
from dagent_gen.validate_toolkit import check_toolkit

__all__ = ["PROVIDERS", "RESERVED_TOOL_NAMES", "parse_duration", "validate"]

RESERVED_TOOL_NAMES = BUILTIN_TOOL_NAMES  # the loop handles them itself
PROVIDERS = tuple(providers.PROVIDERS)


def validate(data: dict[str, Any], source: SourceMap) -> tuple[Definition | None, list[Diagnostic]]:
    """The typed definition, or every problem found: schema errors (unknown keys, wrong types)
    and, for the parts that do fit the schema, the semantic checks too, so one run reports
    all of them. Diagnostics are sorted by position in the file."""
    try:
        definition = Definition.model_validate(data)
    except pydantic.ValidationError as err:
        problems = schema_diagnostics(err, data, source)
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
    agents, tools, mcp = data.get("agents", {}), data.get("tools", {}), data.get("mcp", {})
    if not all(isinstance(entries, dict) for entries in (agents, tools, mcp)):
        return None
    try:
        project = ProjectSection.model_validate(data.get("project"))
    except pydantic.ValidationError:
        return None
    broken: set[str] = set()
    sections: dict[str, dict[str, Any]] = {"agents": {}, "tools": {}, "mcp": {}}
    kinds = (("agents", AgentSection, agents), ("tools", ToolSection, tools))
    for kind, model, entries in (*kinds, ("mcp", McpSection, mcp)):
        for name, value in entries.items():
            try:
                sections[kind][name] = model.model_validate(value)
            except pydantic.ValidationError:
                broken.add(name)
    definition = Definition.model_construct(
        project=project, agents=sections["agents"], tools=sections["tools"], mcp=sections["mcp"]
    )
    return definition, broken


def _check(definition: Definition, source: SourceMap, broken: set[str]) -> list[Diagnostic]:
    """Semantic checks. ``broken`` names agents and tools that exist but failed the schema
    check: they are left out of ``definition`` and must not be reported as unknown."""
    problems: list[Diagnostic] = []
    python = is_python(source)

    def add(code: Code, message: str, path: KeyPath, hint: str | None = None) -> None:
        problems.append(error(code, message, source.locate(path), hint))

    package = definition.project.package
    package_problem = names.package_problem(package)
    if package_problem is not None:
        add(Code.INVALID_NAME, package_problem[0], ("project", "package"), package_problem[1])
    if definition.project.task_queue is not None and not definition.project.task_queue.strip():
        add(Code.INVALID_VALUE, "task_queue must not be empty", ("project", "task_queue"))
    if not definition.agents and not broken:
        hint = "pass agents=[Agent(...)] to Project" if python else "add an [agents.NAME] table"
        add(Code.NO_AGENTS, "the definition has no agents", ("project",), hint)
    entry = definition.project.entry_agent
    if entry is not None and entry not in definition.agents and entry not in broken:
        add(
            Code.UNKNOWN_AGENT,
            f"entry_agent {entry!r} is not an agent",
            ("project", "entry_agent"),
            _close_hint(entry, definition.agents, f"agents: {', '.join(definition.agents)}"),
        )

    for name, tool in definition.tools.items():
        path: KeyPath = ("tools", name)
        _check_name(add, "tool", name, path)
        _check_tool_module(add, tool.function, package, (*path, "function"))
        check_timeout(add, tool.timeout, (*path, "timeout"))
        _check_approval(add, tool, path)
        check_range(
            add, Code.RETRIES_OUT_OF_RANGE, tool.retries, limits.RETRIES, (*path, "retries")
        )
        for index, kind in enumerate(tool.non_retryable_errors):
            if not kind.isidentifier():
                add(
                    Code.INVALID_VALUE,
                    f"non_retryable_errors holds exception class names, not {kind!r}",
                    (*path, "non_retryable_errors", index),
                    'e.g. non_retryable_errors = ["KeyError", "ValueError"]',
                )
        check_range(
            add,
            Code.INVALID_VALUE,
            tool.max_output_chars,
            limits.MAX_OUTPUT_CHARS,
            (*path, "max_output_chars"),
        )

    for name, agent in definition.agents.items():
        _check_agent(add, definition, name, agent, broken, python)
    check_mcp(add, definition, broken)
    check_prices(add, definition)
    problems.extend(subagent_cycles(definition, source))
    problems.extend(check_toolkit(definition, source))
    return problems


def _check_idle_timeout(add: Any, agent: AgentSection, path: KeyPath) -> None:
    """idle_timeout: a duration like the others, meaningful for a conversational agent only."""
    refused: list[tuple[Any, ...]] = []

    def record(*problem: Any) -> None:
        refused.append(problem)
        add(*problem)

    check_timeout(record, agent.idle_timeout, path)
    if not refused and not agent.conversational and "idle_timeout" in agent.model_fields_set:
        add(
            Code.INVALID_VALUE,
            "idle_timeout is set but conversational is not",
            path,
            "add conversational = true, or remove idle_timeout",
        )


def _check_approval(add: Any, tool: ToolSection, path: KeyPath) -> None:
    """approval_timeout and approval_default only mean something for a tool that asks."""
    if tool.approval_timeout is not None:
        if not tool.approval:
            add(
                Code.INVALID_VALUE,
                "approval_timeout is set but approval is not",
                (*path, "approval_timeout"),
                "add approval = true, or remove approval_timeout",
            )
        else:
            maximum = limits.MAX_APPROVAL_TIMEOUT
            check_timeout(add, tool.approval_timeout, (*path, "approval_timeout"), maximum)
    elif "approval_default" in tool.model_fields_set:
        add(
            Code.INVALID_VALUE,
            "approval_default applies when approval_timeout expires, and there is no "
            "approval_timeout",
            (*path, "approval_default"),
            'add approval_timeout (e.g. "1h"), or remove approval_default',
        )


def _check_tool_module(add: Any, function: str, package: str, path: KeyPath) -> None:
    module = function.partition(":")[0].strip()
    problem = names.tool_module_problem(module, package) if module else None
    if problem is not None:
        add(Code.INVALID_NAME, problem, path, "rename the tool module or the package")


def _close_hint(name: str, known: Any, otherwise: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else otherwise


def _check_name(add: Any, kind: str, name: str, path: KeyPath) -> None:
    problem = names.name_problem(kind, name)
    if problem is not None:
        add(Code.INVALID_NAME, problem[0], path, problem[1])
    elif kind == "tool" and name in names.RESERVED_ACTIVITY_NAMES:
        add(
            Code.NAME_CLASH,
            f"tool name {name!r} is the name of the activity that calls the model",
            path,
            "give the tool another name",
        )
    elif kind == "tool" and name in RESERVED_TOOL_NAMES:
        add(
            Code.NAME_CLASH,
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
    _check_model_settings(add, agent, path)
    check_budget(add, definition, agent, path)
    _check_offered(add, definition, name, agent, broken, python)


def _check_model_settings(add: Any, agent: AgentSection, path: KeyPath) -> None:
    """The keys of the agent's model calls: provider, limits, endpoint, key variable."""
    check_model(add, agent, path)
    _check_max_steps(add, agent, (*path, "max_steps"))
    check_range(
        add,
        Code.INVALID_VALUE,
        agent.max_history_events,
        limits.MAX_HISTORY_EVENTS,
        (*path, "max_history_events"),
    )
    check_timeout(add, agent.model_timeout, (*path, "model_timeout"))
    _check_idle_timeout(add, agent, (*path, "idle_timeout"))
    check_range(
        add,
        Code.RETRIES_OUT_OF_RANGE,
        agent.model_retries,
        limits.RETRIES,
        (*path, "model_retries"),
    )
    if agent.temperature is not None and not 0 <= agent.temperature <= 2:
        add(
            Code.INVALID_VALUE,
            f"temperature must be between 0 and 2, not {agent.temperature}",
            (*path, "temperature"),
        )
    if agent.max_tokens is not None:
        check_range(
            add, Code.INVALID_VALUE, agent.max_tokens, limits.MAX_TOKENS, (*path, "max_tokens")
        )
    if agent.base_url is not None and not agent.base_url.startswith(("http://", "https://")):
        add(
            Code.INVALID_VALUE,
            f"base_url {agent.base_url!r} is not an http(s) URL",
            (*path, "base_url"),
            'e.g. "http://localhost:11434/v1" for Ollama',
        )
    if agent.api_key_env is not None and not re.match(
        r"^[A-Za-z_][A-Za-z0-9_]*$", agent.api_key_env
    ):
        add(
            Code.INVALID_VALUE,
            f"api_key_env {agent.api_key_env!r} is not an environment variable name",
            (*path, "api_key_env"),
            "name the variable that holds the key, e.g. OPENAI_API_KEY, not the key itself",
        )


def _check_offered(
    add: Any,
    definition: Definition,
    name: str,
    agent: AgentSection,
    broken: set[str],
    python: bool,
) -> None:
    """The agent's tools and sub-agents: known, listed once, one name each."""
    path: KeyPath = ("agents", name)
    offered: dict[str, str] = {}
    for index, tool in enumerate(agent.tools):
        where: KeyPath = (*path, "tools", index)
        if tool not in definition.tools and tool not in broken:
            hint = _close_hint(tool, definition.tools, f"add a [tools.{tool}] table")
            add(Code.UNKNOWN_TOOL, f"agent {name!r} uses unknown tool {tool!r}", where, hint)
        elif tool in offered:
            add(Code.NAME_CLASH, f"agent {name!r} lists the tool {tool!r} twice", where)
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
            add(Code.UNKNOWN_AGENT, message, where, hint)
        elif sub in offered:
            if offered[sub] == "tool":
                message = f"agent {name!r} offers two tools named {sub!r} (a tool and a sub-agent)"
            else:
                message = f"agent {name!r} lists the sub-agent {sub!r} twice"
            add(
                Code.NAME_CLASH,
                message,
                where,
                "the model sees tools and sub-agents under one name each: rename one of them"
                if offered[sub] == "tool"
                else None,
            )
        elif sub in definition.agents and definition.agents[sub].conversational:
            add(
                Code.INVALID_VALUE,
                f"agent {name!r} delegates to {sub!r}, a conversational agent: its run would "
                "wait for messages instead of returning its answer",
                where,
                f"set conversational = false on {sub!r}, or do not delegate to it",
            )
        elif agent.planning and sub in RESERVED_TOOL_NAMES:
            add(
                Code.NAME_CLASH,
                f"sub-agent name {sub!r} is reserved for the built-in planner",
                where,
                "rename that agent",
            )
        offered[sub] = "sub-agent"


def _check_max_steps(add: Any, agent: AgentSection, path: KeyPath) -> None:
    minimum = 3 if agent.planning else 1
    if agent.max_steps < minimum:
        add(
            Code.INVALID_VALUE,
            f"max_steps must be at least {minimum} for this agent, not {agent.max_steps}",
            path,
            "a planning agent needs a step to plan, one to work and one to answer"
            if agent.planning
            else "each step is one model call; the agent needs at least one",
        )
    elif agent.max_steps > limits.MAX_STEPS_LIMIT:
        add(
            Code.INVALID_VALUE,
            f"max_steps must be at most {limits.MAX_STEPS_LIMIT}, not {agent.max_steps}",
            path,
            "each step is a paid model call and grows the conversation every later call sends",
        )
