"""Build-time MCP discovery: diagnostics for failures and names, and the lock record.

Discovery against real servers is in tests/e2e/test_mcp_servers.py.
"""

from __future__ import annotations

import sys

from dagent_gen.diagnostics import Location
from dagent_gen.mcp_discovery import McpRecord, config_digest, discover
from dagent_gen.mcp_discovery import _check_names as check_names
from dagent_gen.runtime.mcp_client import McpServerConfig, ToolInfo

SECRET = "build-SECRET-token-31337"
HERE = Location.of("dagent.toml", 4)


def tool(name: str, prefix: str = "") -> ToolInfo:
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    return ToolInfo(name=name, exposed_name=prefix + name, description="d", input_schema=schema)


def config(name: str = "tickets", **fields: object) -> McpServerConfig:
    return McpServerConfig.model_validate(
        {"name": name, "command": sys.executable, "args": ["-c", "pass"], **fields}
    )


def test_a_missing_variable_is_DG332_and_names_it() -> None:
    servers = {"tickets": config(env={"TICKETS_TOKEN": "${TICKETS_TOKEN}", "X": "${OTHER}"})}
    found, diagnostics = discover(
        servers, 5, environ={"OTHER": SECRET}, locations={"tickets": HERE}
    )
    assert found == {}
    [diagnostic] = diagnostics
    assert (diagnostic.code, diagnostic.location) == ("DG332", HERE)
    assert "TICKETS_TOKEN" in diagnostic.message and "TICKETS_TOKEN" in (diagnostic.hint or "")
    assert SECRET not in diagnostic.render()


def test_a_server_that_cannot_start_is_DG330() -> None:
    servers = {"gone": config("gone", command="/nonexistent/mcp-server")}
    found, diagnostics = discover(servers, 5, environ={})
    assert found == {}
    assert [d.code for d in diagnostics] == ["DG330"]
    assert "/nonexistent/mcp-server" in (diagnostics[0].hint or "")


def test_DG330_shows_what_the_server_wrote_to_stderr_without_the_secret() -> None:
    script = "import os, sys; print('Traceback: no module named tickets', os.environ['TOK'], file=sys.stderr); sys.exit(2)"
    broken = config("broken", args=["-c", script], env={"TOK": "${TOK}"})
    found, diagnostics = discover({"broken": broken}, 10, environ={"TOK": SECRET})
    assert found == {}
    [diagnostic] = diagnostics
    assert diagnostic.code == "DG330"
    assert (
        "stderr ended with:\n    Traceback: no module named tickets [redacted]"
        in diagnostic.message
    )
    assert SECRET not in diagnostic.render()


def test_a_server_that_never_answers_is_DG331() -> None:
    silent = config("silent", args=["-c", "import time; time.sleep(60)"])
    found, diagnostics = discover({"silent": silent}, 1.5, environ={})
    assert found == {}
    assert [d.code for d in diagnostics] == ["DG331"]


def test_runtime_servers_are_not_contacted_at_build_time() -> None:
    servers = {"later": config("later", command="/nonexistent/mcp-server", discover="runtime")}
    assert discover(servers, 5, environ={}) == ({}, [])


def test_names_must_be_valid_for_the_model_api() -> None:
    found = {"a": [tool("good"), tool("has space"), tool("x" * 60, prefix="long_prefix_")]}
    diagnostics = check_names(found, set(), {"a": HERE})
    assert [d.code for d in diagnostics] == ["DG333", "DG333"]
    assert "'has space'" in diagnostics[0].message


def test_names_must_not_clash_across_servers_or_with_project_tools() -> None:
    found = {
        "a": [tool("lookup"), tool("search")],
        "b": [tool("lookup"), tool("b_search")],
        "c": [tool("search", prefix="b_")],
    }
    diagnostics = check_names(found, {"search"}, {})
    assert [d.code for d in diagnostics] == ["DG334"] * 3
    messages = "\n".join(d.message for d in diagnostics)
    assert "'search' of MCP server 'a' clashes with a tool of the project" in messages
    assert "'lookup' of MCP server 'b' clashes with MCP server 'a'" in messages
    assert "'b_search' of MCP server 'c' clashes with MCP server 'b'" in messages


def test_the_record_is_stable_hashed_and_knows_when_it_is_stale() -> None:
    configs = {"b": config("b", prefix="b_"), "a": config("a")}
    found = {"b": [tool("z", "b_"), tool("y", "b_")], "a": [tool("x")]}
    record = McpRecord.of(configs, found)
    again = McpRecord.of(dict(reversed(configs.items())), {k: v[::-1] for k, v in found.items()})
    assert record.canonical_json() == again.canonical_json()
    assert record.sha256 == again.sha256 and len(record.sha256) == 64
    assert list(record.dump()["servers"]) == ["a", "b"]
    assert [t.name for t in record.servers["b"].tools] == ["y", "z"]
    assert McpRecord.model_validate(record.dump()) == record  # round-trips through the lock
    assert record.stale(configs) == []
    changed = {**configs, "a": config("a", tools=["x*"]), "new": config("new")}
    assert record.stale(changed) == ["a", "new"]
    assert record.stale({"r": config("r", discover="runtime")}) == []


def test_the_config_digest_holds_placeholders_not_values() -> None:
    env = {"TOKEN": "${TOKEN}"}
    assert config_digest(config(env=env)) == config_digest(config(env=env))
    assert config_digest(config(env=env)) != config_digest(config(env={"TOKEN": "${OTHER}"}))


def test_a_literal_credential_in_the_config_is_DG336_without_quoting_it() -> None:
    web = McpServerConfig(
        name="web",
        url="http://127.0.0.1:9/mcp",
        headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": "${KEY}", "Accept": "json"},
        discover="runtime",
    )
    local = config("local", env={"GITHUB_TOKEN": SECRET, "LOG_LEVEL": "debug", "API_KEY": ""})
    found, diagnostics = discover(
        {"web": web, "local": local.model_copy(update={"discover": "runtime"})}, 5, environ={}
    )
    assert found == {}
    assert [(d.code, d.severity) for d in diagnostics] == [("DG336", "warning")] * 2
    assert "env 'GITHUB_TOKEN'" in diagnostics[0].message
    assert "header 'Authorization'" in diagnostics[1].message
    assert all(SECRET not in d.render() for d in diagnostics)
