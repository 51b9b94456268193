"""What the model sees is exactly the workflow's conversation, served without queries when warm.

The ``stepper`` workflow is hand-edited the way users edit it: context compaction (old tool
results replaced by ``[elided]``), plus test-only hooks — a counter of ``messages`` queries and
pauses (``PAUSE@<step>;`` in the task) during which the test swaps the worker for a fresh
process, whose cache is empty.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from dagent_gen.testing import (
    Reply,
    ScriptedModelServer,
    TemporalDevServer,
    call,
    respond,
    text,
    tool_calls,
)

from .support import Project, StartWorker, connect, tool_messages, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "cached_agent"

[agents.stepper]
system_prompt = "You take exactly the number of steps you are asked to."
planning = false
max_steps = 40
tools = ["step"]

[tools.step]
function = "cached_tools:step"
"""

TOOLS = '''
def step(i: int) -> str:
    """Take step number i.

    Args:
        i: The step number.
    """
    return f"observation {i}"
'''

EDITS = [
    (
        '        self._stop_reason: StopReason = "done"\n',
        '        self._stop_reason: StopReason = "done"\n'
        "        self._queries = 0  # test hooks: messages queries served, pauses\n"
        "        self._pauses = 0\n"
        "        self._resumes = 0\n",
    ),
    (
        "        self._steps += 1\n",
        "        self._steps += 1\n"
        '        task = self._messages[1].content or ""\n'
        '        if "ELIDE" in task:  # context compaction: all but the last tool result\n'
        '            tools = [m for m in self._messages if m.role == "tool"]\n'
        "            for message in tools[:-1]:\n"
        '                message.content = "[elided]"\n'
        '        if f"PAUSE@{self._steps};" in task:\n'
        "            self._pauses += 1\n"
        "            await workflow.wait_condition(lambda: self._resumes >= self._pauses)\n",
    ),
    (
        "        return window.page(self._messages, workflow.payload_converter())\n",
        "        self._queries += 1\n"
        "        return window.page(self._messages, workflow.payload_converter())\n",
    ),
    (
        '    @workflow.query(name="todos")\n',
        '    @workflow.query(name="queries_served")\n'
        "    def queries_served(self) -> int:\n"
        "        return self._queries\n\n"
        '    @workflow.query(name="paused")\n'
        "    def paused(self) -> bool:\n"
        "        return self._resumes < self._pauses\n\n"
        '    @workflow.signal(name="resume")\n'
        "    def resume(self) -> None:\n"
        "        self._resumes += 1\n\n"
        '    @workflow.query(name="todos")\n',
    ),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("cached") / "project"
    built = write_project(root, "cached_agent", DEFINITION, {"cached_tools": TOOLS})
    workflow_file = root / "cached_agent" / "workflows" / "stepper.py"
    source = workflow_file.read_text(encoding="utf-8")
    for anchor, replacement in EDITS:
        assert source.count(anchor) == 1, anchor
        source = source.replace(anchor, replacement)
    workflow_file.write_text(source, encoding="utf-8")
    return built


def stepper(steps: int, call_id: str | None = None) -> Reply:
    def reply(request: dict[str, Any]) -> Reply:
        taken = sum(1 for message in request["messages"] if message["role"] == "tool")
        if taken < steps:
            return tool_calls(call("step", {"i": taken + 1}, id=call_id))
        return text(f"Done after {taken} steps.")

    return respond(reply)


async def wait_until_paused(handle: WorkflowHandle[Any, Any], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await handle.query("paused", result_type=bool):
        assert time.monotonic() < deadline, "the workflow did not reach its pause"
        await asyncio.sleep(0.1)


def test_hand_edited_messages_reach_the_model_from_a_warm_cache(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(*(stepper(6) for _ in range(7)))
    worker = start_worker(project)

    async def run() -> tuple[dict[str, Any], int]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "stepper", {"task": "Take 6 steps. ELIDE"}, id=unique("elide"),
            task_queue=worker.task_queue, result_type=dict,
        )  # fmt: skip
        return await handle.result(), await handle.query("queries_served", result_type=int)

    output, queries = asyncio.run(run())
    assert output["answer"] == "Done after 6 steps."
    assert model_server.violations == []
    for request in model_server.requests:
        seen = list(tool_messages(request).values())
        expected = ["[elided]"] * (len(seen) - 1) + [f"observation {len(seen)}"] * bool(seen)
        assert seen == expected  # before: the cached original texts
    assert queries <= 6  # each edit is read once through the query; never a stale text


def test_no_queries_on_a_warm_worker_and_correct_after_a_fresh_one(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(*(stepper(20) for _ in range(21)))
    first = start_worker(project)

    async def run() -> tuple[dict[str, Any], int, int]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "stepper", {"task": "Take 20 steps. PAUSE@11; PAUSE@21;"}, id=unique("warm"),
            task_queue=first.task_queue, result_type=dict,
        )  # fmt: skip
        await wait_until_paused(handle)  # 10 steps on one warm worker
        warm = await handle.query("queries_served", result_type=int)
        first.stop()
        start_worker(project, task_queue=first.task_queue)  # a fresh process: empty cache
        await handle.signal("resume")
        await wait_until_paused(handle)  # steps 11..20 on the fresh worker
        cold = await handle.query("queries_served", result_type=int)
        await handle.signal("resume")
        return await handle.result(), warm, cold

    output, warm, cold = asyncio.run(run())
    assert output["answer"] == "Done after 20 steps."
    assert model_server.violations == []
    assert warm == 0  # 10 steps, every message found in the worker's cache
    assert 1 <= cold <= 3  # the fresh worker read the conversation once, then was warm again
    last = model_server.requests[-1]
    assert list(tool_messages(last).values()) == [f"observation {i}" for i in range(1, 21)]


def test_a_backend_that_reuses_tool_call_ids(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(*(stepper(4, call_id="call_0") for _ in range(5)))
    worker = start_worker(project)

    async def run() -> dict[str, Any]:
        client = await connect(temporal_server)
        output: dict[str, Any] = await client.execute_workflow(
            "stepper", {"task": "Take 4 steps."}, id=unique("reused-ids"),
            task_queue=worker.task_queue, result_type=dict,
        )  # fmt: skip
        return output

    output = asyncio.run(run())
    assert output["answer"] == "Done after 4 steps."  # before: Duplicate tool_call id, failed
    assert model_server.violations == []
    last = model_server.requests[-1]
    ids = [c["id"] for m in last["messages"] for c in m.get("tool_calls") or []]
    assert len(set(ids)) == 4 and ids[0] == "call_0"
    assert sorted(tool_messages(last)) == sorted(ids)  # every call answered under its new id
