"""The MCP step of a build: which tools each server offers, from the lock's record or the server.

``build`` lists the servers whose record is missing or stale (the configuration changed), or
all of them with ``--refresh-mcp``; ``check`` and ``diff`` never contact a server (``offline``):
they use the record as it is, so a stale record shows up as a stale lock and stale files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic, Location
from dagent_gen.loop_vocabulary import BUILTIN_TOOL_NAMES
from dagent_gen.mcp_definition import server_configs
from dagent_gen.mcp_discovery import _check_names, discover
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
    if not at_build:
        return McpTools(configs), []
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
    where = {name: Location(str(definition_file)) for name in configs}
    reserved = _reserved(definition)
    problems: list[Diagnostic] = []
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


def _reserved(definition: Definition) -> set[str]:
    """Names an MCP tool must not take: the project's tools and sub-agents, the loop's own."""
    names = set(definition.tools) | set(definition.agents) | set(BUILTIN_TOOL_NAMES)
    return names | set(RESERVED_ACTIVITY_NAMES)
