"""Two workers on one task queue, one SIGKILLed while its model calls are in flight.

Several multi-step runs are spread over both workers. The scripted model holds the requests of
one step of every run until the test has killed the worker that made some of them; the
survivor picks up those runs (the killed attempts are retried after the generated code's 30 s
heartbeat timeout) with none of the dead worker's cached conversations, so it must rebuild
them from the workflows. Every run must still answer as scripted, and every request the
model receives must carry the whole conversation, exactly.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle

from dagent_gen.testing import (
    Reply,
    ScriptedModelServer,
    TemporalDevServer,
    call,
    respond,
    text,
    tool_calls,
)

from .support import Project, StartWorker, Worker, connect, fetch_history, unique, write_project

pytestmark = pytest.mark.e2e

RUNS = 6
HOPS = 8  # tool calls per run, then the answer
FIRST_HELD_STEP = 3  # hold the model calls that already carry two tool results
RESULT_TIMEOUT = 240.0
HOLD_TIMEOUT = 120.0

DEFINITION = """
[project]
package = "relay_agent"

[agents.relay]
system_prompt = "You hop as often as you are told, then answer."
planning = false
max_steps = 12
tools = ["hop"]

[tools.hop]
function = "relay_tools:hop"
"""

TOOLS = '''
def hop(run: int, i: int) -> str:
    """Hop once.

    Args:
        run: The run number.
        i: The hop number within the run.
    """
    return f"hop {i} of run {run}: " + "payload " * 20
'''
SYSTEM_PROMPT = "You hop as often as you are told, then answer."


def observation(run: int, i: int) -> str:
    """What the tool returns for hop ``i`` of ``run`` (as the tools module computes it)."""
    return f"hop {i} of run {run}: " + "payload " * 20


def expected_conversation(run: int, hops: int) -> list[tuple[str, str | None, str | None]]:
    """``(role, content, tool call arguments)`` of the messages a request must carry."""
    messages: list[tuple[str, str | None, str | None]] = [
        ("system", SYSTEM_PROMPT, None),
        ("user", f"Run {run}.", None),
    ]
    for i in range(1, hops + 1):
        messages.append(("assistant", None, f'{{"run": {run}, "i": {i}}}'))
        messages.append(("tool", observation(run, i), None))
    return messages


def conversation_of(request: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    found = []
    for message in request["messages"]:
        calls = message.get("tool_calls") or []
        arguments = calls[0]["function"]["arguments"] if calls else None
        found.append((message["role"], message.get("content"), arguments))
    return found


def run_of(request: dict[str, Any]) -> int:
    match = re.fullmatch(r"Run (\d+)\.", request["messages"][1]["content"])
    assert match is not None, request["messages"][1]
    return int(match.group(1))


class Hold:
    """Holds the model requests of one step of every run until the test lets them go."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.step: int | None = FIRST_HELD_STEP
        self.held = 0
        self._round = 0

    def wait_if_held(self, step: int) -> None:
        with self._changed:
            if step != self.step:
                return
            self.held += 1
            self._changed.notify_all()
            current = self._round
            self._changed.wait_for(lambda: self._round != current, timeout=HOLD_TIMEOUT)

    def wait_full(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.held >= count, timeout=HOLD_TIMEOUT)

    def release(self, next_step: int | None) -> None:
        with self._changed:
            self.step, self.held = next_step, 0
            self._round += 1
            self._changed.notify_all()


def hopper(hold: Hold) -> Any:
    def reply(request: dict[str, Any]) -> Reply:
        run = run_of(request)
        hops = sum(1 for message in request["messages"] if message["role"] == "tool")
        # the whole conversation, exactly, whichever worker and cache served this request
        assert conversation_of(request) == expected_conversation(run, hops)
        hold.wait_if_held(hops + 1)
        if hops < HOPS:
            return tool_calls(call("hop", {"run": run, "i": hops + 1}))
        return text(f"Run {run} hopped {hops} times.")

    return reply


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("relay") / "project"
    return write_project(root, "relay_agent", DEFINITION, {"relay_tools": TOOLS})


async def _model_calls_on(handles: list[WorkflowHandle[Any, Any]], worker: Worker) -> int:
    """How many runs wait on a ``call_model`` attempt that ``worker`` started."""
    assert worker.process is not None
    identity = f"{worker.process.pid}@"
    found = 0
    for handle in handles:
        description = await handle.describe()
        for activity in description.raw_description.pending_activities:
            if activity.activity_type.name == "call_model" and (
                activity.last_worker_identity.startswith(identity)
            ):
                found += 1
    return found


async def _kill_mid_run(hold: Hold, handles: list[WorkflowHandle[Any, Any]], victim: Worker) -> int:
    """Hold steps until ``victim`` has model calls in flight, kill it, then let all go."""
    step = FIRST_HELD_STEP
    while step <= HOPS:
        assert await asyncio.to_thread(hold.wait_full, RUNS), f"step {step} was not reached"
        interrupted = await _model_calls_on(handles, victim)
        if interrupted:
            victim.kill()  # SIGKILL: no graceful shutdown, its cache and its calls are gone
            hold.release(None)
            return interrupted
        step += 1
        hold.release(step)
    raise AssertionError("the victim never had a model call in flight")


def test_runs_survive_one_of_two_workers_killed(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    hold = Hold()
    # retried calls ask again: more replies than steps, all computed from the request
    model_server.add(*(respond(hopper(hold)) for _ in range(RUNS * (HOPS + 1) * 2)))
    victim = start_worker(project)
    survivor = start_worker(project, victim.task_queue)
    prefix = unique("relay")

    async def scenario() -> tuple[list[dict[str, Any]], int, int]:
        client = await connect(temporal_server)
        handles = [
            await client.start_workflow(
                "relay",
                {"task": f"Run {run}."},
                id=f"{prefix}-{run}",
                task_queue=victim.task_queue,
                result_type=dict,
            )
            for run in range(RUNS)
        ]
        try:
            interrupted = await _kill_mid_run(hold, handles, victim)
        finally:
            hold.release(None)
        results = asyncio.gather(*(handle.result() for handle in handles))
        outputs = await asyncio.wait_for(results, RESULT_TIMEOUT)
        return outputs, interrupted, await _retried_model_calls(client, prefix)

    outputs, interrupted, retried = asyncio.run(scenario())
    print(f"\ntwo workers: {interrupted} of {RUNS} runs had a model call on the killed worker")

    assert model_server.violations == []  # every request valid, every tool_call answered
    for run, output in enumerate(outputs):
        assert output["answer"] == f"Run {run} hopped {HOPS} times.", output
        assert output["stop_reason"] == "done"
        assert output["steps"] == HOPS + 1  # a retried call is the same step
    for run in range(RUNS):
        final = [
            r
            for r in model_server.requests
            if run_of(r) == run and len(r["messages"]) == 2 + 2 * HOPS
        ]
        assert final, f"run {run} never asked for its answer"
        assert all(conversation_of(r) == expected_conversation(run, HOPS) for r in final)
    assert "Traceback" not in survivor.log(), survivor.log()
    # the killed worker's calls were retried by the survivor, one per interrupted run
    assert retried == interrupted


async def _retried_model_calls(client: Client, prefix: str) -> int:
    """``call_model`` attempts after the first, over all runs; each history must be healthy."""
    retried = 0
    for run in range(RUNS):
        history = await fetch_history(client, f"{prefix}-{run}")
        history.assert_healthy()
        assert history.started_attempts("hop") == [1] * HOPS  # no tool ran twice
        retried += sum(1 for attempt in history.started_attempts("call_model") if attempt > 1)
    return retried
