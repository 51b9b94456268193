"""Calls to MCP servers from tool activities (and from ``dagent-gen build`` for discovery).

``list_tools`` and ``call_tool`` take an ``McpServerConfig`` (see ``mcp_config``): a command
started over stdio, or a streamable-HTTP URL. ``${VAR}`` values are resolved from the process
environment for each call, and every text this module returns or raises has them scrubbed
out, in case a server echoes its credential.

By default each call opens its own session and closes it afterwards: simple and robust across
worker restarts and server crashes, at the cost of one process start (stdio, about a second
for a Python server) or one HTTP handshake per call. Pass ``sessions=McpSessionPool()`` (one
per worker process) to keep a session per server and reconnect after a failure instead.
Connecting and calling are bounded by the config's timeouts, results by ``max_output_chars``.
Errors are the ``mcp_config`` errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from typing import TextIO
from typing import TypeVar

import anyio
import mcp_types
from mcp import Client
from mcp.shared.exceptions import MCPError

from .mcp_config import McpConfigurationError
from .mcp_config import McpError
from .mcp_config import McpServerConfig
from .mcp_config import McpTimeoutError
from .mcp_config import McpToolError
from .mcp_config import McpTransportError
from .mcp_config import ToolInfo
from .mcp_config import resolve_placeholders
from .mcp_sessions import Connection
from .mcp_sessions import McpSessionPool
from .mcp_sessions import SessionFailed
from .mcp_sessions import open_session

__all__ = [
    "McpConfigurationError",
    "McpError",
    "McpServerConfig",
    "McpSessionPool",
    "McpTimeoutError",
    "McpToolError",
    "McpTransportError",
    "ToolInfo",
    "call_tool",
    "list_tools",
    "resolve_placeholders",
]

MAX_LIST_PAGES = 100
_T = TypeVar("_T")


async def _run(
    config: McpServerConfig,
    conn: Connection,
    operation: Callable[[Client], Awaitable[_T]],
    sessions: McpSessionPool | None,
    errlog: TextIO | None = None,
) -> _T:
    """Run ``operation`` on a session; library failures become this module's errors."""
    if sessions is not None:
        return await _run_pooled(config, conn, operation, sessions)
    phase = "connect"
    # One cancel scope for the whole session (anyio scopes must nest with the client's task
    # groups); its deadline moves from the connect budget to the call budget.
    deadline = anyio.CancelScope(deadline=anyio.current_time() + config.connect_timeout)
    answered: list[_T] = []  # kept apart: the deadline may pass while the session closes
    try:
        with deadline:
            async with open_session(config, conn, errlog) as client:
                phase = "call"
                deadline.deadline = anyio.current_time() + config.call_timeout
                answered.append(await operation(client))
    except Exception as err:  # CancelledError is a BaseException: cancellation passes through
        if not answered:
            raise _failure(config, conn, phase, err) from None
    if answered:
        return answered[0]
    # Only the deadline's own cancellation ends up here (it is swallowed by the scope).
    raise _failure(config, conn, phase, TimeoutError())


async def _run_pooled(
    config: McpServerConfig,
    conn: Connection,
    operation: Callable[[Client], Awaitable[_T]],
    sessions: McpSessionPool,
) -> _T:
    try:
        client = await sessions.client(config, conn)
    except SessionFailed as failed:
        raise _failure(config, conn, "connect", failed.error) from None
    try:
        with anyio.fail_after(config.call_timeout):
            return await operation(client)
    except Exception as err:
        problem = _failure(config, conn, "call", err)
        if not isinstance(problem, McpToolError):  # the session may be broken: open a new one
            await sessions.discard(config.name, client)
        raise problem from None


def _failure(config: McpServerConfig, conn: Connection, phase: str, err: BaseException) -> McpError:
    server = f"MCP server {config.name!r}"
    leaf = _leaf(err)
    if isinstance(leaf, TimeoutError):
        limit = config.connect_timeout if phase == "connect" else config.call_timeout
        doing = "connect" if phase == "connect" else "answer"
        return McpTimeoutError(f"{server} did not {doing} within {limit:g} s")
    # Only "invalid params" (the spec's answer to an unknown tool or bad arguments) is about the
    # call itself; the transport turns HTTP errors (503, 401, a forgotten session) into other
    # codes, which retrying or a new session may cure.
    if isinstance(leaf, MCPError) and phase == "call" and leaf.code == mcp_types.INVALID_PARAMS:
        return McpToolError(conn.scrub(f"{server} refused the call: {leaf}"))
    detail = conn.scrub(f"{type(leaf).__name__}: {leaf}")[:500]
    return McpTransportError(f"{server} failed ({phase}): {detail}")


def _leaf(err: BaseException) -> BaseException:
    """The first real exception inside (nested) exception groups from anyio task groups."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    return err


async def list_tools(
    config: McpServerConfig,
    environ: Mapping[str, str] | None = None,
    *,
    sessions: McpSessionPool | None = None,
    errlog: TextIO | None = None,
) -> list[ToolInfo]:
    """The server's tools that pass the filters, sorted by name, with their input schemas.

    ``errlog``: a file for a stdio server's stderr (not with ``sessions``); default stderr.
    """
    conn = Connection(config, os.environ if environ is None else environ)

    async def fetch(client: Client) -> list[mcp_types.Tool]:
        found: list[mcp_types.Tool] = []
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):  # a server whose cursor never ends cannot hang a build
            page = await client.list_tools(cursor=cursor)
            found.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        return found

    tools = await _run(config, conn, fetch, sessions, errlog)
    return sorted(
        (
            ToolInfo(
                name=tool.name,
                exposed_name=config.prefix + tool.name,
                description=conn.scrub(tool.description or ""),
                input_schema=json.loads(conn.scrub(json.dumps(tool.input_schema))),
            )
            for tool in tools
            if config.allows(tool.name)
        ),
        key=lambda tool: tool.name,
    )


async def call_tool(
    config: McpServerConfig,
    name: str,
    arguments: dict[str, Any],
    environ: Mapping[str, str] | None = None,
    *,
    sessions: McpSessionPool | None = None,
) -> str:
    """Call ``name`` (its name on the server) and return the text the model sees.

    The text is capped at ``config.max_output_chars`` with a note. A result flagged
    ``isError`` raises ``McpToolError`` with the server's message.
    """
    if not config.allows(name):
        raise McpToolError(f"MCP server {config.name!r} does not offer a tool named {name!r}")
    conn = Connection(config, os.environ if environ is None else environ)
    result = await _run(config, conn, lambda client: client.call_tool(name, arguments), sessions)
    text = cap(conn.scrub(result_text(result)), config.max_output_chars)
    if result.is_error:
        raise McpToolError(text)
    return text


def result_text(result: mcp_types.CallToolResult) -> str:
    """The content blocks as text, joined by newlines; structured content as JSON if no block.

    Servers should repeat structured content as a JSON text block, so the blocks come first.
    """
    parts = [_block_text(block) for block in result.content]
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts) or "(no output)"


def _block_text(block: mcp_types.ContentBlock) -> str:
    if isinstance(block, mcp_types.TextContent):
        return block.text
    if isinstance(block, mcp_types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, mcp_types.TextResourceContents):
            return resource.text
        return f"[binary resource {resource.uri} omitted]"
    if isinstance(block, mcp_types.ResourceLink):
        return f"[resource link: {block.uri}]"
    return f"[{block.type} content ({block.mime_type}) omitted]"


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[output truncated: {len(text) - limit} more characters]"
