"""Cross-checks of the built-in toolkit keys: filesystem, shell, skills and memory.

Called from ``validate._check``. Skill folders are read here (relative to the definition's
folder), so a broken ``SKILL.md`` fails the build with its own file and line. The worker is
assumed to run in the project folder: relative roots, skill folders and memory files are
resolved against it, so "inside the root" can be checked at build time.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from dagent_gen import limits
from dagent_gen.builtin_tools import FILESYSTEM_TOOLS, MEMORY_ACTIVITY, WRITE_TOOLS, builtin_tools
from dagent_gen.codes import Code
from dagent_gen.definition import AgentSection, Definition
from dagent_gen.diagnostics import Diagnostic, error
from dagent_gen.limits import check_range, check_timeout, parse_duration
from dagent_gen.load import KeyPath, SourceMap
from dagent_gen.runtime import shell_allow
from dagent_gen.skills import is_folder_entry, scan_folder

Add = Callable[..., None]
MIN_OUTPUT_CHARS = limits.Limit(1_000, 500_000, "the built-in tools need room for their notes")
MAX_SHELL_TIMEOUT = 3600.0
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_toolkit(definition: Definition, source: SourceMap) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def add(code: Code, message: str, path: KeyPath, hint: str | None = None) -> None:
        problems.append(error(code, message, source.locate(path), hint))

    for name, bundle in definition.skills.items():
        for index, tool in enumerate(bundle.tools):
            if tool not in definition.tools:
                message = f"skill {name!r} uses unknown tool {tool!r}"
                add(Code.UNKNOWN_TOOL, message, ("skills", name, "tools", index))
    enabled = {tool for agent in definition.agents.values() for tool in builtin_tools(agent)}
    if any(agent.memory for agent in definition.agents.values()):
        enabled.add(MEMORY_ACTIVITY)
    for name in definition.tools:
        if name in enabled:
            message = f"tool name {name!r} is the name of a built-in tool an agent enables"
            add(Code.NAME_CLASH, message, ("tools", name), "give the tool another name")
    for name, agent in definition.agents.items():
        path: KeyPath = ("agents", name)
        _check_filesystem(add, agent, path)
        _check_shell(add, agent, path)
        _check_offered_names(add, definition, agent, path)
        problems += _check_skills(add, definition, agent, path, source)
        _check_memory(add, agent, path)
    return problems


def _check_filesystem(add: Add, agent: AgentSection, path: KeyPath) -> None:
    section = agent.filesystem
    if section is None:
        return
    where: KeyPath = (*path, "filesystem")
    if not section.root.strip():
        add(Code.INVALID_VALUE, "filesystem root must not be empty", (*where, "root"), 'e.g. "."')
    seen: set[str] = set()
    for index, tool in enumerate(section.tools or []):
        at: KeyPath = (*where, "tools", index)
        if tool not in FILESYSTEM_TOOLS:
            add(
                Code.INVALID_VALUE,
                f"{tool!r} is not a filesystem tool",
                at,
                f"choose from {', '.join(FILESYSTEM_TOOLS)}",
            )
        elif tool in seen:
            add(Code.INVALID_VALUE, f"filesystem tools list {tool!r} twice", at)
        elif section.read_only and tool in WRITE_TOOLS:
            add(
                Code.INVALID_VALUE,
                f"{tool!r} writes, but this filesystem is read_only",
                at,
                "remove it, or set read_only = false",
            )
        seen.add(tool)
    check_range(
        add,
        Code.INVALID_VALUE,
        section.max_output_chars,
        MIN_OUTPUT_CHARS,
        (*where, "max_output_chars"),
    )


def _check_shell(add: Add, agent: AgentSection, path: KeyPath) -> None:
    section = agent.shell
    if section is None:
        return
    where: KeyPath = (*path, "shell")
    if not section.root.strip():
        add(Code.INVALID_VALUE, "shell root must not be empty", (*where, "root"), 'e.g. "."')
    check_timeout(add, section.timeout, (*where, "timeout"))
    seconds = parse_duration(section.timeout)
    if seconds is not None and math.isfinite(seconds) and seconds > MAX_SHELL_TIMEOUT:
        message = f"shell timeout must be at most 1h, not {section.timeout!r}"
        add(Code.INVALID_DURATION, message, (*where, "timeout"))
    check_range(
        add,
        Code.INVALID_VALUE,
        section.max_output_chars,
        MIN_OUTPUT_CHARS,
        (*where, "max_output_chars"),
    )
    for index, name in enumerate(section.env):
        if not _ENV_NAME.match(name):
            message = f"shell env entry {name!r} is not an environment variable name"
            add(Code.INVALID_VALUE, message, (*where, "env", index), "name the variable only")
    for index, program in enumerate(section.allow or []):
        try:
            shell_allow.check_program_name(program)
        except ValueError as err:
            add(Code.INVALID_VALUE, str(err), (*where, "allow", index))


def _check_offered_names(
    add: Add, definition: Definition, agent: AgentSection, path: KeyPath
) -> None:
    """A built-in tool's name may not also name a tool, sub-agent or skill tool of the agent."""
    builtins = set(builtin_tools(agent))
    hint = "the model sees every tool under one name: rename the tool or the agent"
    for kind, names in (("tools", agent.tools), ("subagents", agent.subagents)):
        for index, name in enumerate(names):
            if name in builtins:
                message = f"{name!r} is also the name of a built-in tool of this agent"
                add(Code.NAME_CLASH, message, (*path, kind, index), hint)
    for index, entry in enumerate(agent.skills):
        bundle = definition.skills.get(entry)
        clashes = [tool for tool in bundle.tools if tool in builtins] if bundle else []
        for tool in clashes:
            message = f"skill {entry!r} brings tool {tool!r}, also a built-in tool of this agent"
            add(Code.NAME_CLASH, message, (*path, "skills", index), hint)


def _check_skills(
    add: Add,
    definition: Definition,
    agent: AgentSection,
    path: KeyPath,
    source: SourceMap,
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    project_dir = Path(source.file).resolve().parent
    source_location = source.locate
    seen: dict[str, str] = {}  # skill name -> where it comes from, for the duplicate message
    for index, entry in enumerate(agent.skills):
        at: KeyPath = (*path, "skills", index)
        if not is_folder_entry(entry):
            if entry not in definition.skills:
                hint = f'add a [skills.{entry}] table, or write a folder as "{entry}/"'
                add(Code.INVALID_SKILL, f"unknown skill {entry!r}", at, hint)
            elif entry in seen:
                add(Code.INVALID_SKILL, f"skill {entry!r} is listed twice", at)
            seen.setdefault(entry, f"[skills.{entry}]")
            continue
        folder = _inside_root(add, agent, entry, at, project_dir)
        if folder is None:
            continue
        if not folder.is_dir():
            add(Code.INVALID_SKILL, f"skills folder {entry!r} does not exist", at)
            continue
        shown = entry if entry.endswith("/") else entry + "/"
        skills, found = scan_folder(folder, source_location(at), shown)
        problems += found
        for skill in skills:
            if skill.name in seen:
                message = f"two skills of this agent are named {skill.name!r}"
                add(Code.INVALID_SKILL, message, at, f"the other one: {seen[skill.name]}")
            seen[skill.name] = skill.file.relative_to(project_dir).as_posix()
    return problems


def _check_memory(add: Add, agent: AgentSection, path: KeyPath) -> None:
    for index, entry in enumerate(agent.memory):
        at: KeyPath = (*path, "memory", index)
        parts = PurePosixPath(entry).parts
        if not entry.strip() or entry.startswith(("/", "~")) or ".." in parts:
            message = f"memory file {entry!r} must be a relative path without '..'"
            add(Code.OUTSIDE_FILESYSTEM_ROOT, message, at, "e.g. AGENTS.md")


def _inside_root(
    add: Add, agent: AgentSection, entry: str, at: KeyPath, project_dir: Path
) -> Path | None:
    """The skills folder ``entry`` resolved against the project folder, when it lies inside
    the agent's filesystem root (the agent reads its SKILL.md files with read_file)."""
    what = "skills folder"
    if agent.filesystem is None:
        add(
            Code.OUTSIDE_FILESYSTEM_ROOT,
            f"{what} {entry!r} needs the filesystem tools (the agent reads SKILL.md with read_file)",
            at,
            f'add [agents.{at[1]}.filesystem] with a root that holds it, e.g. root = "."',
        )
        return None
    root = (project_dir / agent.filesystem.root).resolve()
    target = (project_dir / entry).resolve()
    if os.path.commonpath([root, target]) != str(root):
        add(
            Code.OUTSIDE_FILESYSTEM_ROOT,
            f"{what} {entry!r} is outside the filesystem root {agent.filesystem.root!r}",
            at,
            "move it under the root, or widen the root",
        )
        return None
    return target
