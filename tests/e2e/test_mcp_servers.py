"""The MCP client against real servers: stdio and streamable HTTP, on loopback.

The server (tests/e2e/mcp_servers/tickets_server.py) is written with the official SDK. Over
HTTP it answers 401 unless the bearer token is right, so passing tests prove the header's
``${TICKETS_TOKEN}`` was resolved. The last test runs ``call_tool`` in a real Temporal activity
and searches the whole workflow history for the token.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from dagent_gen.mcp_discovery import McpRecord, discover
from dagent_gen.runtime.mcp_client import (
    McpConfigurationError,
    McpServerConfig,
    McpSessionPool,
    McpTimeoutError,
    McpToolError,
    McpTransportError,
    call_tool,
    list_tools,
)
from dagent_gen.testing import TemporalDevServer

from .support import EventLog, connect, unique

pytestmark = pytest.mark.e2e

SERVER = Path(__file__).parent / "mcp_servers" / "tickets_server.py"
TOKEN = unique("tickets-SECRET")
ENV = {"TICKETS_TOKEN": TOKEN}
READY_TIMEOUT = 60.0

Configure = Callable[..., McpServerConfig]


def stdio_config(**fields: Any) -> McpServerConfig:
    return McpServerConfig.model_validate(
        {
            "name": "tickets",
            "command": sys.executable,
            "args": [str(SERVER), "stdio"],
            "env": {"TICKETS_TOKEN": "${TICKETS_TOKEN}"},
            **fields,
        }
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_http_server(port: int, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """The streamable-HTTP server on ``port``, once it accepts connections."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, str(SERVER), "http", str(port)],
            env={**os.environ, **ENV, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"no server on {port}:\n{log.read_text()}") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The streamable-HTTP server on a free loopback port, for the whole module."""
    port = free_port()
    process = start_http_server(port, tmp_path_factory.mktemp("mcp") / "http-server.log")
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process)


@pytest.fixture(params=["stdio", "http"])
def configure(request: pytest.FixtureRequest) -> Configure:
    """``configure(**fields)``: a config of the parametrized transport."""
    if request.param == "stdio":
        return stdio_config
    url = request.getfixturevalue("http_url")

    def http_config(**fields: Any) -> McpServerConfig:
        headers = {"Authorization": "Bearer ${TICKETS_TOKEN}"}
        return McpServerConfig.model_validate(
            {"name": "web", "url": url, "headers": headers, **fields}
        )

    return http_config


def call(
    config: McpServerConfig, name: str, environ: dict[str, str] = ENV, **arguments: Any
) -> str:
    return asyncio.run(call_tool(config, name, arguments, environ=environ))


def test_list_applies_filters_and_prefix(configure: Configure) -> None:
    config = configure(tools=["lookup_*"], deny=["lookup_missing"], prefix="tk_")
    tools = asyncio.run(list_tools(config, environ=ENV))
    assert [(t.name, t.exposed_name) for t in tools] == [
        ("lookup_summary", "tk_lookup_summary"),
        ("lookup_ticket", "tk_lookup_ticket"),
    ]
    schema = tools[1].input_schema
    assert schema["type"] == "object" and schema["required"] == ["ticket_id"]
    assert tools[1].description == "Look up a ticket by id."


def test_call_returns_what_the_model_sees(configure: Configure) -> None:
    config = configure()
    assert json.loads(call(config, "lookup_ticket", ticket_id="T1"))["status"] == "open"
    assert call(config, "lookup_summary", ticket_id="T1") == "ticket T1: open"


def test_an_error_result_is_a_tool_error_with_the_servers_message(configure: Configure) -> None:
    config = configure()
    with pytest.raises(McpToolError, match="no ticket T9") as caught:
        call(config, "lookup_missing", ticket_id="T9")
    assert caught.value.non_retryable
    with pytest.raises(McpToolError, match="Unknown tool"):
        call(config, "no_such_tool")
    with pytest.raises(McpToolError, match="ticket_id"):
        call(config, "lookup_ticket", wrong="x")
    with pytest.raises(McpToolError, match="refused the call: ticket_id must look like T123"):
        call(config, "strict_lookup", ticket_id="nope")


def test_a_secret_echoed_by_the_server_is_scrubbed(configure: Configure) -> None:
    config = configure()
    assert call(config, "leak_token") == "using token [redacted]"
    [tool] = [t for t in asyncio.run(list_tools(config, environ=ENV)) if t.name == "leak_token"]
    assert tool.description == "A careless tool that echoes its credential ([redacted])."
    assert tool.input_schema["properties"]["token"]["default"] == "[redacted]"


def test_a_stdio_server_gets_its_env_not_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_ONLY_SETTING", "worker-private")
    names = call(stdio_config(), "environment_names").splitlines()
    assert "TICKETS_TOKEN" in names and "PATH" in names
    assert "WORKER_ONLY_SETTING" not in names


def test_a_long_result_is_capped_with_a_note(configure: Configure) -> None:
    text = call(configure(max_output_chars=1_000), "big_report", size=50_000)
    assert text == "x" * 1_000 + "\n[output truncated: 49000 more characters]"


def test_a_missing_variable_names_it_and_connects_nowhere(configure: Configure) -> None:
    with pytest.raises(McpConfigurationError, match="TICKETS_TOKEN is not set") as caught:
        call(configure(), "lookup_summary", environ={}, ticket_id="T1")
    assert caught.value.non_retryable


def test_a_slow_tool_times_out(configure: Configure) -> None:
    started = time.monotonic()
    with pytest.raises(McpTimeoutError, match="did not answer within 1 s") as caught:
        call(configure(call_timeout=1), "slow_lookup", seconds=60)
    assert not caught.value.non_retryable
    assert time.monotonic() - started < 30  # the call's deadline, plus a bounded shutdown


def test_a_wrong_token_is_a_transport_error_that_does_not_echo_it(http_url: str) -> None:
    wrong = unique("wrong-SECRET")
    config = McpServerConfig(name="web", url=http_url, headers={"Authorization": "Bearer ${T}"})
    with pytest.raises(McpTransportError) as caught:
        call(config, "lookup_summary", environ={"T": wrong}, ticket_id="T1")
    assert wrong not in str(caught.value) and not caught.value.non_retryable


def test_build_discovery_lists_both_transports_and_catches_clashes(http_url: str) -> None:
    web = McpServerConfig(
        name="web",
        url=http_url,
        headers={"Authorization": "Bearer ${TICKETS_TOKEN}"},
        tools=("lookup_*",),
    )
    stdio = stdio_config(tools=["lookup_*"])
    servers = {"tickets": stdio, "web": web.model_copy(update={"prefix": "web_"})}
    found, diagnostics = discover(servers, 60, environ=ENV)
    assert diagnostics == []
    assert [t.exposed_name for t in found["web"]] == [
        "web_lookup_missing",
        "web_lookup_summary",
        "web_lookup_ticket",
    ]
    record = McpRecord.of(servers, found)
    assert TOKEN not in record.canonical_json()
    assert record.stale(servers) == []

    _, diagnostics = discover({"tickets": stdio, "web": web}, 60, environ=ENV)
    assert [d.code for d in diagnostics] == ["DG334"] * 3


# -- pooled sessions --------------------------------------------------------------------------


def test_a_pool_keeps_one_session_per_server_and_replaces_a_broken_one() -> None:
    async def scenario() -> None:
        pool = McpSessionPool()
        config = stdio_config()
        try:

            async def pid(environ: dict[str, str] = ENV) -> str:
                return await call_tool(config, "server_pid", {}, environ, sessions=pool)

            first = await pid()
            assert set(await asyncio.gather(*(pid() for _ in range(5)))) == {first}
            with pytest.raises(McpToolError, match="no ticket"):  # a tool error keeps it
                await call_tool(config, "lookup_missing", {"ticket_id": "T9"}, ENV, sessions=pool)
            assert await pid() == first
            with pytest.raises(McpTransportError):
                await call_tool(config, "crash", {}, ENV, sessions=pool)
            second = await pid()
            assert second != first
            rotated = await pid({"TICKETS_TOKEN": unique("rotated-SECRET")})
            assert rotated != second  # new credentials, new session
        finally:
            await pool.aclose()

    asyncio.run(scenario())


def test_an_http_error_during_a_call_is_retryable_and_renews_a_pooled_session(
    tmp_path: Path,
) -> None:
    """A 503 from the server (or a proxy) while calling is a transport failure, not a tool error
    the model would see; the pool drops the session and the next call opens a new one."""
    port, flag = free_port(), tmp_path / "unavailable"
    process = start_http_server(port, tmp_path / "server.log", TICKETS_UNAVAILABLE_FLAG=str(flag))
    config = McpServerConfig(
        name="web",
        url=f"http://127.0.0.1:{port}/mcp",
        headers={"Authorization": "Bearer ${TICKETS_TOKEN}"},
    )
    pool = McpSessionPool()

    async def summary(ticket: str, sessions: McpSessionPool | None) -> str:
        arguments = {"ticket_id": ticket}
        return await call_tool(config, "lookup_summary", arguments, ENV, sessions=sessions)

    async def scenario() -> None:
        assert await summary("T1", pool) == "ticket T1: open"
        flag.touch()
        with pytest.raises(McpTransportError) as caught:
            await summary("T2", pool)
        assert not caught.value.non_retryable
        flag.unlink()
        assert await summary("T3", pool) == "ticket T3: open"
        await pool.aclose()

    try:
        asyncio.run(scenario())
    finally:
        stop(process)


# -- inside a Temporal activity ---------------------------------------------------------------


@workflow.defn(name="McpSecretProbe")
class McpSecretProbe:
    """Calls MCP tools through the ``mcp_call`` activity; a failure becomes text, as for a model."""

    @workflow.run
    async def run(self, calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        results = []
        for server, name, arguments in calls:
            try:
                results.append(
                    await workflow.execute_activity(
                        "mcp_call",
                        args=[server, name, arguments],
                        result_type=str,
                        start_to_close_timeout=timedelta(seconds=120),
                        retry_policy=RetryPolicy(maximum_attempts=1),
                    )
                )
            except ActivityError as err:
                cause = err.cause
                assert isinstance(cause, ApplicationError)
                results.append(f"error {cause.type}: {cause.message}")
        return results


def test_no_secret_reaches_workflow_history(
    temporal_server: TemporalDevServer, http_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's environment holds the token; history has only what the model may see."""
    monkeypatch.setenv("TICKETS_TOKEN", TOKEN)
    configs = {
        "tickets": stdio_config(),
        "web": McpServerConfig(
            name="web", url=http_url, headers={"Authorization": "Bearer ${TICKETS_TOKEN}"}
        ),
        "broken": stdio_config(env={"TICKETS_TOKEN": "${TICKETS_TOKEN_NOT_SET}"}),
    }

    pool = McpSessionPool()  # the HTTP server's calls share a session; stdio ones do not

    @activity.defn(name="mcp_call")
    async def mcp_call(server: str, name: str, arguments: dict[str, Any]) -> str:
        sessions = pool if server == "web" else None
        return await call_tool(configs[server], name, arguments, sessions=sessions)

    calls = [
        ("tickets", "lookup_ticket", {"ticket_id": "T7"}),
        ("web", "lookup_ticket", {"ticket_id": "T8"}),
        ("tickets", "leak_token", {}),
        ("web", "leak_token", {}),
        ("web", "lookup_missing", {"ticket_id": "T9"}),
        ("broken", "lookup_summary", {"ticket_id": "T1"}),
    ]

    async def run() -> tuple[list[str], EventLog]:
        client = await connect(temporal_server)
        queue = unique("mcp-e2e")
        async with Worker(
            client,
            task_queue=queue,
            workflows=[McpSecretProbe],
            activities=[mcp_call],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            handle = await client.start_workflow(
                McpSecretProbe.run, calls, id=unique("mcp-probe"), task_queue=queue
            )
            results = await handle.result()
            await pool.aclose()
            return results, EventLog(await handle.fetch_history())

    results, history = asyncio.run(run())
    history.assert_healthy()
    binary = history.binary()  # payloads appear verbatim here
    assert b"Printer on fire (T8)" in binary  # the search does see what was recorded
    assert TOKEN.encode() not in binary
    assert TOKEN not in history.compact_json()
    assert "Printer on fire (T7)" in results[0] and "Printer on fire (T8)" in results[1]
    assert results[2:4] == ["using token [redacted]"] * 2
    assert results[4].startswith("error McpToolError: ") and results[4].endswith("no ticket T9")
    assert results[5].startswith("error McpConfigurationError: environment variable ")
    assert "TICKETS_TOKEN_NOT_SET is not set" in results[5]
