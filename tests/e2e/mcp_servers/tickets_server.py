"""A small MCP server for the tests, written with the official SDK's ``MCPServer``.

Run as ``python tickets_server.py stdio`` or ``python tickets_server.py http PORT``. Over HTTP
every request must carry ``Authorization: Bearer $TICKETS_TOKEN`` (401 otherwise), so a test
sees that header placeholders are resolved on the client. ``TICKETS_TOKEN`` must be set.
``TICKETS_UNAVAILABLE_FLAG`` (optional): a path; while that file exists, HTTP answers 503.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

TOKEN = os.environ["TICKETS_TOKEN"]

server = MCPServer("tickets", log_level="WARNING")


@server.tool()
def lookup_ticket(ticket_id: str) -> dict[str, Any]:
    """Look up a ticket by id."""
    return {"id": ticket_id, "status": "open", "title": f"Printer on fire ({ticket_id})"}


@server.tool()
def lookup_summary(ticket_id: str) -> str:
    """A one-line summary of a ticket."""
    return f"ticket {ticket_id}: open"


@server.tool()
def lookup_missing(ticket_id: str) -> str:
    """Fails like a tool whose lookup found nothing (an ``isError`` result)."""
    raise ToolError(f"no ticket {ticket_id}")


@server.tool(description=f"A careless tool that echoes its credential ({TOKEN}).")
def leak_token(token: str = TOKEN) -> str:
    return f"using token {token}"


@server.tool()
def big_report(size: int) -> str:
    """A result of ``size`` characters."""
    return "x" * size


@server.tool()
async def slow_lookup(seconds: float) -> str:
    """Answers after ``seconds``."""
    await asyncio.sleep(seconds)
    return "done"


@server.tool()
def close_ticket(ticket_id: str) -> str:
    """Closes a ticket (denied by the tests' filters)."""
    return f"closed {ticket_id}"


@server.tool()
def environment_names() -> str:
    """The names of the server process's environment variables, one a line."""
    return "\n".join(sorted(os.environ))


@server.tool()
def strict_lookup(ticket_id: str) -> str:
    """Refuses malformed ids with a JSON-RPC "invalid params" error, as the spec suggests."""
    raise MCPError(INVALID_PARAMS, f"ticket_id must look like T123, not {ticket_id!r}")


@server.tool()
def server_pid() -> str:
    """The server process's id (a pooled session keeps it)."""
    return str(os.getpid())


@server.tool()
def crash() -> str:
    """Ends the server process in the middle of a call."""
    os._exit(3)


def require_token(app: Any) -> Any:
    """ASGI wrapper: 401 unless the bearer token matches; 503 while the file named by
    ``TICKETS_UNAVAILABLE_FLAG`` exists (a proxy in front of a server that is down)."""
    expected = f"Bearer {TOKEN}".encode()
    flag = os.environ.get("TICKETS_UNAVAILABLE_FLAG")

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        status = 0
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            status = 401
        elif scope["type"] == "http" and flag and os.path.exists(flag):
            status = 503
        if status:
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b"not now"})
            return
        await app(scope, receive, send)

    return guarded


def main() -> None:
    if sys.argv[1] == "stdio":
        server.run("stdio")
        return
    import uvicorn

    app = server.streamable_http_app()
    uvicorn.run(require_token(app), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")


if __name__ == "__main__":
    main()
