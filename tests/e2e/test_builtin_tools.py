"""The built-in tools, skills and memory in a generated package, on a real server.

One project: ``keeper`` has read-write filesystem tools and a shell in ``workspace/``, a skills
folder and a memory file; its sub-agent ``viewer`` has read-only tools in
``workspace/public/`` (two agents, two roots, the same activities).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import (
    EventLog,
    Project,
    StartWorker,
    answered_calls,
    connect,
    fetch_history,
    run_agent,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

KEEPER = "You keep the workspace tidy"  # substrings of the system prompts
VIEWER = "You look at public files"
BOUND = 60.0

DEFINITION = """
[project]
package = "keeper_agents"

[agents.keeper]
system_prompt = "You keep the workspace tidy."
planning = false
max_steps = 12
subagents = ["viewer"]
skills = ["workspace/skills/"]
memory = ["AGENTS.md"]

[agents.keeper.filesystem]
root = "workspace"

[agents.keeper.shell]
root = "workspace"
timeout = "5m"

[agents.viewer]
description = "Looks at the public files"
system_prompt = "You look at public files."
planning = false
max_steps = 4

[agents.viewer.filesystem]
root = "workspace/public"
read_only = true
"""

SKILL = """---
name: tidy-notes
description: How to tidy a notes file. Use it when notes are messy.
---

Sort the lines, drop duplicates, keep it short.
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("keeper") / "project"
    workspace = root / "workspace"
    (workspace / "public").mkdir(parents=True)
    (workspace / "skills" / "tidy-notes").mkdir(parents=True)
    (workspace / "skills" / "tidy-notes" / "SKILL.md").write_text(SKILL, encoding="utf-8")
    (workspace / "public" / "hello.txt").write_text("hello\n", encoding="utf-8")
    (workspace / "AGENTS.md").write_text("Remember: the colour is blue.\n", encoding="utf-8")
    (root / "secret.txt").write_text("top secret\n", encoding="utf-8")
    return write_project(root, "keeper_agents", DEFINITION, {})


def observations(model_server: ScriptedModelServer) -> list[tuple[str, dict[str, Any] | str, str]]:
    """Every answered tool call, as the last request of the run shows them."""
    return answered_calls(model_server.requests[-1])


def healthy(events: EventLog) -> None:
    events.assert_healthy()
    assert events.failed_activities() == []


def test_filesystem_tools_read_write_edit_and_refuse_an_escape(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("write_file", {"file_path": "notes.txt", "content": "a\nb\n"}), agent=KEEPER
        ),
        tool_calls(
            call("edit_file", {"file_path": "notes.txt", "old_string": "b", "new_string": "c"}),
            agent=KEEPER,
        ),
        tool_calls(call("read_file", {"file_path": "notes.txt"}), agent=KEEPER),
        tool_calls(call("read_file", {"file_path": "../secret.txt"}), agent=KEEPER),
        tool_calls(call("ls", {"path": "."}), agent=KEEPER),
        tool_calls(call("viewer", {"task": "List the public files."}), agent=KEEPER),
        tool_calls(
            call("ls", {}), call("write_file", {"file_path": "x", "content": "x"}), agent=VIEWER
        ),
        text("hello.txt is there.", agent=VIEWER),
        text("All done.", agent=KEEPER),
    )
    worker = start_worker(project)
    output, events = run_agent(
        temporal_server,
        "keeper",
        "Tidy up.",
        task_queue=worker.task_queue,
        workflow_id=unique("fs"),
    )
    assert output["answer"] == "All done."
    healthy(events)
    keeper = [r for r in model_server.requests if KEEPER in r["messages"][0]["content"]]
    seen = answered_calls(keeper[-1])
    assert seen[0][2] == "Created 'notes.txt' (2 lines, 4 bytes)."
    assert seen[1][2] == "Edited 'notes.txt': replaced 1 occurrence."
    assert "\ta" in seen[2][2] and "\tc" in seen[2][2]
    assert seen[3][2].startswith("Error: Path refused"), seen[3][2]
    assert "secret" not in seen[3][2].replace("secret.txt", "")
    assert "notes.txt" in seen[4][2] and "public/" in seen[4][2]
    assert (project.root / "workspace" / "notes.txt").read_text() == "a\nc\n"
    viewer = [r for r in model_server.requests if VIEWER in r["messages"][0]["content"]]
    viewer_seen = answered_calls(viewer[-1])
    assert viewer_seen[0][2] == "hello.txt"  # its own root, not the keeper's
    assert viewer_seen[1][2].startswith("Error: there is no tool named 'write_file'")
    assert not (project.root / "workspace" / "public" / "x").exists()
    # The activity type is the tool's name; its input is the model's arguments, nothing else.
    assert {"write_file", "edit_file", "read_file", "ls"} <= set(events.scheduled_activities())


def test_shell_runs_a_command(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("execute", {"command": "echo hi; pwd; exit 3"}), agent=KEEPER),
        text("Ran it.", agent=KEEPER),
    )
    worker = start_worker(project)
    _output, events = run_agent(
        temporal_server, "keeper", "Run.", task_queue=worker.task_queue, workflow_id=unique("sh")
    )
    healthy(events)
    result = observations(model_server)[0][2]
    workspace = (project.root / "workspace").resolve()
    assert result == f"hi\n{workspace}\n[exit code: 3]", result


def test_cancelling_the_run_kills_the_shell_command(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    pid_file = project.root / "workspace" / "sleeper.pid"
    pid_file.unlink(missing_ok=True)
    model_server.add(
        tool_calls(
            call("execute", {"command": "sleep 300 & echo $! > sleeper.pid; wait"}), agent=KEEPER
        ),
    )
    worker = start_worker(project)

    async def scenario() -> int:
        client = await connect(temporal_server)
        workflow_id = unique("sh-cancel")
        handle = await client.start_workflow(
            "keeper", {"task": "Sleep."}, id=workflow_id, task_queue=worker.task_queue
        )
        assert await wait_until(lambda: pid_file.is_file() and pid_file.read_text().strip() != "")
        pid = int(pid_file.read_text())
        assert alive(pid)
        await handle.cancel()
        assert await wait_until(lambda: not alive(pid)), "the command outlived the cancellation"
        events = await fetch_history(client, workflow_id)
        assert events.count("ACTIVITY_TASK_SCHEDULED") >= 2
        return pid

    asyncio.run(scenario())


def test_skill_in_the_system_prompt_and_read_with_read_file(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("read_file", {"file_path": "skills/tidy-notes/SKILL.md"}), agent=KEEPER),
        text("Read the skill.", agent=KEEPER),
    )
    worker = start_worker(project)
    _output, events = run_agent(
        temporal_server, "keeper", "Tidy.", task_queue=worker.task_queue, workflow_id=unique("sk")
    )
    healthy(events)
    system = model_server.requests[0]["messages"][0]["content"]
    assert "tidy-notes: How to tidy a notes file. Use it when notes are messy." in system
    assert "skills/tidy-notes/SKILL.md" in system
    assert "Sort the lines" not in system  # only name and description go into the prompt
    assert "Sort the lines, drop duplicates" in observations(model_server)[0][2]


def test_memory_reaches_the_system_prompt_and_changes_between_runs(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    memory = project.root / "workspace" / "AGENTS.md"
    memory.write_text("Remember: the colour is blue.\n", encoding="utf-8")
    model_server.add(
        tool_calls(
            call("write_file", {"file_path": "AGENTS.md", "content": "Remember: green now.\n"}),
            agent=KEEPER,
        ),
        text("Noted.", agent=KEEPER),
        text("Second run.", agent=KEEPER),
    )
    worker = start_worker(project)
    _output, first = run_agent(
        temporal_server, "keeper", "Note.", task_queue=worker.task_queue, workflow_id=unique("m1")
    )
    healthy(first)
    assert "Remember: the colour is blue." in model_server.requests[0]["messages"][0]["content"]
    assert first.scheduled_activities()[0] == "read_memory"
    _output, second = run_agent(
        temporal_server, "keeper", "Again.", task_queue=worker.task_queue, workflow_id=unique("m2")
    )
    healthy(second)
    system = model_server.requests[-1]["messages"][0]["content"]
    assert "Remember: green now." in system and "blue" not in system
    memory.unlink()
    model_server.add(text("No memory.", agent=KEEPER))
    output, _third = run_agent(
        temporal_server, "keeper", "Again.", task_queue=worker.task_queue, workflow_id=unique("m3")
    )
    assert output["answer"] == "No memory."
    assert "no such file yet" in model_server.requests[-1]["messages"][0]["content"]
    # The file changed twice since the first run: its history still replays (memory is an
    # activity result, not a read inside the workflow).
    replay(project, [first, second])


def replay(project: Project, histories: list[EventLog]) -> None:
    """Replay recorded histories against the generated workflow classes (in this process)."""
    from temporalio.worker import Replayer

    from dagent_gen.generated_package import imported_package

    async def run(workflows: list[Any]) -> None:
        replayer = Replayer(workflows=workflows)
        for history in histories:
            result = await replayer.replay_workflow(history.history)
            assert result.replay_failure is None, result.replay_failure

    with imported_package(project.root, project.package) as generated:
        asyncio.run(run(generated.workflows))


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


async def wait_until(condition: object, bound: float = BOUND) -> bool:
    deadline = time.monotonic() + bound
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True
