"""Tests for ``dagent_gen.testing.temporal_server`` against the real ``temporal`` CLI."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest
from temporalio.client import Client

from dagent_gen.testing import TemporalDevServer, temporal_server
from dagent_gen.testing.temporal_server import TemporalDevServerError, find_temporal_cli


def assert_gone(pid: int, port: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # the port is free again


async def list_workflow_ids(address: str, namespace: str = "default") -> list[str]:
    client = await Client.connect(address, namespace=namespace)
    return [wf.id async for wf in client.list_workflows()]


def test_start_connect_stop_from_sync_code() -> None:
    server = TemporalDevServer()
    with server:
        assert server.address.startswith("127.0.0.1:")
        pid = server.pid
        assert pid is not None
        assert asyncio.run(list_workflow_ids(server.address)) == []
        port = int(server.address.rsplit(":", 1)[1])
    assert server.pid is None
    assert_gone(pid, port)
    server.stop()  # idempotent


def test_async_context_manager_with_custom_namespace() -> None:
    async def main() -> tuple[int, int]:
        async with TemporalDevServer(namespace="dagent-tests") as server:
            pid = server.pid
            assert pid is not None
            assert await list_workflow_ids(server.address, "dagent-tests") == []
            return pid, int(server.address.rsplit(":", 1)[1])

    pid, port = asyncio.run(main())
    assert_gone(pid, port)


def test_port_clash_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    real_free_ports = temporal_server._free_ports
    calls: list[int] = []

    def clashing_free_ports(count: int) -> list[int]:
        ports = real_free_ports(count)
        if not calls:
            ports[0] = busy.getsockname()[1]
        calls.append(count)
        return ports

    monkeypatch.setattr(temporal_server, "_free_ports", clashing_free_ports)
    try:
        with TemporalDevServer() as server:
            assert asyncio.run(list_workflow_ids(server.address)) == []
    finally:
        busy.close()
    assert len(calls) == 2


def test_sync_use_inside_running_event_loop() -> None:
    async def main() -> None:
        with TemporalDevServer() as server:  # blocking start must not clash with this loop
            assert await list_workflow_ids(server.address) == []

    asyncio.run(main())


def test_process_is_stopped_when_body_raises() -> None:
    server = TemporalDevServer()
    with pytest.raises(RuntimeError, match="boom"), server:
        pid = server.pid
        raise RuntimeError("boom")
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_startup_failure_reports_server_output() -> None:
    server = TemporalDevServer(extra_args=["--no-such-flag"], startup_timeout=10)
    with pytest.raises(TemporalDevServerError, match="no-such-flag"):
        server.start()
    assert server.pid is None


def test_missing_executable_error_mentions_temporal_bin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = TemporalDevServer(executable=tmp_path / "temporal")
    with pytest.raises(TemporalDevServerError, match="temporal-bin"):
        server.start()
    assert server.pid is None
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TemporalDevServerError, match="temporal-bin"):
        find_temporal_cli()


def test_ui_url_requires_ui() -> None:
    with pytest.raises(RuntimeError, match="ui=True"):
        _ = TemporalDevServer().ui_url
