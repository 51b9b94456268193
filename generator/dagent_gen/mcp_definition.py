"""The ``[mcp.NAME]`` sections of a definition: their checks and their runtime configs.

``McpSection`` (definition.py) is what the user writes; ``McpServerConfig`` (the runtime's,
copied into generated packages) is what the worker and the build's discovery use. This module
turns one into the other, and reports what the runtime model refuses, at the section's file:line
and without echoing the values (they may be secrets).
"""

from __future__ import annotations

from typing import Any

import pydantic

from dagent_gen.codes import Code
from dagent_gen.definition import Definition, McpSection
from dagent_gen.load import KeyPath
from dagent_gen.mcp_model import call_activity_type, list_activity_type, module_stem
from dagent_gen.runtime.mcp_config import McpServerConfig

__all__ = ["check_mcp", "server_config", "server_configs", "used_servers"]


def server_config(name: str, section: McpSection) -> McpServerConfig:
    """The runtime config of ``[mcp.NAME]``; raises pydantic's ValidationError if refused."""
    return McpServerConfig(name=name, **section.model_dump())


def server_configs(definition: Definition) -> dict[str, McpServerConfig]:
    """The configs of the servers some agent uses, sorted by name (the definition is valid)."""
    return {name: server_config(name, definition.mcp[name]) for name in used_servers(definition)}


def used_servers(definition: Definition) -> list[str]:
    return sorted({server for agent in definition.agents.values() for server in agent.mcp})


def check_mcp(add: Any, definition: Definition, broken: set[str]) -> None:
    """Each server's config is one the runtime accepts; each agent's servers exist, once."""
    for name, section in definition.mcp.items():
        if section.discover == "runtime":
            for activity_type in (list_activity_type(name), call_activity_type(name)):
                if activity_type in definition.tools or activity_type in definition.agents:
                    add(
                        Code.NAME_CLASH,
                        f"MCP server {name!r} needs the activity type {activity_type!r}, "
                        "which is the name of a tool or agent",
                        ("mcp", name, "discover"),
                        "rename the tool or agent, or the server",
                    )
        try:
            server_config(name, section)
        except pydantic.ValidationError as err:
            for detail in err.errors(include_input=False, include_url=False):
                key = ".".join(str(part) for part in detail["loc"])
                field = f"{key}: " if key else ""
                add(
                    Code.INVALID_VALUE,
                    f"MCP server {name!r}: {field}{detail['msg']}",
                    ("mcp", name),
                    "see docs/mcp.md for the keys of an [mcp.NAME] table",
                )
    modules: dict[str, str] = {}
    for name in definition.mcp:
        other = modules.setdefault(module_stem(name), name)
        if other != name:
            add(
                Code.NAME_CLASH,
                f"MCP servers {other!r} and {name!r} would share the module {module_stem(name)!r}",
                ("mcp", name),
                "rename one of them ('-' and '_' are the same in module names)",
            )
    for agent_name, agent in definition.agents.items():
        seen: set[str] = set()
        for index, server in enumerate(agent.mcp):
            where: KeyPath = ("agents", agent_name, "mcp", index)
            if server not in definition.mcp and server not in broken:
                add(
                    Code.UNKNOWN_MCP_SERVER,
                    f"agent {agent_name!r} uses unknown MCP server {server!r}",
                    where,
                    f"add an [mcp.{server}] table",
                )
            elif server in seen:
                add(Code.NAME_CLASH, f"agent {agent_name!r} lists {server!r} twice", where)
            seen.add(server)
