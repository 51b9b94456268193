"""`dagent-gen run`, `dev` and `graph` end to end: real processes, real Temporal, cleanup checked."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagent_gen.testing import Reply, ScriptedModelServer, TemporalDevServer, call, text, tool_calls

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "01_research_agent"
CLI = [sys.executable, "-m", "dagent_gen.cli"]


def _gone(pid: int) -> bool:
    """No such process, or only its zombie: ``os.kill(pid, 0)`` would call a zombie alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def _assert_all_gone(pids: list[int], output: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(pid) for pid in pids), f"processes outlived the command:\n{output}"


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
    _assert_all_gone(pids, result.stderr)


@pytest.mark.e2e
def test_run_shows_progress_against_existing_server(
    project: Path, temporal_server: TemporalDevServer
) -> None:
    script: list[Reply] = [
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
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_dev_rebuilds_restarts_and_stops_cleanly(project: Path, signum: signal.Signals) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    log = project.parent / "dev.log"
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
        _send_the_printed_task(project, log.read_text())
        tools = project / "research_agent_tools.py"
        tools.write_text(
            tools.read_text().replace("Search the knowledge base.", "Search the corpus."),
            encoding="utf-8",
        )
        _wait_for(log, "worker restarted", 60)
        agents = (project / "research_agent" / "agents.py").read_text(encoding="utf-8")
        assert "Search the corpus." in agents
    finally:
        process.send_signal(signum)
        process.wait(timeout=60)
    output = log.read_text()
    assert "dev stopped" in output
    assert (project / ".dagent" / "dev" / "temporal.db").exists()
    pids = _pids(output)
    assert len(pids) >= 3  # dev server and two workers
    _assert_all_gone(pids, output)
    untracked = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".dagent/lock.json" in untracked  # .dagent/ itself is meant to be committed
    assert ".dagent/dev" not in untracked  # run histories are not


def _send_the_printed_task(project: Path, output: str) -> None:
    """Follow dev's instructions: run the printed client command; open the printed Web UI."""
    [command] = re.findall(r"^  (TEMPORAL_ADDRESS=\S+ python -m \S+) ", output, re.MULTILINE)
    assignment, *argv = command.split()
    address = assignment.partition("=")[2]
    env = _env(TEMPORAL_ADDRESS=address, PYTHONPATH=str(project))
    argv[0] = sys.executable
    result = subprocess.run(
        [*argv, "What is durable execution?"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "Offline model" in result.stdout
    [ui_url] = re.findall(r"^Web UI: (http://\S+)$", output, re.MULTILINE)
    with urllib.request.urlopen(ui_url, timeout=10) as page:
        assert page.status == 200


def _wait_for(log: Path, needle: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if needle in log.read_text():
            return
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} not seen in time:\n{log.read_text()}")


@pytest.fixture
def scaffold(tmp_path: Path) -> Path:
    """A project from `dagent-gen new` (its tool raises on a division by zero)."""
    result = subprocess.run(
        [*CLI, "new", "calc", "--defaults", "--parent", str(tmp_path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / "calc"


@pytest.mark.e2e
def test_a_scaffolds_tool_error_is_reported_in_one_line(
    scaffold: Path, temporal_server: TemporalDevServer
) -> None:
    def run(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "run", *options, str(scaffold), "What is 1 / 0?"],
            capture_output=True,
            text=True,
            env=_env(TEMPORAL_ADDRESS=temporal_server.address),
            timeout=180,
            stdin=subprocess.DEVNULL,
        )

    normal = run()
    assert normal.returncode == 0, normal.stderr
    assert "Traceback" not in normal.stderr, normal.stderr
    assert "Completing activity as failed" not in normal.stderr, normal.stderr
    failures = [line for line in normal.stderr.splitlines() if "calculate failed" in line]
    assert failures == ["✗ calculate failed: ValueError: division by zero in '1 / 0'"], (
        normal.stderr
    )
    quiet = run("--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # the tool's error is in the answer, and nowhere else
    assert quiet.stdout == normal.stdout
    verbose = run("--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert "Traceback (most recent call last)" in verbose.stderr  # asked for


@pytest.fixture
def silent_model() -> Iterator[str]:
    """An OpenAI base URL that accepts connections and never answers: a run stays in step 1."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


@pytest.mark.e2e
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["SIGTERM", "SIGINT", "SIGHUP"]
)
def test_run_stopped_by_a_signal_stops_the_embedded_server(
    project: Path, silent_model: str, signum: signal.Signals
) -> None:
    log = project.parent / "run.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [*CLI, "run", str(project), "Hang on."],
            stdout=stream,
            stderr=subprocess.STDOUT,
            env=_env(
                TEMPORAL_ADDRESS=_free_address(),
                OPENAI_BASE_URL=silent_model,
                OPENAI_API_KEY="sk-test",
            ),
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_for(log, "thinks (step 1)", 90)
        process.send_signal(signum)
        assert process.wait(timeout=60) == 128 + signum
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert "stopped the embedded Temporal dev server" in output
    pids = _pids(output)
    assert pids, output
    _assert_all_gone(pids, output)


@pytest.mark.e2e
def test_run_keep_leaves_the_server_and_its_ui_up_until_a_signal(project: Path) -> None:
    log = project.parent / "run.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [*CLI, "run", "--keep", str(project), "What is durable execution?"],
            stdout=stream,
            stderr=subprocess.STDOUT,
            env=_env(TEMPORAL_ADDRESS=_free_address()),
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_for(log, "Ctrl-C stops it", 120)
        output = log.read_text()
        assert "Offline model" in output  # the answer came first
        link = re.findall(r"^Web UI: (http://\S+/workflows/\S+)$", output, re.MULTILINE)
        assert link, output
        with urllib.request.urlopen(link[0], timeout=10) as page:  # still alive
            assert page.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    _assert_all_gone(_pids(output), output)
