"""`dagent-gen run`, `dev` and `graph` end to end: real processes, real Temporal, cleanup checked."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "01_research_agent"
CLI = [sys.executable, "-m", "dagent_gen.cli"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"\(pid (\d+)\)", output)]


def _free_address() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"  # closed again: nothing answers there


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TEMPORAL_"))}
    env.update(extra)
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "research"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_graph_prints_mermaid(project: Path) -> None:
    result = subprocess.run([*CLI, "graph", str(project)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR\n")
    assert "agent_researcher ==>|delegates| agent_writer" in result.stdout
    assert "agent_researcher --> tool_web_search" in result.stdout
    fenced = subprocess.run(
        [*CLI, "graph", "--markdown", str(project)], capture_output=True, text=True
    )
    assert fenced.stdout.startswith("```mermaid\nflowchart LR\n")
    assert fenced.stdout.endswith("```\n")
    readme = (project / "research_agent" / "README.md").read_text(encoding="utf-8")
    assert result.stdout in readme  # the build writes the same picture into the package README


@pytest.mark.e2e
def test_run_offline_with_embedded_server_cleans_up(project: Path) -> None:
    result = subprocess.run(
        [*CLI, "run", str(project), "What is durable execution?"],
        capture_output=True,
        text=True,
        env=_env(TEMPORAL_ADDRESS=_free_address()),
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "OFFLINE" in result.stderr
    assert "starting an embedded dev server" in result.stderr
    assert "Web UI: http://127.0.0.1:" in result.stderr
    assert "plan: What is durable execution?" in result.stderr
    assert "Offline model" in result.stdout
    pids = _pids(result.stderr)
    assert pids, result.stderr
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids), "the embedded dev server outlived `run`"


@pytest.mark.e2e
def test_run_shows_progress_against_existing_server(
    project: Path, temporal_server: TemporalDevServer
) -> None:
    script = [
        tool_calls(call("write_todos", {"todos": ["search", "write"]}), agent="research"),
        tool_calls(call("web_search", {"query": "temporal"}), agent="research"),
        text("searched", agent="research"),
        tool_calls(call("writer", {"task": "Write it up."}), agent="research"),
        text("A report.", agent="clear reports"),
        text("delegated", agent="research"),
        text("Durable execution survives crashes.", agent="research"),
    ]
    with ScriptedModelServer(script) as model:
        result = subprocess.run(
            [*CLI, "run", str(project), "Explain durable execution"],
            capture_output=True,
            text=True,
            env=_env(
                TEMPORAL_ADDRESS=temporal_server.address,
                OPENAI_BASE_URL=model.base_url,
                OPENAI_API_KEY="sk-test",
            ),
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert model.violations == []
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Durable execution survives crashes."
    assert f"using the Temporal server at {temporal_server.address}" in result.stderr
    assert "plan: search; write" in result.stderr
    assert '→ web_search({"query": "temporal"})' in result.stderr
    assert "⇒ sub-agent writer: Write it up." in result.stderr
    assert "⇐ sub-agent writer answered: A report." in result.stderr
    assert "OFFLINE" not in result.stderr


@pytest.mark.e2e
def test_dev_rebuilds_restarts_and_stops_cleanly(project: Path) -> None:
    log = project / "dev.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [*CLI, "dev", str(project)],
            stdout=stream,
            stderr=subprocess.STDOUT,
            env=_env(TEMPORAL_ADDRESS=_free_address()),
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_for(log, "worker polling", 60)
        tools = project / "research_agent_tools.py"
        tools.write_text(
            tools.read_text().replace("Search the knowledge base.", "Search the corpus."),
            encoding="utf-8",
        )
        _wait_for(log, "worker restarted", 60)
        agents = (project / "research_agent" / "agents.py").read_text(encoding="utf-8")
        assert "Search the corpus." in agents
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    output = log.read_text()
    assert "dev stopped" in output
    assert (project / ".dagent" / "dev" / "temporal.db").exists()
    pids = _pids(output)
    assert len(pids) >= 3  # dev server and two workers
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in pids), output


def _wait_for(log: Path, needle: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if needle in log.read_text():
            return
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} not seen in time:\n{log.read_text()}")
