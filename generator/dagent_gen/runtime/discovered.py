"""Tools listed while an agent runs (MCP servers with ``discover = "runtime"``).

Workflow side (deterministic, no I/O): :class:`DiscoveredTools` keeps what each server's list
activity returned, offers the tools whose names are free, routes a call by the name the model
used to its server, and names each server's tool set by a digest for ``call_model``. The schemas
enter history once, as the list activity's result (and a continued run's input); model requests
carry only the digests. Worker side: :class:`ToolSetCache` keeps tool sets by digest, filled by
the list activities of this process; ``call_model`` reads a set it lacks from the workflow's
``discovered_tools`` query, and uses a set only when its digest matches.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from .conversation import text_digest
from .messages import ListedTool

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # what the model API accepts

FetchSets = Callable[[], Awaitable[list[list[ListedTool]]]]
"""Reads the workflow's tool sets (its ``discovered_tools`` query)."""


class ToolSetUnavailableError(Exception):
    """The workflow did not return the tool sets the request names."""


def tool_set_digest(tools: list[ListedTool]) -> str:
    """The digest of a server's offered tools, as the model sees them."""
    definitions = [[tool.name, tool.definition()] for tool in tools]
    return text_digest(json.dumps(definitions, sort_keys=True, ensure_ascii=False))


class DiscoveredTools:
    """Workflow side: the tools each runtime-discovered server listed, and which are offered.

    ``taken``: the names the agent offers already (its own tools, sub-agents, built-ins, MCP
    tools listed at build time). A listed tool whose name is taken, invalid for the model API,
    or listed by an earlier server is not offered; :meth:`add` says which and why.
    """

    def __init__(self, taken: Iterable[str]) -> None:
        self._taken = tuple(taken)
        self._sets: dict[str, list[ListedTool]] = {}  # server -> offered tools
        self._routes: dict[str, tuple[str, str]] = {}  # exposed name -> (server, name)
        self._digests: list[str] = []

    def missing(self, servers: Iterable[str]) -> list[str]:
        """The servers not listed yet in this workflow."""
        return [server for server in servers if server not in self._sets]

    def add(self, server: str, tools: list[ListedTool]) -> list[str]:
        """Offer ``server``'s listed tools; returns why some were not offered."""
        offered: list[ListedTool] = []
        problems: list[str] = []
        for tool in tools:
            name = tool.exposed_name
            if not TOOL_NAME.match(name):
                problems.append(
                    f"MCP server {server!r}: tool {name[:80]!r} not offered: the model API "
                    "accepts letters, digits, '_' and '-', at most 64 characters"
                )
            elif name in self._taken or name in self._routes:
                owner = self._routes[name][0] if name in self._routes else None
                by = f"MCP server {owner!r}" if owner else "the agent"
                problems.append(
                    f"MCP server {server!r}: tool {name!r} not offered: {by} has a tool of "
                    "that name (set a prefix, or deny the tool)"
                )
            else:
                offered.append(tool)
                self._routes[name] = (server, tool.name)
        self._sets[server] = offered
        self._digests.append(tool_set_digest(offered))
        return problems

    def restore(self, sets: dict[str, list[ListedTool]]) -> None:
        """Take over the tools a continued run offered (see ``Continuation.mcp_tools``)."""
        for server, tools in sets.items():
            self.add(server, tools)

    @property
    def sets(self) -> dict[str, list[ListedTool]]:
        """The offered tools by server, in the order the servers were listed."""
        return {server: list(tools) for server, tools in self._sets.items()}

    @property
    def key(self) -> str:
        """What a model request carries (``ModelRequest.tools``): the sets' digests."""
        return " ".join(self._digests)

    def route(self, name: str) -> tuple[str, str] | None:
        """``(server, name on the server)`` for a tool name the model used, if offered."""
        return self._routes.get(name)

    def available(self) -> str:
        """Every tool name the agent offers, for an unknown-tool message."""
        return ", ".join([*self._taken, *self._routes])


class ToolSetCache:
    """Worker side: tool sets by digest, from this process's list activities and queries."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._sets: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, tools: list[ListedTool]) -> str:
        digest = tool_set_digest(tools)
        with self._lock:
            self._sets[digest] = [tool.definition() for tool in tools]
            self._sets.move_to_end(digest)
            while len(self._sets) > self.limit:
                self._sets.popitem(last=False)
        return digest

    async def definitions(self, key: str, fetch: FetchSets) -> list[dict[str, Any]]:
        """The tool definitions the request's ``tools`` key names, in order."""
        digests = key.split()
        with self._lock:
            found = [self._sets.get(digest) for digest in digests]
        if any(definitions is None for definitions in found):
            for tools in await fetch():
                self.remember(tools)
            with self._lock:
                found = [self._sets.get(digest) for digest in digests]
        if any(definitions is None for definitions in found):
            raise ToolSetUnavailableError("the workflow's discovered tools do not match")
        return [definition for definitions in found if definitions for definition in definitions]


TOOL_SETS = ToolSetCache()
"""This worker process's tool sets, filled by the MCP list activities and ``call_model``."""
