"""Build-time discovery of MCP tools: list each server's tools once, record their schemas.

``discover`` starts (stdio) or connects to (HTTP) every server whose ``discover`` is
``"build"``, lists its tools through the runtime client, and reports problems as diagnostics
(DG330 to DG336, see docs/diagnostics.md). ``McpRecord`` is what the lock stores, so ``check``
and a rebuild without ``--refresh-mcp`` never need the servers. ``${VAR}`` values are read from
the build's environment only to connect; neither the record nor a diagnostic contains them.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, warning
from dagent_gen.mcp_record import McpRecord, ServerRecord, config_digest
from dagent_gen.runtime.mcp_client import (
    McpConfigurationError,
    McpError,
    McpServerConfig,
    McpTimeoutError,
    ToolInfo,
    list_tools,
)
from dagent_gen.runtime.mcp_config import placeholders
from dagent_gen.runtime.mcp_sessions import MIN_SCRUBBED_LENGTH

__all__ = [
    "McpRecord",
    "ServerRecord",
    "config_digest",
    "discover",
    "discover_async",
    "literal_secrets",
]

OPENAI_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SECRET_NAME = re.compile(r"auth|token|secret|passw|key|cookie|credential", re.IGNORECASE)
DEFAULT_TIMEOUT = 60.0
STDERR_TAIL_LINES = 8
STDERR_TAIL_CHARS = 4_000


def discover(
    servers: Mapping[str, McpServerConfig], timeout: float = DEFAULT_TIMEOUT, **options: Any
) -> tuple[dict[str, list[ToolInfo]], list[Diagnostic]]:
    """List the tools of every ``discover = "build"`` server: ``discover_async`` in a new loop."""
    return asyncio.run(discover_async(servers, timeout, **options))


async def discover_async(
    servers: Mapping[str, McpServerConfig],
    timeout: float = DEFAULT_TIMEOUT,
    *,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
    locations: Mapping[str, Location] | None = None,
    reserved: Iterable[str] = (),
) -> tuple[dict[str, list[ToolInfo]], list[Diagnostic]]:
    """List the tools of every ``discover = "build"`` server, concurrently.

    ``root``: the project folder; a server's relative ``cwd`` (or none) is taken from there.
    ``reserved``: names of the project's other tools, which an MCP tool must not reuse.
    ``locations``: where each ``[mcp.NAME]`` table is, for the diagnostics. Returns the tools
    of the servers that answered and every problem found; servers that failed are left out.
    """
    env = os.environ if environ is None else environ
    where = locations or {}
    literal = [
        d for name in sorted(servers) for d in literal_secrets(servers[name], where.get(name))
    ]
    names = sorted(name for name, config in servers.items() if config.discover == "build")
    configs = [_bounded(servers[name], timeout, root) for name in names]
    results = await asyncio.gather(*(_list_one(config, env) for config in configs))
    found: dict[str, list[ToolInfo]] = {}
    diagnostics: list[Diagnostic] = literal
    for name, config, (tools, problem, stderr) in zip(names, configs, results, strict=True):
        if problem is not None:
            diagnostics.append(_failure(name, config, problem, stderr, where.get(name)))
            continue
        assert tools is not None
        found[name] = tools
        diagnostics += _check_filters(name, config, tools, where.get(name))
    diagnostics += _check_names(found, set(reserved), where)
    return found, diagnostics


def literal_secrets(config: McpServerConfig, location: Location | None) -> list[Diagnostic]:
    """Warnings (DG336): credential-like env or header values written out instead of ``${VAR}``
    (they would be copied into the generated code). Only the key is named."""
    values = [("env", k, v) for k, v in config.env.items()]
    values += [("header", k, v) for k, v in config.headers.items()]
    return [
        warning(
            Code.MCP_LITERAL_SECRET,
            f"MCP server {config.name!r}: {kind} {key!r} holds a literal value that looks like "
            "a credential; it would be written into the generated code",
            location,
            hint=f'write {key} = "${{SOME_VARIABLE}}" and set the variable on the worker',
        )
        for kind, key, value in values
        if SECRET_NAME.search(key) and value.strip() and not placeholders(value)
    ]


def _bounded(config: McpServerConfig, timeout: float, root: Path | None) -> McpServerConfig:
    update: dict[str, Any] = {
        "connect_timeout": min(config.connect_timeout, timeout),
        "call_timeout": min(config.call_timeout, timeout),
    }
    if root is not None and config.command is not None:
        update["cwd"] = str(root / config.cwd) if config.cwd else str(root)
    return config.model_copy(update=update)


async def _list_one(
    config: McpServerConfig, environ: Mapping[str, str]
) -> tuple[list[ToolInfo] | None, McpError | None, str]:
    """The tools, or the failure and the last lines a stdio server wrote to stderr."""
    # No outer timeout: connect and list are bounded by the config's (capped) timeouts, and a
    # second, racing deadline could cut the client's bounded shutdown of the server process.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            return await list_tools(config, environ, errlog=errlog), None, ""
        except McpError as err:
            errlog.seek(0)
            lines = errlog.read()[-STDERR_TAIL_CHARS:].strip().splitlines()[-STDERR_TAIL_LINES:]
            return None, err, _scrub(config, environ, "\n".join(lines))


def _scrub(config: McpServerConfig, environ: Mapping[str, str], text: str) -> str:
    for value in (environ.get(variable) for variable in config.variables()):
        if value and len(value) >= MIN_SCRUBBED_LENGTH:
            text = text.replace(value, "[redacted]")
    return text


def _failure(
    name: str, config: McpServerConfig, problem: McpError, stderr: str, location: Location | None
) -> Diagnostic:
    what = f"MCP server {name!r}"
    said = (
        "\n  the server's stderr ended with:\n    " + stderr.replace("\n", "\n    ")
        if stderr
        else ""
    )
    if isinstance(problem, McpConfigurationError):
        return error(
            Code.MCP_MISSING_VARIABLE,
            f"{what}: {problem.message}",
            location,
            hint=f"set {problem.variable} in the environment of `dagent-gen build` (used only to "
            "list the tools; the worker reads its own environment), or use the lock's record",
        )
    if isinstance(problem, McpTimeoutError):
        return error(
            Code.MCP_TIMEOUT,
            f"{what} timed out during tool discovery: {problem.message}{said}",
            location,
            hint='check that the server starts quickly, or set discover = "runtime"',
        )
    target = f"`{config.command}`" if config.command else "its url"
    return error(
        Code.MCP_UNREACHABLE,
        f"{what} could not be started or reached: {problem.message}{said}",
        location,
        hint=f"check {target} by hand; the server must speak MCP over "
        + ("stdio" if config.command else "streamable HTTP"),
    )


def _check_filters(
    name: str, config: McpServerConfig, tools: list[ToolInfo], location: Location | None
) -> list[Diagnostic]:
    """Warn about filters that select nothing: usually a typo in a pattern."""
    problems: list[Diagnostic] = []
    if not tools:
        problems.append(
            warning(
                Code.MCP_FILTER_SELECTS_NOTHING,
                f"MCP server {name!r} offers no tools (after the filters)",
                location,
            )
        )
    for pattern in config.tools or ():
        if not any(fnmatch.fnmatchcase(tool.name, pattern) for tool in tools):
            problems.append(
                warning(
                    Code.MCP_FILTER_SELECTS_NOTHING,
                    f"MCP server {name!r}: tools pattern {pattern!r} matches no tool",
                    location,
                    hint="patterns are case-sensitive globs of the names on the server",
                )
            )
    return problems


def _check_names(
    found: Mapping[str, list[ToolInfo]], reserved: set[str], where: Mapping[str, Location]
) -> list[Diagnostic]:
    """Each exposed name must be a valid OpenAI tool name and unique in the project."""
    problems: list[Diagnostic] = []
    owners: dict[str, str] = {name: "a tool of the project" for name in reserved}
    seen: set[str] = set()
    for server in sorted(found):
        for tool in found[server]:
            exposed = tool.exposed_name
            if not OPENAI_TOOL_NAME.match(exposed):
                problems.append(
                    error(
                        Code.MCP_INVALID_TOOL_NAME,
                        f"MCP server {server!r}: tool name {exposed[:80]!r} is not valid for "
                        "the model API (letters, digits, '_' and '-', at most 64 characters)",
                        where.get(server),
                        hint="deny the tool, or shorten the server's prefix",
                    )
                )
            other = owners.setdefault(exposed, f"MCP server {server!r}")
            if exposed in seen or other != f"MCP server {server!r}":
                problems.append(
                    error(
                        Code.MCP_NAME_CLASH,
                        f"tool {exposed!r} of MCP server {server!r} clashes with {other}",
                        where.get(server),
                        hint="give the server a prefix, or deny one of the tools",
                    )
                )
            seen.add(exposed)
    return problems
