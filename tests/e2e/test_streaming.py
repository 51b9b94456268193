"""Streamed replies on the real server (``stream = true``).

The model activity publishes the text so far as heartbeat details; a client reads them from
``describe`` (pending activities) while the activity runs. Nothing of it enters history: the
answer is there once, as the activity's result. The generated client's ``--follow`` prints the
text as it arrives.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from temporalio.client import Client

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import (
    Project,
    StartWorker,
    connect,
    fetch_history,
    subprocess_env,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "streaming_agent"

[agents.narrator]
system_prompt = "You narrate as you go."
planning = false
stream = true
tools = ["lookup"]

[tools.lookup]
function = "streaming_tools:lookup"
"""

TOOLS = '''
def lookup(topic: str, depth: int = 1) -> str:
    """Look a topic up.

    Args:
        topic: What to look up.
        depth: How deep.
    """
    return f"facts about {topic} at depth {depth}"
'''

ANSWER = " ".join(f"word{i:02d}" for i in range(30)) + " — the end."
ARGUMENTS = {"topic": "durable execution of long-running agents", "depth": 3}
CHUNK_DELAY = 0.15  # 32 chunks: the answer streams for about five seconds


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("streaming") / "project"
    return write_project(root, "streaming_agent", DEFINITION, {"streaming_tools": TOOLS})


def script(server: ScriptedModelServer) -> None:
    server.add(
        tool_calls(call("lookup", ARGUMENTS), content="Let me look that up.", chunk_delay=0.02),
        text(ANSWER, chunk_delay=CHUNK_DELAY),
    )


async def watch(client: Client, workflow_id: str) -> tuple[list[str], int]:
    """The texts the pending model call published, in order, and how many heartbeats the
    server recorded for them (distinct ``last_heartbeat_time`` values), until the run closes."""
    handle = client.get_workflow_handle(workflow_id)
    texts: list[str] = []
    beats: set[tuple[str, int]] = set()
    while True:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            if pending.activity_type.name != "call_model" or not pending.heartbeat_details.payloads:
                continue
            beats.add((pending.activity_id, pending.last_heartbeat_time.ToNanoseconds()))
            published = json.loads(pending.heartbeat_details.payloads[0].data)
            if not texts or texts[-1] != published:
                texts.append(published)
        if description.close_time is not None:
            return texts, len(beats)
        await asyncio.sleep(0.05)


def test_a_client_sees_the_text_before_the_call_completes(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    script(model_server)
    worker = start_worker(project)
    workflow_id = unique("narrator")

    async def scenario() -> tuple[dict[str, Any], list[str], int, float]:
        client = await connect(temporal_server)
        started = time.monotonic()
        handle = await client.start_workflow(
            "narrator",
            {"task": "Tell me about durable execution."},
            id=workflow_id,
            task_queue=worker.task_queue,
            result_type=dict,
        )
        texts, beats = await watch(client, workflow_id)
        output: dict[str, Any] = await handle.result()
        return output, texts, beats, time.monotonic() - started

    output, texts, beats, seconds = asyncio.run(scenario())
    assert model_server.violations == []
    assert output["answer"] == ANSWER
    assert output["steps"] == 2
    # partial text, seen while the call ran: growing prefixes of the final answer
    partial = [t for t in texts if t and ANSWER.startswith(t) and t != ANSWER]
    assert len(partial) >= 2, texts
    assert partial == sorted(partial, key=len)
    # the worker sends at most one heartbeat per 0.8 x MODEL_HEARTBEAT (2 s): a few per step
    print(f"\n{beats} heartbeats recorded in a {seconds:.1f} s run: {texts!r}")
    assert beats <= seconds / 1.6 + 3

    # the streamed tool call assembled whole: the tool got its arguments, the model its result
    second = model_server.requests[1]
    assistant = second["messages"][2]
    assert assistant["content"] == "Let me look that up."
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == ARGUMENTS
    assert second["messages"][3]["content"] == (
        "facts about durable execution of long-running agents at depth 3"
    )
    assert all(request["stream"] is True for request in model_server.requests)

    # nothing of the stream in history: the answer is there once, as the activity's result
    history = asyncio.run(_history(temporal_server, workflow_id))
    history.assert_healthy()
    assert history.binary().count(b"word15") == 2  # the call's result and the workflow's
    assert history.count("ACTIVITY_TASK_STARTED") == 3


def test_the_client_follows_the_text_as_it_arrives(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    script(model_server)
    worker = start_worker(project)
    process = subprocess.Popen(
        [sys.executable, "-m", f"{project.package}.client", "--follow", "Narrate.",
         "--task-queue", worker.task_queue],
        cwd=project.root,
        env=subprocess_env(temporal_server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    arrivals: list[tuple[float, bytes]] = []

    def read() -> None:
        assert process.stdout is not None
        while data := os.read(process.stdout.fileno(), 4096):
            arrivals.append((time.monotonic(), data))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        process.wait(timeout=90)
    finally:
        process.kill()
        reader.join(timeout=10)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == 0, stderr
    output = b"".join(data for _, data in arrivals).decode()
    assert output == f"Let me look that up.\n{ANSWER}\n"
    # printed in pieces over seconds, not all at the end
    answer_reads = [moment for moment, data in arrivals if b"word" in data]
    assert len(answer_reads) >= 3, arrivals
    assert answer_reads[-1] - answer_reads[0] > 1.0
    assert model_server.violations == []


async def _history(temporal: TemporalDevServer, workflow_id: str) -> Any:
    client = await connect(temporal)
    return await fetch_history(client, workflow_id)
