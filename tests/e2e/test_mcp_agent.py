"""An agent that calls MCP tools, end to end: `dagent-gen build` lists a stdio server's tools,
the generated worker calls them on the real Temporal server, the scripted model sees the
results; the server's credential reaches neither the generated code, the lock nor history;
and `dagent-gen check` stays offline (the server gone, it still passes from the lock's record).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, StartWorker, answered_calls, run_agent, unique, write_project
from .test_mcp_servers import free_port, start_http_server, stop

pytestmark = pytest.mark.e2e

SERVER = Path(__file__).parent / "mcp_servers" / "tickets_server.py"
TOKEN = unique("tickets-SECRET")

DEFINITION = f"""
[project]
package = "support_agents"

[mcp.tickets]
command = {json.dumps(sys.executable)}
args = ["tickets_server.py", "stdio"]
env = {{ TICKETS_TOKEN = "${{TICKETS_TOKEN}}" }}
tools = ["lookup_*", "leak_token"]
prefix = "tickets_"

[agents.support]
system_prompt = "You answer questions about tickets."
planning = false
mcp = ["tickets"]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("mcp") / "project"
    root.mkdir(parents=True)
    shutil.copy(SERVER, root / "tickets_server.py")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TICKETS_TOKEN", TOKEN)  # the build lists the tools; the worker calls them
        yield write_project(root, "support_agents", DEFINITION, {})


def dagent_gen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", *args, str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_build_discovers_the_tools_and_records_them_without_the_secret(project: Project) -> None:
    lock = json.loads((project.root / ".dagent" / "lock.json").read_text())
    tools = lock["mcp"]["servers"]["tickets"]["tools"]
    assert [tool["exposed_name"] for tool in tools] == [
        "tickets_leak_token",
        "tickets_lookup_missing",
        "tickets_lookup_summary",
        "tickets_lookup_ticket",
    ]
    for path in project.root.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".json", ".base", ".md"}:
            assert TOKEN not in path.read_text(errors="replace"), path
    module = (project.root / "support_agents" / "mcp_tools" / "tickets.py").read_text()
    assert '"${TICKETS_TOKEN}"' in module


def test_the_agent_calls_mcp_tools_and_no_secret_reaches_history(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("tickets_lookup_ticket", {"ticket_id": "T-1"}),
            call("tickets_lookup_missing", {"ticket_id": "T-2"}),
            call("tickets_leak_token", {}),
        ),
        tool_calls(call("tickets_lookup_summary", {"ticket_id": "T-3"})),
        text("Ticket T-1 is open."),
    )
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server,
        "support",
        "What about T-1?",
        task_queue=worker.task_queue,
        workflow_id=unique("mcp"),
    )
    assert output["answer"] == "Ticket T-1 is open."
    assert model_server.violations == []
    offered = [tool["function"]["name"] for tool in model_server.requests[0]["tools"]]
    assert "tickets_lookup_ticket" in offered and "tickets_big_report" not in offered
    found, missing, leaked = (obs for _, _, obs in answered_calls(model_server.requests[1]))
    assert "Printer on fire (T-1)" in found
    assert missing.startswith("Error") and "no ticket T-2" in missing
    assert "[redacted]" in leaked
    assert "ticket T-3: open" in answered_calls(model_server.requests[2])[-1][2]
    history.assert_healthy()
    assert ("tickets_lookup_missing", "McpToolError", True) in history.failed_activities()
    assert history.started_attempts("tickets_lookup_missing") == [1]  # a tool error: no retry
    assert TOKEN not in history.compact_json()
    assert TOKEN.encode() not in history.binary()
    assert len(server_processes(project.root)) == 1  # the worker's pool: one server, kept
    worker.stop()
    deadline = time.monotonic() + 30
    while server_processes(project.root) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server_processes(project.root) == []  # the pool was closed on shutdown


def server_processes(root: Path) -> list[int]:
    """Pids of tickets_server.py processes running in ``root`` (the server's cwd)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if Path(proc, "cwd").resolve() != root.resolve():
                continue
            if b"tickets_server.py" in Path(proc, "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def test_check_is_offline_and_a_config_change_makes_the_record_stale(project: Project) -> None:
    (project.root / "tickets_server.py").rename(project.root / "gone.py")  # no server any more
    try:
        checked = dagent_gen(project.root, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        definition = project.root / "dagent.toml"
        original = definition.read_text()
        definition.write_text(original.replace('prefix = "tickets_"', 'prefix = "t_"'))
        try:
            stale = dagent_gen(project.root, "check")
            assert stale.returncode == 3, stale.stdout + stale.stderr
            rebuilt = dagent_gen(project.root, "build")  # the record is stale: build lists again
            assert rebuilt.returncode != 0
            assert "DG330" in rebuilt.stdout + rebuilt.stderr
        finally:
            definition.write_text(original)
    finally:
        (project.root / "gone.py").rename(project.root / "tickets_server.py")
    refreshed = dagent_gen(project.root, "build", "--refresh-mcp")
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr


HTTP_DEFINITION = """
[project]
package = "desk_agents"

[mcp.help-desk]
url = "{url}"
headers = {{ Authorization = "Bearer ${{TICKETS_TOKEN}}" }}
tools = ["lookup_summary"]
prefix = "desk_"

[agents.clerk]
planning = false
mcp = ["help-desk"]
"""


@pytest.fixture(scope="module")
def http_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A project whose server speaks streamable HTTP and has a '-' in its name."""
    folder = tmp_path_factory.mktemp("mcp-http")
    port = free_port()
    server = start_http_server(port, folder / "server.log", TICKETS_TOKEN=TOKEN)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TICKETS_TOKEN", TOKEN)
            definition = HTTP_DEFINITION.format(url=f"http://127.0.0.1:{port}/mcp")
            yield write_project(folder / "project", "desk_agents", definition, {})
    finally:
        stop(server)


def test_an_http_server_with_a_dashed_name_serves_an_agent(
    http_project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    assert (http_project.root / "desk_agents" / "mcp_tools" / "help_desk.py").is_file()
    model_server.add(
        tool_calls(call("desk_lookup_summary", {"ticket_id": "T-9"})), text("T-9 is open.")
    )
    worker = start_worker(http_project)
    output, history = run_agent(
        temporal_server, "clerk", "T-9?", task_queue=worker.task_queue, workflow_id=unique("desk")
    )
    assert output["answer"] == "T-9 is open."
    assert answered_calls(model_server.requests[1]) == [
        ("desk_lookup_summary", {"ticket_id": "T-9"}, "ticket T-9: open")
    ]
    assert history.scheduled_activities().count("desk_lookup_summary") == 1
    assert TOKEN.encode() not in history.binary()
