"""History grows linearly with the steps of a run: each message enters it once.

The model activity gets digests of the conversation, not its messages, and finds them in its
worker's cache or through a query, so a step adds a constant amount of history, however long the
conversation already is.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

import pytest
from temporalio.client import Client

from dagent_gen.testing import (
    Reply,
    ScriptedModelServer,
    TemporalDevServer,
    call,
    respond,
    text,
    tool_calls,
)

from .support import EventLog, Project, StartWorker, connect, fetch_history, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "stepper_agent"

[agents.stepper]
system_prompt = "You take exactly the number of steps you are asked to."
planning = false
max_steps = 60
tools = ["step"]

[tools.step]
function = "stepper_tools:step"
"""

TOOLS = '''
import hashlib


def marker(i: int) -> str:
    return f"MARK-{hashlib.sha256(str(i).encode()).hexdigest()[:24]}"


def step(i: int) -> str:
    """Take step number i.

    Args:
        i: The step number.
    """
    return f"observation {i}: {marker(i)} " + "lorem ipsum dolor sit amet " * 4
'''

STEP_COUNTS = (10, 25, 40)
MAX_BYTES_PER_STEP = (
    5500  # measured 5,347 (was 5,613 before the compact model reply and no summary)
)


def marker(i: int) -> str:
    """The unique text in the observation of step ``i`` (as the tool module computes it)."""
    return f"MARK-{hashlib.sha256(str(i).encode()).hexdigest()[:24]}"


def stepper(request: dict[str, Any]) -> Reply:
    """Call ``step`` until the number of steps named in the task is reached, then answer."""
    match = re.search(r"Take (\d+) steps", request["messages"][1]["content"])
    assert match is not None
    wanted = int(match.group(1))
    taken = sum(1 for message in request["messages"] if message["role"] == "tool")
    if taken < wanted:
        return tool_calls(call("step", {"i": taken + 1}))
    return text(f"Done after {taken} steps.")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("stepper") / "project"
    return write_project(root, "stepper_agent", DEFINITION, {"stepper_tools": TOOLS})


def test_history_grows_linearly_with_steps(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(*(respond(stepper) for _ in range(sum(n + 1 for n in STEP_COUNTS))))
    worker = start_worker(project, task_queue=unique("linear"))
    prefix = unique("stepper")

    async def run(client: Client, steps: int) -> tuple[dict[str, Any], EventLog]:
        workflow_id = f"{prefix}-{steps}"
        output = await client.execute_workflow(
            "stepper",
            {"task": f"Take {steps} steps."},
            id=workflow_id,
            task_queue=worker.task_queue,
            result_type=dict,
        )
        return output, await fetch_history(client, workflow_id)

    async def run_all() -> list[tuple[dict[str, Any], EventLog]]:
        client = await connect(temporal_server)
        return await asyncio.gather(*(run(client, n) for n in STEP_COUNTS))

    runs = dict(zip(STEP_COUNTS, asyncio.run(run_all()), strict=True))
    assert model_server.violations == []
    assert model_server.remaining == []

    json_bytes: dict[int, int] = {}
    binary_bytes: dict[int, int] = {}
    for steps, (output, history) in runs.items():
        assert output["answer"] == f"Done after {steps} steps."
        assert output["steps"] == steps + 1
        history.assert_healthy()
        assert history.scheduled_activities().count("step") == steps
        assert history.scheduled_activities().count("call_model") == steps + 1
        # the worker's identity (pid@hostname, also the prefix of its sticky queue) appears in
        # most events: normalise it so the numbers do not depend on the host name's length
        started = history.of("ACTIVITY_TASK_STARTED")[0].activity_task_started_event_attributes
        compact = history.compact_json().replace(started.identity, "pid@host")
        json_bytes[steps] = len(compact.encode())
        binary_bytes[steps] = len(history.binary())

    growth = {
        "json": (json_bytes[40] - json_bytes[10]) / 30,
        "binary": (binary_bytes[40] - binary_bytes[10]) / 30,
    }
    print(
        f"\nhistory bytes (compact JSON) by steps: {json_bytes}; per step 10->40: "
        f"{growth['json']:.0f}\nhistory bytes (protobuf) by steps: {binary_bytes}; "
        f"per step 10->40: {growth['binary']:.0f}"
    )
    assert growth["json"] < MAX_BYTES_PER_STEP
    # the protobuf size is what the server counts (historySizeBytes) against its limits
    assert growth["binary"] < MAX_BYTES_PER_STEP / 2
    # linear: the growth per step is the same early and late in a run
    early = (json_bytes[25] - json_bytes[10]) / 15
    late = (json_bytes[40] - json_bytes[25]) / 15
    assert 0.9 < late / early < 1.1, (early, late)

    # each observation enters history once: as the result of its step activity
    _, longest = runs[40]
    binary = longest.binary()
    for i in (1, 2, 20, 40):
        assert binary.count(marker(i).encode()) == 1, i
    # the task: in the workflow input, and once more in the first model request (prompts the
    # workflow writes travel inline, once, as no activity result holds them)
    assert binary.count(b"Take 40 steps.") == 2
    assert binary.count(b"You take exactly the number of steps you are asked to.") == 1
    # ... while the model saw the whole conversation on every call
    last_request = next(
        r
        for r in model_server.requests
        if r["messages"][1]["content"] == "Take 40 steps." and len(r["messages"]) == 2 + 2 * 40
    )
    observations = [m["content"] for m in last_request["messages"] if m["role"] == "tool"]
    assert len(observations) == 40
    assert all(marker(i) in observations[i - 1] for i in range(1, 41))
