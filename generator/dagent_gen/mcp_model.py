"""The MCP part of the project model: servers some agent uses and their build-time tools.

Python names (modules, activity functions, constants) are decided here: an MCP tool's name may
hold ``-`` or start with a digit, so its identifiers are sanitised and made unique; its
activity *type* stays the name the model sees (prefix + the name on the server).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from dagent_gen.runtime.mcp_config import McpServerConfig, ToolInfo

__all__ = [
    "McpServerModel",
    "McpToolModel",
    "call_activity_type",
    "list_activity_type",
    "mcp_servers",
    "module_stem",
]

RETRY_ATTEMPTS = 3  # transport failures and timeouts; a tool error is never retried
SHUTDOWN_SECONDS = 10  # closing a stdio server: stdin, 2 s, SIGTERM, 2 s, SIGKILL


def module_stem(name: str) -> str:
    """A Python identifier for ``name`` (``[A-Za-z0-9_-]+``): ``-`` → ``_``, and ``mcp_``
    before one that starts with a digit or is a keyword."""
    stem = name.replace("-", "_")
    if not stem.isidentifier() or keyword.iskeyword(stem) or stem.startswith("_"):
        stem = f"mcp_{stem}"
    return stem


@dataclass(frozen=True)
class McpToolModel:
    info: ToolInfo
    stem: str  # unique among the project's MCP tools (case-insensitively)
    server: McpServerModel

    @property
    def name(self) -> str:
        """The tool name the model sees, and the activity type."""
        return self.info.exposed_name

    @property
    def server_tool(self) -> str:
        return self.info.name

    @property
    def activity_name(self) -> str:
        return f"{self.stem}_mcp_activity"

    @property
    def const_name(self) -> str:
        return f"{self.stem.upper()}_MCP_TOOL"

    @property
    def definition(self) -> dict[str, Any]:
        return self.info.definition

    @property
    def import_line(self) -> str:
        return f"mcp_tools.{self.server.module_name} import {self.activity_name}"


@dataclass(frozen=True)
class McpServerModel:
    name: str
    config: McpServerConfig
    module_name: str
    tool_infos: tuple[ToolInfo, ...]  # build-time discovered (empty for runtime discovery)

    @property
    def config_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``McpServerConfig(...)`` that differ from its defaults."""
        values: dict[str, Any] = self.config.model_dump(mode="json", exclude_defaults=True)
        values.pop("name", None)
        return values

    @property
    def timeout(self) -> float:
        """``start_to_close_timeout`` of one activity: connect, one request, shut down."""
        return self.config.connect_timeout + self.config.call_timeout + SHUTDOWN_SECONDS

    @property
    def retries(self) -> int:
        return RETRY_ATTEMPTS - 1

    @property
    def runtime(self) -> bool:
        """Whether the workflow lists the tools when it starts (``discover = "runtime"``)."""
        return self.config.discover == "runtime"

    @property
    def list_activity_type(self) -> str:
        return list_activity_type(self.name)

    @property
    def call_activity_type(self) -> str:
        return call_activity_type(self.name)

    @property
    def list_activity(self) -> str:
        return f"{self.module_name}_list_activity"

    @property
    def call_activity(self) -> str:
        return f"{self.module_name}_call_activity"


def list_activity_type(server: str) -> str:
    """The activity type of a runtime-discovered server's list activity."""
    return f"mcp_{server}_list"


def call_activity_type(server: str) -> str:
    """The activity type of a runtime-discovered server's call activity."""
    return f"mcp_{server}_call"


def mcp_servers(
    configs: dict[str, McpServerConfig], found: dict[str, list[ToolInfo]]
) -> tuple[dict[str, McpServerModel], dict[str, McpToolModel]]:
    """The servers (by name) and their tools (by the name the model sees), sorted."""
    servers = {
        name: McpServerModel(
            name=name,
            config=config,
            module_name=module_stem(name),
            tool_infos=tuple(sorted(found.get(name, []), key=lambda tool: tool.exposed_name)),
        )
        for name, config in sorted(configs.items())
    }
    tools: dict[str, McpToolModel] = {}
    taken: set[str] = set()
    for server in servers.values():
        for info in server.tool_infos:
            stem = _unique(re.sub(r"\W", "_", module_stem(info.exposed_name)), taken)
            tools[info.exposed_name] = McpToolModel(info=info, stem=stem, server=server)
    return servers, dict(sorted(tools.items()))


def _unique(stem: str, taken: set[str]) -> str:
    candidate, number = stem, 2
    while candidate.lower() in taken:
        candidate, number = f"{stem}_{number}", number + 1
    taken.add(candidate.lower())
    return candidate
