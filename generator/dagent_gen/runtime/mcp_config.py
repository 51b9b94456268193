"""Configuration of MCP servers for tool activities: the server model, its errors, ``${VAR}``.

``McpServerConfig`` is one ``[mcp.NAME]`` table of the definition. ``${VAR}`` in ``env``,
``headers`` and ``url`` stays a placeholder here (so generated code, the lock and workflow
history hold only the name); ``resolve_placeholders`` reads the process environment at call
time. The errors are ``ApplicationError`` subclasses, so an activity can let them propagate:
``McpToolError`` (the tool failed; not retryable, the model sees the message),
``McpTransportError`` / ``McpTimeoutError`` (retryable), ``McpConfigurationError`` (not
retryable: fix the worker's environment). See docs/mcp.md.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator
from temporalio.exceptions import ApplicationError

__all__ = [
    "McpConfigurationError",
    "McpError",
    "McpServerConfig",
    "McpTimeoutError",
    "McpToolError",
    "McpTransportError",
    "ToolInfo",
    "placeholder_problem",
    "placeholders",
    "resolve_placeholders",
]

DEFAULT_MAX_OUTPUT_CHARS = 20_000
_TOKEN = re.compile(r"\$(\$?)\{([^}]*)(\}?)")  # ${NAME}; $${...} is a literal "${...}"
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = r"^[A-Za-z0-9_-]+$"


class McpError(ApplicationError):
    """Base of this module's errors; ``type`` in a Temporal failure is ``error_type``."""

    error_type = "McpError"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message, type=self.error_type, non_retryable=not self.retryable)


class McpToolError(McpError):
    """The server ran the tool and reported an error, or refused the call: the model sees it."""

    error_type = "McpToolError"
    retryable = False


class McpTransportError(McpError):
    """The server could not be started or reached, or the connection failed: retry later."""

    error_type = "McpTransportError"


class McpTimeoutError(McpTransportError):
    """The server did not connect or answer in time."""

    error_type = "McpTimeout"


class McpConfigurationError(McpError):
    """The worker cannot build the connection, e.g. a ``${VAR}`` is not set."""

    error_type = "McpConfigurationError"
    retryable = False

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class ToolInfo(BaseModel):
    """One tool as listed by a server (after the allow/deny filters)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # the name on the server, passed to call_tool
    exposed_name: str  # prefix + name: the tool name the model sees and the activity type
    description: str = ""
    input_schema: dict[str, Any]

    @property
    def definition(self) -> dict[str, Any]:
        """The OpenAI function-tool definition the model sees (as for the project's tools)."""
        function: dict[str, Any] = {"name": self.exposed_name}
        if self.description:
            function["description"] = self.description
        function["parameters"] = self.input_schema
        return {"type": "function", "function": function}


class McpServerConfig(BaseModel):
    """One ``[mcp.NAME]`` table: stdio (``command``) or streamable HTTP (``url``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(pattern=_NAME)  # the table's key, filled in by the generator
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    tools: tuple[str, ...] | None = None  # allow-list of glob patterns; None allows all
    deny: tuple[str, ...] = ()
    prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$")
    discover: Literal["build", "runtime"] = "build"
    connect_timeout: float = Field(default=30.0, gt=0, le=600)
    call_timeout: float = Field(default=120.0, gt=0, le=3600)
    max_output_chars: int = Field(default=DEFAULT_MAX_OUTPUT_CHARS, ge=1_000, le=1_000_000)

    @model_validator(mode="after")
    def _check_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either command (stdio) or url (streamable HTTP), not both")
        if self.url is not None:
            if self.args or self.env or self.cwd is not None:
                raise ValueError("args, env and cwd are for command servers; use headers")
            if not self.url.startswith(("http://", "https://", "${")):
                raise ValueError("url must start with http:// or https://")
        elif self.headers:
            raise ValueError("headers are for url servers; pass values to a command in env")
        for field, text in self._placeholder_fields():
            problem = placeholder_problem(text)
            if problem:
                raise ValueError(f"{field}: {problem}")
        for field, text in self._literal_fields():
            if _TOKEN.search(text):
                raise ValueError(f"{field} cannot use ${{VAR}}; pass secrets in env or headers")
        return self

    def _placeholder_fields(self) -> list[tuple[str, str]]:
        fields = [(f"env {key}", value) for key, value in self.env.items()]
        fields += [(f"header {key}", value) for key, value in self.headers.items()]
        return [*fields, ("url", self.url)] if self.url else fields

    def _literal_fields(self) -> list[tuple[str, str]]:
        texts = [("command", self.command or ""), ("cwd", self.cwd or ""), ("prefix", self.prefix)]
        return texts + [("args", arg) for arg in self.args]

    def allows(self, tool: str) -> bool:
        """Whether the filters let the model see ``tool`` (its name on the server)."""
        allowed = self.tools is None or any(fnmatch.fnmatchcase(tool, p) for p in self.tools)
        return allowed and not any(fnmatch.fnmatchcase(tool, p) for p in self.deny)

    def variables(self) -> list[str]:
        """The environment variables the worker needs, sorted."""
        return sorted({v for _, text in self._placeholder_fields() for v in placeholders(text)})


def placeholders(text: str) -> list[str]:
    """The ``${VAR}`` names in ``text``, in order (escaped ``$${...}`` excluded)."""
    return [m.group(2) for m in _TOKEN.finditer(text) if not m.group(1) and m.group(3)]


def placeholder_problem(text: str) -> str | None:
    """Why ``text`` is not a valid template, without quoting it (it may hold a secret)."""
    for match in _TOKEN.finditer(text):
        if match.group(1):
            continue
        if not match.group(3):
            return "unterminated '${' (write $${ for a literal '${')"
        if not _VARIABLE.fullmatch(match.group(2)):
            return "invalid variable name in ${...} (letters, digits and '_', not a digit first)"
    return None


def resolve_placeholders(
    values: Mapping[str, str], environ: Mapping[str, str], *, server: str = "", what: str = "value"
) -> dict[str, str]:
    """``values`` with each ``${VAR}`` replaced from ``environ``.

    An unset or empty variable raises ``McpConfigurationError`` naming the variable and the
    key; no value (given or resolved) is ever quoted.
    """
    where = f" of MCP server {server!r}" if server else ""

    def resolve(key: str, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(2) + match.group(3)
            name = match.group(2)
            if not environ.get(name):
                raise McpConfigurationError(
                    f"environment variable {name} is not set (needed by {what} {key!r}{where})",
                    variable=name,
                )
            return environ[name]

        return _TOKEN.sub(replace, text)

    return {key: resolve(key, text) for key, text in values.items()}
