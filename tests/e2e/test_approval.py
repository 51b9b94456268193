"""Human approval on the real server: the ``pending_approvals`` query and ``decide`` update.

Decisions are sent the way any Temporal client would (a JSON object to the update named
``decide``), one through the generated client's command line; refused decisions reach their
caller and leave the run going.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, StartWorker, connect, subprocess_env, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "approval_agent"

[agents.clerk]
system_prompt = "You send mail."
planning = false
tools = ["send", "ping"]

[tools.send]
function = "approval_tools:send"
approval = true

[tools.ping]
function = "approval_tools:ping"
approval = true
approval_timeout = "2s"
approval_default = "approve"
"""

TOOLS = '''
def send(to: str, subject: str = "hello") -> str:
    """Send a mail.

    Args:
        to: The recipient.
        subject: The subject.
    """
    return f"sent {subject!r} to {to}"


def ping(host: str) -> str:
    """Ping a host.

    Args:
        host: The host.
    """
    return f"{host} is up"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("approval") / "project"
    return write_project(root, "approval_agent", DEFINITION, {"approval_tools": TOOLS})


async def wait_pending(handle: WorkflowHandle[Any, Any], count: int) -> list[dict[str, Any]]:
    """Poll the query until ``count`` calls wait (generous bound: a busy CI box)."""
    deadline = time.monotonic() + 60
    while True:
        pending: list[dict[str, Any]] = await handle.query("pending_approvals", result_type=list)
        if len(pending) == count or time.monotonic() > deadline:
            return pending
        await asyncio.sleep(0.2)


async def refused(handle: WorkflowHandle[Any, Any], decision: dict[str, Any]) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update("decide", decision, result_type=str)
    return str(info.value.cause)


def tool_results(request: dict[str, Any]) -> dict[str, str]:
    return {m["tool_call_id"]: m["content"] for m in request["messages"] if m["role"] == "tool"}


def client_command(
    project: Project, temporal: TemporalDevServer, *args: str
) -> subprocess.CompletedProcess[str]:
    """The generated client's command line, as a person at a terminal would run it."""
    return subprocess.run(
        [sys.executable, "-m", "approval_agent.client", *args],
        cwd=project.root,
        env=subprocess_env(temporal),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def start(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        "clerk", {"task": "Mail people."}, id=unique("clerk"), task_queue=task_queue
    )


def test_approve_edit_reject_and_refused_decisions(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("send", {"to": "ann"}, id="a"),
            call("send", {"to": "bob"}, id="b"),
            call("send", {"to": "cyd"}, id="c"),
        ),
        text("Done."),
    )
    worker = start_worker(project)

    async def scenario() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await start(client, worker.task_queue)
        pending = await wait_pending(handle, 3)
        assert [(p["id"], p["tool"], p["arguments"]) for p in pending] == [
            ("a", "send", {"to": "ann"}),
            ("b", "send", {"to": "bob"}),
            ("c", "send", {"to": "cyd"}),
        ]
        assert all(p["requested_at"].startswith("20") for p in pending)
        assert "no pending approval 'zz'" in await refused(
            handle, {"id": "zz", "decision": "approve"}
        )
        assert "needs the new arguments" in await refused(handle, {"id": "b", "decision": "edit"})
        bad = {"id": "b", "decision": "edit", "arguments": {"to": "bob", "cc": "eve"}}
        assert "invalid arguments for tool 'send'" in await refused(handle, bad)
        wrong_type = {"id": "b", "decision": "edit", "arguments": {"to": ["bob"]}}
        assert "to" in await refused(handle, wrong_type)
        listed = await asyncio.to_thread(
            client_command, project, temporal_server, "approvals", handle.id
        )
        assert listed.returncode == 0, listed.stderr
        assert [item["id"] for item in json.loads(listed.stdout)] == ["a", "b", "c"]
        wrong = await asyncio.to_thread(
            client_command, project, temporal_server, "reject", handle.id, "zz"
        )
        assert wrong.returncode == 1 and "decision refused: no pending" in wrong.stderr
        approve = await asyncio.to_thread(
            client_command, project, temporal_server, "approve", handle.id, "a"
        )
        assert approve.returncode == 0, approve.stderr
        edited = {"to": "bea", "subject": "hi"}
        await handle.execute_update("decide", {"id": "b", "decision": "edit", "arguments": edited})
        await handle.execute_update("decide", {"id": "c", "decision": "reject", "message": "no"})
        assert "already" in await refused(handle, {"id": "a", "decision": "reject"})
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=60)
        late = await asyncio.to_thread(
            client_command, project, temporal_server, "approve", handle.id, "a"
        )  # the run has completed: a clear error, not a traceback
        assert late.returncode == 2 and "cannot reach workflow" in late.stderr, late.stderr
        assert "Traceback" not in late.stderr
        return result

    output = asyncio.run(scenario())
    assert output["answer"] == "Done."
    results = tool_results(model_server.requests[-1])
    assert results["a"] == "sent 'hello' to ann"
    assert results["b"] == (
        'Approved with edited arguments: {"subject": "hi", "to": "bea"}\nsent \'hi\' to bea'
    )
    assert results["c"] == "The user rejected this call: no"
    assert model_server.violations == []


def test_timeout_applies_the_default_decision(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(tool_calls(call("ping", {"host": "db"}, id="p")), text("Up."))
    worker = start_worker(project)

    async def scenario() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await start(client, worker.task_queue)
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=60)
        return result

    assert asyncio.run(scenario())["answer"] == "Up."
    results = tool_results(model_server.requests[-1])
    assert results["p"] == "No decision within 2s; approve by default.\ndb is up"


def test_pending_approval_survives_a_worker_restart(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(tool_calls(call("send", {"to": "ann"}, id="a")), text("Sent."))
    first = start_worker(project)

    async def scenario() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await start(client, first.task_queue)
        assert len(await wait_pending(handle, 1)) == 1
        first.kill()
        await asyncio.to_thread(start_worker, project, first.task_queue)
        assert [p["id"] for p in await wait_pending(handle, 1)] == ["a"]  # replayed
        await handle.execute_update("decide", {"id": "a", "decision": "approve", "message": "ok"})
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=90)
        return result

    output = asyncio.run(scenario())
    assert output["answer"] == "Sent."
    results = tool_results(model_server.requests[-1])
    assert results["a"] == "Approved. The user said: ok\nsent 'hello' to ann"
