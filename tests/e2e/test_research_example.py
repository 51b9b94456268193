"""examples/01_research_agent end to end: plan, tools, a writer sub-agent, the client module."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import (
    EventLog,
    Project,
    StartWorker,
    answered_calls,
    connect,
    copy_example,
    fetch_history,
    run_client,
    unique,
)

pytestmark = pytest.mark.e2e

RESEARCHER = "careful research assistant"  # substrings of the agents' system prompts
WRITER = "You write clear reports"
TASK = "What is durable execution and why does Temporal matter?"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return copy_example(
        "01_research_agent", tmp_path_factory.mktemp("research") / "project", "research_agent"
    )


def test_planning_run_with_tools_and_writer_subagent(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    todos = ["Search the knowledge base", "Have the writer draft the report"]
    model_server.add(
        tool_calls(call("write_todos", {"todos": todos}), agent=RESEARCHER),
        # todo 1: search, then summarize the hit in detail, then report the todo done
        tool_calls(
            call("web_search", {"query": "temporal durable execution", "max_results": 2}),
            agent=RESEARCHER,
        ),
        tool_calls(
            call(
                "summarize",
                {"text": "One. Two. Three. Four.", "style": "detailed"},
            ),
            agent=RESEARCHER,
        ),
        text("Found two sources on durable execution.", agent=RESEARCHER),
        # todo 2: delegate to the writer sub-agent
        tool_calls(
            call("writer", {"task": "Write a two-line report on durable execution."}),
            agent=RESEARCHER,
        ),
        text("REPORT: Durable execution lets workflows survive crashes.", agent=WRITER),
        text("The writer delivered the report.", agent=RESEARCHER),
        text("FINAL: Temporal makes execution durable; see the report.", agent=RESEARCHER),
    )
    worker = start_worker(project)
    workflow_id = unique("research")

    result = run_client(
        project, temporal_server, ["--task-queue", worker.task_queue, "--id", workflow_id, TASK]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "FINAL: Temporal makes execution durable; see the report."

    # what the model saw
    requests = model_server.requests
    assert model_server.violations == []
    assert model_server.remaining == []
    assert len(requests) == 8
    assert requests[0]["tool_choice"] == {"type": "function", "function": {"name": "write_todos"}}
    offered = {tool["function"]["name"] for tool in requests[0]["tools"]}
    assert offered == {"write_todos", "web_search", "summarize", "writer"}
    assert requests[-1]["tool_choice"] == "none"
    assert requests[0]["messages"][1] == {"role": "user", "content": TASK}

    observations = {name: output for name, _, output in answered_calls(requests[-1])}
    hits = json.loads(observations["web_search"])
    assert [hit["topic"] for hit in hits] == ["durable execution", "temporal"]
    assert observations["summarize"] == "One. Two. Three."  # style arrived as Style.DETAILED
    assert observations["writer"] == "REPORT: Durable execution lets workflows survive crashes."
    assert observations["write_todos"].startswith("Todo list updated:")
    writer_request = next(r for r in requests if WRITER in r["messages"][0]["content"])
    assert "tools" not in writer_request  # the writer has no tools
    assert writer_request["messages"][1]["content"] == (
        "Write a two-line report on durable execution."
    )

    # what the history says
    async def histories() -> tuple[dict[str, Any], EventLog, EventLog]:
        client = await connect(temporal_server)
        output = await client.get_workflow_handle(workflow_id, result_type=dict).result()
        parent = await fetch_history(client, workflow_id)
        child = await fetch_history(client, f"{workflow_id}/writer-1")
        return output, parent, child

    output, parent, child = asyncio.run(histories())
    assert output["stop_reason"] == "done"
    assert output["steps"] == 7  # the researcher's model calls; the writer's are its own
    assert [todo["status"] for todo in output["todos"]] == ["completed", "completed"]
    assert output["usage"]["total_tokens"] > 0

    assert parent.scheduled_activities() == [
        "call_model",  # plan
        "call_model",
        "web_search",
        "call_model",
        "summarize",
        "call_model",  # todo 1 done
        "call_model",  # delegate
        "call_model",  # todo 2 done
        "call_model",  # answer
    ]
    assert parent.children() == [("writer", f"{workflow_id}/writer-1")]
    assert parent.count("CHILD_WORKFLOW_EXECUTION_COMPLETED") == 1
    assert child.scheduled_activities() == ["call_model"]
    for history in (parent, child):
        history.assert_healthy()
        assert history.count("ACTIVITY_TASK_FAILED") == 0
        # the model API key lives on the worker only
        assert worker.api_key.encode() not in history.binary()
        assert worker.api_key not in history.compact_json()
    assert TASK.encode() in parent.binary()  # the search above does see payload contents

    # each call_model input names the agent, the tool choice and digests of the conversation;
    # only prompts the workflow wrote itself travel inline (no activity result holds them)
    inputs = parent.activity_inputs("call_model")
    keys = {"agent", "message_count", "tool_choice", "prefix_digest", "new", "tools"}
    assert all(set(item) == keys for item in inputs)
    inline = {ref[1] for item in inputs for ref in item["new"] if ref[0] == "inline"}
    assert inline == {"system", "user"}
    # model replies by digest alone, tool results by the digest of their text
    assert {ref[0] for item in inputs for ref in item["new"]} == {"inline", "reply", "tool"}
    assert all(item["tools"] == "" for item in inputs)  # no MCP server listed at run time
    assert inputs[0]["tool_choice"] == "write_todos"
    assert inputs[-1]["tool_choice"] == "none"

    # the generated workflows replay their own histories deterministically
    replay_with_generated_code(project, [parent, child])


def replay_with_generated_code(project: Project, histories: list[EventLog]) -> None:
    """Replay recorded histories against the generated workflow classes (in this process)."""
    from temporalio.worker import Replayer

    from dagent_gen.generated_package import imported_package

    async def replay(workflows: list[Any]) -> None:
        replayer = Replayer(workflows=workflows)
        for history in histories:
            result = await replayer.replay_workflow(history.history)
            assert result.replay_failure is None, result.replay_failure

    with imported_package(project.root, project.package) as generated:
        asyncio.run(replay(generated.workflows))
