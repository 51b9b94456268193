"""MCP servers with ``discover = "runtime"``, end to end: the build contacts no server, the
generated workflow lists the tools once when it starts (one activity per server), offers them to
the model next to its own tools, and calls them through the server's call activity; over stdio
and over streamable HTTP. A discovered name that another tool has is not offered. The tool
schemas enter history once (the list activity's result), never with each model request, and the
server's credential never enters history. A run that continues as new does not list again.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dagent_gen.testing import (
    ScriptedModelServer,
    TemporalDevServer,
    call,
    respond,
    text,
    tool_calls,
)
from dagent_gen.testing.replies import Reply

from .support import (
    EventLog,
    Project,
    StartWorker,
    answered_calls,
    connect,
    run_agent,
    unique,
    write_project,
)
from .test_long_runs import run_chain
from .test_mcp_servers import free_port, start_http_server, stop

pytestmark = pytest.mark.e2e

SERVER = Path(__file__).parent / "mcp_servers" / "tickets_server.py"
TOKEN = unique("tickets-SECRET")

DEFINITION = f"""
[project]
package = "runtime_agents"

[mcp.tickets]
command = {json.dumps(sys.executable)}
args = ["tickets_server.py", "stdio"]
env = {{ TICKETS_TOKEN = "${{TICKETS_TOKEN}}" }}
tools = ["lookup_*", "leak_token"]
deny = ["lookup_summary"]
prefix = "tickets_"
discover = "runtime"

[mcp.plain]
command = {json.dumps(sys.executable)}
args = ["tickets_server.py", "stdio"]
env = {{ TICKETS_TOKEN = "${{TICKETS_TOKEN}}" }}
tools = ["lookup_summary"]
discover = "runtime"

[agents.support]
system_prompt = "You answer questions about tickets."
planning = false
tools = ["lookup_ticket"]
mcp = ["tickets", "plain"]

[agents.marathon]
system_prompt = "You look up many tickets."
planning = false
max_steps = 100
max_history_events = 1000
mcp = ["plain"]

[tools.lookup_ticket]
function = "local_tools:lookup_ticket"
"""

LOCAL_TOOLS = '''
def lookup_ticket(ticket_id: str) -> str:
    """The project's own lookup, whose name an MCP tool of 'plain' would take.

    Args:
        ticket_id: The ticket.
    """
    return f"local ticket {ticket_id}"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("mcp-runtime") / "project"
    root.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TICKETS_TOKEN", raising=False)  # the build needs neither it nor the server
        built = write_project(root, "runtime_agents", DEFINITION, {"local_tools": LOCAL_TOOLS})
        shutil.copy(SERVER, root / "tickets_server.py")
        patch.setenv("TICKETS_TOKEN", TOKEN)  # the worker's environment
        yield built


def offered(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {tool["function"]["name"]: tool["function"] for tool in request["tools"]}


def test_the_build_records_nothing_and_generates_list_and_call_activities(
    project: Project,
) -> None:
    lock = json.loads((project.root / ".dagent" / "lock.json").read_text())
    assert "mcp" not in lock
    module = (project.root / "runtime_agents" / "mcp_tools" / "tickets.py").read_text()
    assert '@activity.defn(name="mcp_tickets_list")' in module
    assert '@activity.defn(name="mcp_tickets_call")' in module
    assert "lookup_ticket" not in module  # no tool is known before a run


def test_listed_tools_are_offered_and_called_and_no_secret_reaches_history(
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
            call("lookup_summary", {"ticket_id": "T-3"}),
        ),
        tool_calls(call("lookup_ticket", {"ticket_id": "T-4"}), call("tickets_nope", {})),
        text("Ticket T-1 is open."),
    )
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server, "support", "T-1?", task_queue=worker.task_queue, workflow_id=unique("rt")
    )
    assert output["answer"] == "Ticket T-1 is open."
    assert model_server.violations == []
    tools = offered(model_server.requests[0])
    assert sorted(tools) == [
        "lookup_summary",  # 'plain' has no prefix
        "lookup_ticket",  # the project's tool
        "tickets_leak_token",
        "tickets_lookup_missing",
        "tickets_lookup_ticket",
    ]
    assert tools["tickets_lookup_ticket"]["description"] == "Look up a ticket by id."
    assert tools["tickets_leak_token"]["description"].endswith("([redacted]).")
    for request in model_server.requests[1:]:
        assert offered(request) == tools  # the same tools on every step
    found, missing, leaked, summary = (
        obs for _, _, obs in answered_calls(model_server.requests[1])
    )
    assert "Printer on fire (T-1)" in found
    assert missing.startswith("Error") and "no ticket T-2" in missing
    assert leaked == "using token [redacted]"
    assert summary == "ticket T-3: open"
    local, unknown = (obs for _, _, obs in answered_calls(model_server.requests[2])[-2:])
    assert local == "local ticket T-4"
    assert unknown.startswith("Error: there is no tool named 'tickets_nope'. Available: ")
    assert "tickets_lookup_ticket" in unknown

    history.assert_healthy()
    scheduled = history.scheduled_activities()
    assert sorted(scheduled[:2]) == ["mcp_plain_list", "mcp_tickets_list"]  # concurrently
    assert scheduled.count("mcp_tickets_list") == scheduled.count("mcp_plain_list") == 1
    assert scheduled.count("mcp_tickets_call") == 3 and scheduled.count("mcp_plain_call") == 1
    assert {"tool": "lookup_ticket", "arguments": {"ticket_id": "T-1"}} in history.activity_inputs(
        "mcp_tickets_call"
    )
    assert ("mcp_tickets_call", "McpToolError", True) in history.failed_activities()
    # the schemas are in history once (the list result), not in the model requests
    requests = history.activity_inputs("call_model")
    keys = {request["tools"] for request in requests}
    assert len(keys) == 1 and len(keys.pop().split()) == 2
    assert "Look up a ticket by id." not in json.dumps(requests)
    assert history.binary().count(b"Look up a ticket by id.") == 1
    assert TOKEN not in history.compact_json()
    assert TOKEN.encode() not in history.binary()


def test_a_discovered_name_that_is_taken_is_not_offered_and_logged(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    """'plain' (no prefix) would offer lookup_ticket, the project's tool: the project's wins.
    The offered set then differs from the listed one, so the model activity reads it from the
    workflow's query (and still sends exactly the offered tools)."""
    definition = project.root / "dagent.toml"
    original = definition.read_text()
    definition.write_text(original.replace('tools = ["lookup_summary"]', 'tools = ["lookup_*"]'))
    try:
        rebuilt = write_project(project.root, "runtime_agents", definition.read_text(), {})
        model_server.add(tool_calls(call("lookup_ticket", {"ticket_id": "T-5"})), text("Done."))
        worker = start_worker(rebuilt)
        output, history = run_agent(
            temporal_server,
            "support",
            "T-5?",
            task_queue=worker.task_queue,
            workflow_id=unique("clash"),
        )
    finally:
        write_project(project.root, "runtime_agents", original, {})
    assert output["answer"] == "Done."
    tools = offered(model_server.requests[0])
    assert tools["lookup_ticket"]["description"].startswith("The project's own lookup")
    assert {"lookup_missing", "lookup_summary"} <= set(tools)
    assert answered_calls(model_server.requests[1])[0][2] == "local ticket T-5"
    assert "tool 'lookup_ticket' not offered: the agent has a tool of that name" in worker.log()
    history.assert_healthy()


def test_a_run_continued_as_new_keeps_its_tools_without_listing_again(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    def many_lookups(request: dict[str, Any]) -> Reply:
        assert "lookup_summary" in offered(request)
        done = sum(1 for message in request["messages"] if message["role"] == "tool")
        if done >= 400:
            return text(f"Looked up {done} tickets.")
        return tool_calls(
            *(call("lookup_summary", {"ticket_id": f"T{done + i}"}) for i in range(25))
        )

    model_server.keep_requests = False
    model_server.add(*[respond(many_lookups)] * 17)
    worker = start_worker(project)
    workflow_id = unique("rt-marathon")

    async def scenario() -> tuple[dict[str, Any], list[EventLog]]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "marathon", {"task": "Look up."}, id=workflow_id, task_queue=worker.task_queue
        )
        output = await handle.result()
        assert handle.first_execution_run_id is not None
        return output, await run_chain(client, workflow_id, handle.first_execution_run_id)

    output, runs = asyncio.run(scenario())
    assert output["answer"] == "Looked up 400 tickets."
    assert model_server.violations == []
    assert len(runs) >= 2
    for number, log in enumerate(runs, 1):
        log.assert_healthy()
        assert log.scheduled_activities().count("mcp_plain_list") == (1 if number == 1 else 0)
        assert log.scheduled_activities().count("mcp_plain_call") > 0
    assert TOKEN.encode() not in b"".join(log.binary() for log in runs)


HTTP_DEFINITION = """
[project]
package = "desk_runtime"

[mcp.help-desk]
url = "{url}"
headers = {{ Authorization = "Bearer ${{TICKETS_TOKEN}}" }}
tools = ["lookup_summary", "leak_token"]
prefix = "desk_"
discover = "runtime"

[agents.clerk]
planning = true
mcp = ["help-desk"]
"""


@pytest.fixture(scope="module")
def http_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    folder = tmp_path_factory.mktemp("mcp-runtime-http")
    port = free_port()
    server = start_http_server(port, folder / "server.log", TICKETS_TOKEN=TOKEN)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TICKETS_TOKEN", TOKEN)
            definition = HTTP_DEFINITION.format(url=f"http://127.0.0.1:{port}/mcp")
            yield write_project(folder / "project", "desk_runtime", definition, {})
    finally:
        stop(server)


def test_a_planning_agent_uses_tools_listed_over_http(
    http_project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("write_todos", {"todos": [{"content": "Look up T-9"}]})),
        tool_calls(call("desk_lookup_summary", {"ticket_id": "T-9"}), call("desk_leak_token", {})),
        text("Looked up."),
        text("T-9 is open."),
    )
    worker = start_worker(http_project)
    output, history = run_agent(
        temporal_server, "clerk", "T-9?", task_queue=worker.task_queue, workflow_id=unique("desk")
    )
    assert output["answer"] == "T-9 is open."
    assert model_server.violations == []
    assert {"desk_lookup_summary", "desk_leak_token", "write_todos"} == set(
        offered(model_server.requests[0])
    )
    assert answered_calls(model_server.requests[2])[1:] == [
        ("desk_lookup_summary", {"ticket_id": "T-9"}, "ticket T-9: open"),
        ("desk_leak_token", {}, "using token [redacted]"),
    ]
    history.assert_healthy()
    assert history.scheduled_activities()[0] == "mcp_help-desk_list"
    assert history.scheduled_activities().count("mcp_help-desk_call") == 2
    assert TOKEN.encode() not in history.binary()
