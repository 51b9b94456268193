"""MCP sessions: one per call, or kept per process in an ``McpSessionPool``.

``open_session`` starts (stdio) or connects to (streamable HTTP) a server and yields an
initialised ``mcp.Client``. ``McpSessionPool`` keeps one session per server name for the life
of the worker process: each session is owned by a task of its own (anyio scopes must be left
by the task that entered them), shared by concurrent calls, and replaced when it failed, when
the server went away, or when the config or the resolved ``${VAR}`` values changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import sys
from collections.abc import AsyncIterator
from collections.abc import Mapping
from contextlib import AsyncExitStack
from contextlib import asynccontextmanager
from typing import TextIO

import anyio
import httpx2
from mcp import Client
from mcp import StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from .mcp_config import McpServerConfig
from .mcp_config import resolve_placeholders

__all__ = ["Connection", "McpSessionPool", "SessionFailed", "open_session"]

MIN_SCRUBBED_LENGTH = 6  # shorter resolved values ("1", "true") are not treated as secrets


class Connection:
    """The resolved settings of one session, and the scrubber for its secrets."""

    def __init__(self, config: McpServerConfig, environ: Mapping[str, str]) -> None:
        name = config.name
        self.env = resolve_placeholders(config.env, environ, server=name, what="env")
        self.headers = resolve_placeholders(config.headers, environ, server=name, what="header")
        url = config.url or ""
        self.url = resolve_placeholders({"url": url}, environ, server=name, what="setting")["url"]
        secrets = {environ[v] for v in config.variables()}
        self.secrets = sorted((s for s in secrets if len(s) >= MIN_SCRUBBED_LENGTH), key=len)[::-1]
        settings = repr((config.model_dump_json(), sorted(self.env.items()), self.url))
        settings += repr(sorted(self.headers.items()))
        self.key = hashlib.sha256(settings.encode()).hexdigest()  # kept in memory only

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


@asynccontextmanager
async def open_session(
    config: McpServerConfig, conn: Connection, errlog: TextIO | None = None
) -> AsyncIterator[Client]:
    """An initialised client; the caller bounds the time (a cancel scope around all of it).

    A stdio server's stderr goes to ``errlog`` (a real file), by default the process's stderr.
    """
    async with AsyncExitStack() as stack:
        if config.command is not None:
            params = StdioServerParameters(
                command=config.command, args=list(config.args), env=conn.env, cwd=config.cwd
            )
            client = Client(stdio_client(params, errlog or sys.stderr), cache=None)
        else:
            timeout = httpx2.Timeout(config.connect_timeout, read=config.call_timeout)
            http = httpx2.AsyncClient(headers=conn.headers, timeout=timeout)
            await stack.enter_async_context(http)
            client = Client(streamable_http_client(conn.url, http_client=http), cache=None)
        await stack.enter_async_context(client)
        yield client


class SessionFailed(Exception):
    """A pooled session could not be opened; ``error`` is why (``TimeoutError`` if too slow)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Owned:
    """One pooled session and the task that owns it."""

    def __init__(self, config: McpServerConfig, conn: Connection) -> None:
        self.key = conn.key
        self.client: Client | None = None
        self.error: BaseException | None = None
        self._opened = asyncio.Event()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._own(config, conn), name=f"mcp:{config.name}")

    async def _own(self, config: McpServerConfig, conn: Connection) -> None:
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + config.connect_timeout) as scope:
                async with open_session(config, conn) as client:
                    scope.deadline = math.inf
                    self.client = client
                    self._opened.set()
                    await self._stop.wait()
            if self.client is None and scope.cancelled_caught:
                self.error = TimeoutError()
        except Exception as err:  # the server went away: the next call opens a new session
            self.error = err
        finally:
            self.client = None
            self._opened.set()

    @property
    def usable(self) -> bool:
        return not self._task.done() and (self.client is not None or not self._opened.is_set())

    async def opened(self) -> Client:
        await self._opened.wait()
        if self.client is None:
            raise SessionFailed(self.error or ConnectionError("the session closed"))
        return self.client

    async def close(self) -> None:
        self._stop.set()
        await asyncio.wait({self._task})


class McpSessionPool:
    """Sessions kept for the process, one per server name (use one pool per event loop).

    Stdio servers stay running between calls until ``aclose`` (or until their stdin closes
    when the worker process ends: an MCP server exits then).
    """

    def __init__(self) -> None:
        self._sessions: dict[str, _Owned] = {}
        self._lock = asyncio.Lock()

    async def client(self, config: McpServerConfig, conn: Connection) -> Client:
        """The server's session, opened (within ``connect_timeout``) if there is none."""
        async with self._lock:
            owned = self._sessions.get(config.name)
            if owned is not None and (owned.key != conn.key or not owned.usable):
                del self._sessions[config.name]
                await owned.close()
                owned = None
            if owned is None:
                owned = self._sessions[config.name] = _Owned(config, conn)
            try:
                return await owned.opened()
            except SessionFailed:
                del self._sessions[config.name]
                raise

    async def discard(self, name: str, client: Client) -> None:
        """Close ``name``'s session if it is still ``client`` (after a failed call)."""
        async with self._lock:
            owned = self._sessions.get(name)
            if owned is not None and owned.client is client:
                del self._sessions[name]
                await owned.close()

    async def aclose(self) -> None:
        async with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for owned in sessions:
            await owned.close()
