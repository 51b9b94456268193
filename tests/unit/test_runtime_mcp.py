"""The MCP runtime client without a server: config, filters, ${VAR}, results, error types.

Servers that really speak MCP are in tests/e2e/test_mcp_servers.py.
"""

from __future__ import annotations

import asyncio
import sys

import mcp_types
import pydantic
import pytest

from dagent_gen.runtime.mcp_client import (
    McpConfigurationError,
    McpServerConfig,
    McpToolError,
    McpTransportError,
    ToolInfo,
    call_tool,
    list_tools,
    resolve_placeholders,
    result_text,
)
from dagent_gen.runtime.mcp_client import cap as cap_output
from dagent_gen.runtime.mcp_config import McpTimeoutError, placeholders

SECRET = "s3cr3t-Tok3n-value-4711"
OTHER_SECRET = "another-SECRET-value-0815"


def stdio(**fields: object) -> McpServerConfig:
    return McpServerConfig.model_validate({"name": "tickets", "command": "python", **fields})


# -- configuration ----------------------------------------------------------------------------


def test_a_server_is_either_stdio_or_http() -> None:
    with pytest.raises(pydantic.ValidationError, match="either command"):
        McpServerConfig(name="x")
    with pytest.raises(pydantic.ValidationError, match="either command"):
        McpServerConfig(name="x", command="python", url="http://127.0.0.1/mcp")
    with pytest.raises(pydantic.ValidationError, match="headers are for url"):
        stdio(headers={"Authorization": "Bearer x"})
    with pytest.raises(pydantic.ValidationError, match="args, env and cwd"):
        McpServerConfig(name="x", url="http://127.0.0.1/mcp", env={"A": "b"})
    with pytest.raises(pydantic.ValidationError, match="http:// or https://"):
        McpServerConfig(name="x", url="file:///etc/passwd")


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="extra"):
        stdio(environment={"A": "b"})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"args": ["--token", "${TOKEN}"]}, "args cannot use"),
        ({"cwd": "${HOME}/server"}, "cwd cannot use"),
        ({"env": {"TOKEN": "${TOKEN"}}, "unterminated"),
        ({"env": {"TOKEN": "${1TOKEN}"}}, "invalid variable name"),
        ({"env": {"TOKEN": "${}"}}, "invalid variable name"),
    ],
)
def test_placeholders_only_where_resolved_and_well_formed(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        stdio(**fields)


def test_a_literal_value_is_not_echoed_by_validation_errors() -> None:
    for broken in (SECRET + "${BROKEN", "${" + SECRET + "}"):
        with pytest.raises(pydantic.ValidationError) as caught:
            stdio(env={"TOKEN": broken})
        assert SECRET not in str(caught.value)
        assert SECRET not in repr(caught.value)


def test_variables_lists_what_the_worker_needs() -> None:
    config = McpServerConfig(
        name="web",
        url="https://${HOST}/mcp",
        headers={"Authorization": "Bearer ${TOKEN}", "X-Literal": "$${NOT_A_VAR}"},
    )
    assert config.variables() == ["HOST", "TOKEN"]
    assert placeholders("a ${A} b $${B} ${C}") == ["A", "C"]


# -- filters ----------------------------------------------------------------------------------


def test_filters_allow_globs_and_deny_wins() -> None:
    config = stdio(tools=["lookup_*", "close_ticket"], deny=["*_internal"])
    assert config.allows("lookup_ticket")
    assert config.allows("close_ticket")
    assert not config.allows("delete_ticket")
    assert not config.allows("lookup_internal")
    assert not config.allows("Lookup_ticket")  # case-sensitive
    everything = stdio(deny=["delete_*"])
    assert everything.allows("anything")
    assert not everything.allows("delete_all")
    assert not stdio(tools=[]).allows("lookup_ticket")  # an empty allow-list allows nothing


def test_a_filtered_tool_is_refused_without_contacting_the_server() -> None:
    config = stdio(command="/nonexistent/server", deny=["close_*"])
    with pytest.raises(McpToolError, match="does not offer a tool named 'close_ticket'"):
        asyncio.run(call_tool(config, "close_ticket", {}, environ={}))


# -- placeholders -----------------------------------------------------------------------------


def test_resolve_placeholders_reads_the_environment() -> None:
    values = {"Authorization": "Bearer ${TOKEN}", "X-Both": "${A}-${B}", "X-Lit": "$${TOKEN}"}
    environ = {"TOKEN": SECRET, "A": "1", "B": "2"}
    assert resolve_placeholders(values, environ) == {
        "Authorization": f"Bearer {SECRET}",
        "X-Both": "1-2",
        "X-Lit": "${TOKEN}",
    }


@pytest.mark.parametrize("environ", [{}, {"TOKEN": ""}], ids=["unset", "empty"])
def test_a_missing_variable_is_named_and_no_value_is_echoed(environ: dict[str, str]) -> None:
    values = {"X-Other": "${OTHER}", "Authorization": "Bearer ${TOKEN}"}
    with pytest.raises(McpConfigurationError) as caught:
        resolve_placeholders(values, {"OTHER": OTHER_SECRET, **environ}, server="tickets")
    error = caught.value
    assert error.variable == "TOKEN"
    assert "TOKEN is not set" in str(error)
    assert "'Authorization'" in str(error) and "'tickets'" in str(error)
    assert error.non_retryable
    for text in (str(error), repr(error), error.message):
        assert OTHER_SECRET not in text


def test_the_secret_never_appears_in_config_results_or_errors() -> None:
    """The config holds the placeholder; a failed call does not echo the resolved value."""
    config = stdio(
        command=sys.executable,
        args=["-c", "import sys; sys.exit(3)"],  # exits before speaking MCP
        env={"TICKETS_TOKEN": "${TICKETS_TOKEN}"},
        connect_timeout=30,
    )
    environ = {"TICKETS_TOKEN": SECRET}
    texts = [repr(config), str(config), config.model_dump_json()]
    for attempt in (
        call_tool(config, "lookup_ticket", {"ticket_id": "T1"}, environ=environ),
        list_tools(config, environ=environ),
    ):
        with pytest.raises(McpTransportError) as caught:
            asyncio.run(attempt)
        texts += [str(caught.value), repr(caught.value), str(caught.value.__cause__)]
        assert caught.value.__cause__ is None  # a cause would be recorded in history too
    assert all(SECRET not in text for text in texts), texts


# -- results ----------------------------------------------------------------------------------


def test_result_text_joins_blocks_and_falls_back_to_structured_content() -> None:
    text = mcp_types.TextContent(text="first")
    image = mcp_types.ImageContent(data="aGVsbG8=", mime_type="image/png")
    assert result_text(mcp_types.CallToolResult(content=[text, image])) == (
        "first\n[image content (image/png) omitted]"
    )
    structured = mcp_types.CallToolResult(content=[], structured_content={"b": 1, "a": "é"})
    assert result_text(structured) == '{"b": 1, "a": "é"}'
    assert result_text(mcp_types.CallToolResult(content=[])) == "(no output)"


def test_output_is_capped_with_a_note() -> None:
    assert cap_output("abc", 3) == "abc"
    assert cap_output("x" * 25, 20) == "x" * 20 + "\n[output truncated: 5 more characters]"
    with pytest.raises(pydantic.ValidationError):
        stdio(max_output_chars=10)  # too small to say anything useful


def test_error_types_tell_temporal_what_to_retry() -> None:
    assert McpToolError("x").non_retryable and McpToolError("x").type == "McpToolError"
    assert not McpTransportError("x").non_retryable
    assert not McpTimeoutError("x").non_retryable
    assert McpTimeoutError("x").type == "McpTimeout"
    assert McpConfigurationError("x").type == "McpConfigurationError"


def test_a_listed_tool_reads_as_an_openai_function_tool() -> None:
    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    tool = ToolInfo(
        name="search", exposed_name="web_search", description="Find.", input_schema=schema
    )
    assert tool.definition == {
        "type": "function",
        "function": {"name": "web_search", "description": "Find.", "parameters": schema},
    }
    assert "description" not in tool.model_copy(update={"description": ""}).definition["function"]


ALLOWED_IMPORTS = {"__future__", "anyio", "httpx2", "mcp", "mcp_types", "pydantic", "temporalio"}


@pytest.mark.parametrize("module", ["mcp_config", "mcp_sessions", "mcp_client"])
def test_the_modules_import_no_dagent_gen(module: str) -> None:
    """Copied verbatim into generated packages: the standard library, mcp (with the anyio and
    httpx2 it brings), pydantic and temporalio only, and each other by relative import."""
    import ast
    from pathlib import Path

    import dagent_gen

    source = Path(dagent_gen.__file__).parent / "runtime" / f"{module}.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | ALLOWED_IMPORTS, imported
