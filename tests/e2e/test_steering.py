"""Steering on the real server: the ``send_message`` and ``end`` updates, conversational runs.

Messages are sent the way any Temporal client would (a JSON object to the update named
``send_message``), some through the generated client's command line. The scripted model
server records every request, so the tests check where a message landed in the conversation;
it also refuses a user message between a tool call and its answer (``violations``).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from dagent_gen.testing import (
    Reply,
    ScriptedModelServer,
    TemporalDevServer,
    call,
    respond,
    text,
    tool_calls,
)

from .support import (
    EventLog,
    Project,
    StartWorker,
    connect,
    decode,
    fetch_history,
    run_client,
    unique,
    until,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "steering_agent"

[agents.runner]
system_prompt = "You run errands."
planning = false
tools = ["hold"]

[agents.marathon]
system_prompt = "You hold gates for a long time."
planning = false
max_steps = 300
max_history_events = 1000
tools = ["hold"]

[agents.chat]
system_prompt = "You chat."
planning = false
conversational = true
tools = ["hold"]

[agents.brief]
system_prompt = "You chat briefly."
planning = false
conversational = true
idle_timeout = "2s"

[agents.planner]
system_prompt = "You plan every answer."
conversational = true
tools = ["hold"]

[tools.hold]
function = "steering_tools:hold"
timeout = "2m"
"""

TOOLS = '''
import pathlib
import time


def hold(gate: str) -> str:
    """Wait until the file ``gate`` exists (the test opens it); "" returns at once.

    Args:
        gate: A file path, or "".
    """
    if not gate:
        return "open"
    path = pathlib.Path(gate)
    path.with_name(path.name + ".waiting").touch()
    deadline = time.monotonic() + 110
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return "released" if path.exists() else "timed out"
'''

WAIT = 60.0  # generous bounds: a busy CI box


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("steering") / "project"
    return write_project(root, "steering_agent", DEFINITION, {"steering_tools": TOOLS})


async def start(client: Client, agent: str, task: str, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        agent, {"task": task}, id=unique(agent), task_queue=task_queue
    )


async def last_message(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = await handle.query(
        "messages", {"start": 0, "end": 100_000}, result_type=list
    )
    return messages[-1]


async def refused(handle: WorkflowHandle[Any, Any], name: str, *args: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(name, *args, result_type=str)
    return str(info.value.cause)


def replay(project: Project, histories: list[EventLog]) -> None:
    """The generated workflow classes replay the recorded histories (in this process)."""
    from temporalio.worker import Replayer

    from dagent_gen.generated_package import imported_package

    async def check(workflows: list[Any]) -> None:
        replayer = Replayer(workflows=workflows)
        for log in histories:
            result = await replayer.replay_workflow(log.history)
            assert result.replay_failure is None, result.replay_failure

    with imported_package(project.root, project.package) as generated:
        asyncio.run(check(generated.workflows))


def user_texts(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def test_a_message_is_seen_at_the_next_step_after_the_tool_answers(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    gate = tmp_path / "gate"
    model_server.add(tool_calls(call("hold", {"gate": str(gate)})), text("Done, in metres."))
    worker = start_worker(project)

    async def scenario() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await start(client, "runner", "Measure the room.", worker.task_queue)
        await until(gate.with_name("gate.waiting").exists, "the tool call")
        assert "needs text" in await refused(handle, "send_message", {"text": "  "})
        sent = await asyncio.to_thread(
            run_client, project, temporal_server, ["send", handle.id, "Use metric units."]
        )
        assert sent.returncode == 0, sent.stderr
        assert "queued: 1 message" in sent.stdout
        empty = await asyncio.to_thread(
            run_client, project, temporal_server, ["send", handle.id, ""]
        )
        assert empty.returncode == 1 and "refused: a message needs text" in empty.stderr
        gate.touch()
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=WAIT)
        return result

    output = asyncio.run(scenario())
    assert output["answer"] == "Done, in metres." and output["steps"] == 2
    first, second = model_server.requests
    assert user_texts(first) == ["Measure the room."]
    roles = [m["role"] for m in second["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "user"]  # after the tool answer
    assert second["messages"][-1]["content"] == "Use metric units."
    assert model_server.violations == []


def test_a_message_sent_while_the_model_answers_gets_another_step(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    answering = threading.Event()
    go_on = threading.Event()

    def slow_answer(request: dict[str, Any]) -> Reply:
        answering.set()
        go_on.wait(WAIT)
        return text("A draft.")

    model_server.add(respond(slow_answer), text("The answer, with sources."))
    worker = start_worker(project)

    async def scenario() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await start(client, "runner", "Answer.", worker.task_queue)
        await until(answering.is_set, "the first model call")
        await handle.execute_update("send_message", {"text": "Cite sources."}, result_type=str)
        go_on.set()
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=WAIT)
        return result

    output = asyncio.run(scenario())
    assert output["answer"] == "The answer, with sources." and output["steps"] == 2
    last = model_server.requests[-1]["messages"]
    assert [(m["role"], m["content"]) for m in last[-2:]] == [
        ("assistant", "A draft."),
        ("user", "Cite sources."),
    ]
    assert model_server.violations == []


def test_a_conversation_takes_three_turns_then_ends(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("hold", {"gate": ""})),
        text("Paris."),
        text("About 2.1 million."),
        text("The Seine."),
    )
    worker = start_worker(project)

    async def scenario() -> tuple[dict[str, Any], EventLog]:
        client = await connect(temporal_server)
        handle = await start(client, "chat", "Capital of France?", worker.task_queue)

        async def answered(content: str) -> bool:
            message = await last_message(handle)
            return bool(message["role"] == "assistant" and message["content"] == content)

        await until(lambda: answered("Paris."), "the first answer")
        await handle.execute_update("send_message", {"text": "Its population?"})
        await until(lambda: answered("About 2.1 million."), "the second answer")
        sent = await asyncio.to_thread(
            run_client, project, temporal_server, ["send", handle.id, "Its river?"]
        )
        assert sent.returncode == 0, sent.stderr
        await until(lambda: answered("The Seine."), "the third answer")
        ended = await asyncio.to_thread(run_client, project, temporal_server, ["end", handle.id])
        assert ended.returncode == 0 and ended.stdout.strip() == "ending", ended.stderr
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=WAIT)
        return result, await fetch_history(client, handle.id)

    output, log = asyncio.run(scenario())
    assert output["answer"] == "The Seine."
    assert (output["stop_reason"], output["steps"]) == ("done", 4)  # every turn's steps
    assert output["usage"]["total_tokens"] > 0
    requests = model_server.requests
    assert [user_texts(r) for r in requests[1:]] == [
        ["Capital of France?"],
        ["Capital of France?", "Its population?"],
        ["Capital of France?", "Its population?", "Its river?"],
    ]
    assert [m["role"] for m in requests[-1]["messages"]] == [
        "system", "user", "assistant", "tool", "assistant", "user", "assistant", "user",
    ]  # fmt: skip
    assert log.count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 3  # two messages and `end`
    log.assert_healthy()
    assert model_server.violations == []
    replay(project, [log])  # the turns, the idle timers and the updates replay deterministically


def test_each_turn_of_a_planning_conversation_plans_again(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("write_todos", {"todos": ["Find it"]})),
        text("Found."),
        text("Answer one."),
        tool_calls(call("write_todos", {"todos": ["Find more"]})),
        text("Found more."),
        text("Answer two."),
    )
    worker = start_worker(project)

    async def scenario() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await start(client, "planner", "Question one?", worker.task_queue)

        async def answered() -> bool:
            return bool((await last_message(handle)).get("content") == "Answer one.")

        await until(answered, "the first answer")
        await handle.execute_update("send_message", {"text": "Question two?"})
        await until(lambda: model_server.request_count == 6, "the second turn")
        await handle.execute_update("end", result_type=str)
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=WAIT)
        return result

    output = asyncio.run(scenario())
    assert (output["answer"], output["steps"]) == ("Answer two.", 6)
    assert [todo["content"] for todo in output["todos"]] == ["Find more"]
    plan_again = model_server.requests[3]["messages"]
    assert [(m["role"], m["content"]) for m in plan_again[-3:-1]] == [
        ("assistant", "Answer one."),
        ("user", "Question two?"),
    ]
    assert plan_again[-1]["role"] == "user"  # the plan prompt follows the new question
    assert model_server.requests[3]["tool_choice"]["function"]["name"] == "write_todos"
    assert model_server.violations == []


def test_an_idle_conversation_completes_after_its_idle_timeout(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(text("Hello."))
    worker = start_worker(project)

    async def scenario() -> tuple[dict[str, Any], EventLog]:
        client = await connect(temporal_server)
        handle = await start(client, "brief", "Hi!", worker.task_queue)
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=WAIT)
        late = await asyncio.to_thread(
            run_client, project, temporal_server, ["send", handle.id, "?"]
        )
        assert late.returncode == 2 and "already completed" in late.stderr, late.stderr
        return result, await fetch_history(client, handle.id)

    output, log = asyncio.run(scenario())
    assert (output["answer"], output["stop_reason"], output["steps"]) == ("Hello.", "idle", 1)
    timers = log.of("TIMER_STARTED")
    assert len(timers) == 1 and log.count("TIMER_FIRED") == 1
    assert timers[0].timer_started_event_attributes.start_to_fire_timeout.seconds == 2
    assert model_server.request_count == 1


def test_a_message_queued_when_the_run_continues_as_new_is_delivered(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    """The message arrives during the tool call of the step after which the run continues as
    new (its history is then past max_history_events = 1000): the continuation carries it."""
    message = "Wrap up now."

    def holder(request: dict[str, Any]) -> Reply:
        if message in user_texts(request):
            return text("Wrapped up.")
        held = sum(1 for m in request["messages"] if m["role"] == "tool")
        return tool_calls(call("hold", {"gate": str(tmp_path / f"gate-{held + 1}")}))

    model_server.add(*[respond(holder)] * 200)
    worker = start_worker(project)

    async def scenario() -> tuple[dict[str, Any], list[EventLog]]:
        client = await connect(temporal_server)
        handle = await start(client, "marathon", "Hold the gates.", worker.task_queue)
        current = client.get_workflow_handle(handle.id)
        sent = False
        for number in range(1, 200):
            gate = tmp_path / f"gate-{number}"
            await until(gate.with_name(gate.name + ".waiting").exists, f"gate {number}")
            if not sent:
                info = (await current.describe()).raw_description.workflow_execution_info
                # the check after this step sees ≥ 9 more events (the update's 5, the tool's
                # completion, a workflow task): ≥ 1000, so the run continues as new after it
                if info.history_length >= 992:
                    await current.execute_update("send_message", {"text": message})
                    sent = True
            gate.touch()
            if sent:
                break  # the next step sees the message and answers
        result: dict[str, Any] = await asyncio.wait_for(handle.result(), timeout=WAIT)
        assert handle.first_execution_run_id is not None
        first = await fetch_history(client, handle.id, handle.first_execution_run_id)
        last = await fetch_history(client, handle.id)
        return result, [first, last]

    output, (first, last) = asyncio.run(scenario())
    assert output["answer"] == "Wrapped up."
    end = first.events[-1]
    assert end.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    carried = decode(end.workflow_execution_continued_as_new_event_attributes.input.payloads[0])
    assert carried["state"]["inbox"] == [message]
    assert first.count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 1
    seen = [r for r in model_server.requests if message in user_texts(r)]
    assert len(seen) == 1  # delivered once, at the continued run's first step
    messages = seen[0]["messages"]
    assert (messages[-2]["role"], messages[-1]) == ("tool", {"role": "user", "content": message})
    assert last.activity_inputs("call_model")[0]["message_count"] == len(messages)
    assert model_server.violations == []
    replay(project, [first, last])
