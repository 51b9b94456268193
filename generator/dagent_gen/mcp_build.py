"""The MCP step of a build: which tools each server offers, from the lock's record or the server.

``build`` lists the servers whose record is missing or stale (the configuration changed), or
all of them with ``--refresh-mcp``; ``check`` and ``diff`` never contact a server (``offline``):
they use the record as it is, so a stale record shows up as a stale lock and stale files.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dagent_gen.codes import Code
from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic, Location, warning
from dagent_gen.loop_vocabulary import BUILTIN_TOOL_NAMES
from dagent_gen.mcp_definition import server_configs
from dagent_gen.mcp_discovery import _check_names, discover, literal_secrets
from dagent_gen.mcp_model import call_activity_type, list_activity_type
from dagent_gen.mcp_record import McpRecord
from dagent_gen.names import RESERVED_ACTIVITY_NAMES
from dagent_gen.runtime.mcp_config import McpServerConfig, ToolInfo

__all__ = ["McpMode", "McpTools", "mcp_tools"]


class McpMode(StrEnum):
    OFFLINE = "offline"  # check, diff: the record only
    DISCOVER = "discover"  # build: list servers whose record is missing or stale
    REFRESH = "refresh"  # build --refresh-mcp: list every build-discovered server


@dataclass(frozen=True)
class McpTools:
    configs: dict[str, McpServerConfig] = field(default_factory=dict)  # servers agents use
    found: dict[str, list[ToolInfo]] = field(default_factory=dict)  # build-discovered tools
    record: McpRecord | None = None  # what the lock records; None when nothing is discovered


def mcp_tools(
    definition: Definition,
    definition_file: Path,
    record: McpRecord | None,
    mode: McpMode,
) -> tuple[McpTools, list[Diagnostic]]:
    configs = server_configs(definition)
    at_build = {name: config for name, config in configs.items() if config.discover == "build"}
    where = {name: Location(str(definition_file)) for name in configs}
    notes = missing_dependency(definition_file) if configs else []
    for name, config in configs.items():  # build-discovered ones get these from discover()
        if config.discover == "runtime":
            notes += literal_secrets(config, where[name])
    if not at_build:
        return McpTools(configs), notes
    stale = set(record.stale(at_build)) if record is not None else set(at_build)
    wanted = {
        McpMode.OFFLINE: set(),
        McpMode.DISCOVER: stale,
        McpMode.REFRESH: set(at_build),
    }[mode]
    found = {
        name: list(record.servers[name].tools)
        for name in at_build
        if record is not None and name in record.servers and name not in wanted
    }
    reserved = _reserved(definition)
    problems: list[Diagnostic] = list(notes)
    if wanted:
        listed, problems = discover(
            {name: at_build[name] for name in sorted(wanted)},
            root=definition_file.parent,
            locations=where,
            reserved=reserved,
        )
        found.update(listed)
    # Records reused from the lock are checked again: a project tool added since may clash.
    problems += _check_names(found, reserved, where)
    problems = list(dict.fromkeys(problems))
    # The code is generated from the record as the lock stores it (keys sorted), so a build
    # that listed the server and a check that read the lock generate the same text.
    stored = McpRecord.model_validate(McpRecord.of(at_build, found).dump())
    found = {name: list(server.tools) for name, server in stored.servers.items()}
    return McpTools(configs, found, stored), problems


MCP_REQUIREMENT = "mcp>=2.3"


def missing_dependency(definition_file: Path) -> list[Diagnostic]:
    """DG338 when the project's ``pyproject.toml`` has a ``[project]`` table whose
    dependencies lack ``mcp`` (without a pyproject, the user installs packages some other way)."""
    pyproject = definition_file.parent / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    project = data.get("project")
    if not isinstance(project, dict):
        return []
    dependencies = project.get("dependencies", [])
    names = {_requirement_name(item) for item in dependencies if isinstance(item, str)}
    if "mcp" in names:
        return []
    message = (
        "the agents use MCP servers, so the generated package imports the 'mcp' package, "
        "but pyproject.toml does not list it in [project] dependencies"
    )
    hint = f'add "{MCP_REQUIREMENT}" to the dependencies (uv add "{MCP_REQUIREMENT}")'
    return [warning(Code.MCP_DEPENDENCY_MISSING, message, Location(str(pyproject)), hint)]


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def _reserved(definition: Definition) -> set[str]:
    """Names an MCP tool must not take: the project's tools and sub-agents, the loop's own."""
    names = set(definition.tools) | set(definition.agents) | set(BUILTIN_TOOL_NAMES)
    # the activity types of runtime-discovered servers (build-time tools' types are their names)
    for name, section in definition.mcp.items():
        if section.discover == "runtime":
            names |= {list_activity_type(name), call_activity_type(name)}
    return names | set(RESERVED_ACTIVITY_NAMES)
