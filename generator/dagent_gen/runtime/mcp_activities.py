"""The bodies of the MCP activities of a generated package (``mcp_tools/<server>.py``).

``list_for_run`` is the list activity of a server with ``discover = "runtime"``: the filtered,
prefixed tools as ``ListedTool``s, remembered in this worker's tool-set cache so the next model
call finds their schemas without asking the workflow. ``call_for_run`` calls one tool (by its
name on the server) and keeps the result in the conversation cache, like the project's tools.
"""

from __future__ import annotations

from typing import Any

from .conversation import CACHE
from .discovered import TOOL_SETS
from .mcp_client import McpServerConfig
from .mcp_client import McpSessionPool
from .mcp_client import call_tool
from .mcp_client import list_tools
from .messages import ListedTool

__all__ = ["call_for_run", "list_for_run"]


async def list_for_run(
    config: McpServerConfig, *, sessions: McpSessionPool | None = None
) -> list[ListedTool]:
    """The server's tools that pass its filters, sorted by name (see ``mcp_client.list_tools``)."""
    tools = [
        ListedTool(
            name=tool.name,
            exposed_name=tool.exposed_name,
            description=tool.description,
            input_schema=tool.input_schema,
        )
        for tool in await list_tools(config, sessions=sessions)
    ]
    TOOL_SETS.remember(tools)
    return tools


async def call_for_run(
    config: McpServerConfig,
    name: str,
    arguments: dict[str, Any],
    *,
    sessions: McpSessionPool | None = None,
) -> str:
    """Call ``name`` (its name on the server); the text the model sees, also cached."""
    text = await call_tool(config, name, arguments, sessions=sessions)
    CACHE.remember_text(text)
    return text
