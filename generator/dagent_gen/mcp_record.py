"""What the lock records about MCP servers discovered at build time.

``McpRecord`` holds, per server, the tools it listed (name, name the model sees, description,
input JSON schema) and the sha256 of the server's configuration as written, so ``check`` and
later builds need no server and can tell when the record is stale (``build --refresh-mcp``).
It never holds a resolved ``${VAR}`` value. See docs/mcp.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from dagent_gen.runtime.mcp_config import McpServerConfig, ToolInfo

__all__ = ["McpRecord", "ServerRecord", "config_digest"]


class ServerRecord(BaseModel):
    """One server's discovered tools, and the digest of the config they were listed with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config_sha256: str  # a change of the config means the record is stale (--refresh-mcp)
    tools: tuple[ToolInfo, ...]


class McpRecord(BaseModel):
    """All build-time discovered MCP tools, as stored in the lock (servers sorted by name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: dict[str, ServerRecord]

    @classmethod
    def of(
        cls, configs: Mapping[str, McpServerConfig], found: Mapping[str, list[ToolInfo]]
    ) -> McpRecord:
        servers = {
            name: ServerRecord(
                config_sha256=config_digest(configs[name]),
                tools=tuple(sorted(found[name], key=lambda tool: tool.name)),
            )
            for name in sorted(found)
        }
        return cls(servers=servers)

    def dump(self) -> dict[str, Any]:
        """JSON-ready and stable: same tools and configs, same dump (keys sorted)."""
        dumped: dict[str, Any] = json.loads(self.canonical_json())
        return dumped

    def canonical_json(self) -> str:
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def stale(self, configs: Mapping[str, McpServerConfig]) -> list[str]:
        """Names of build-discovered servers whose record is missing or was made from another
        config: ``check`` reports them, ``build --refresh-mcp`` lists them again."""
        return sorted(
            name
            for name, config in configs.items()
            if config.discover == "build"
            and (
                name not in self.servers
                or self.servers[name].config_sha256 != config_digest(config)
            )
        )


def config_digest(config: McpServerConfig) -> str:
    """sha256 of the config as written: placeholders, never resolved values."""
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
