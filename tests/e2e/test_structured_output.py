"""Structured output (``output = "module:Model"``) on a real Temporal server: the answer calls
carry ``response_format``, an invalid answer comes back to the model as an observation, and a
sub-agent's output reaches its parent as JSON text."""

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
    run_agent,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "structured_agents"

[agents.reviewer]
description = "Reviews one product"
system_prompt = "You review products."
planning = false
tools = ["price_of"]
output = "review_models:Review"

[agents.editor]
system_prompt = "You edit reviews."
subagents = ["reviewer"]
output = "review_models:Verdict"

[agents.stubborn]
system_prompt = "You never follow formats."
planning = false
output = "review_models:Review"

[tools.price_of]
function = "review_tools:price_of"
"""

MODELS = '''
from pydantic import BaseModel, Field


class Review(BaseModel):
    """A product review."""

    product: str
    rating: int = Field(ge=1, le=5)
    pros: list[str]
    note: str | None = None


class Verdict(BaseModel):
    summary: str
    buy: bool
'''

TOOLS = '''
def price_of(product: str) -> str:
    """The price of a product.

    Args:
        product: Its name.
    """
    return f"{product}: 3 EUR"
'''

REVIEWER = "You review products."
EDITOR = "You edit reviews."
STUBBORN = "You never follow formats."
REVIEW = {"product": "tea", "rating": 4, "pros": ["cheap"], "note": None}
FORCE_TODOS = {"type": "function", "function": {"name": "write_todos"}}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("structured") / "project"
    return write_project(
        root,
        "structured_agents",
        DEFINITION,
        {"review_models": MODELS, "review_tools": TOOLS},
    )


def schema_of(request: dict[str, Any]) -> dict[str, Any] | None:
    response_format = request.get("response_format")
    return None if response_format is None else response_format["json_schema"]


def test_a_valid_answer_on_the_first_try_is_the_output(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("price_of", {"product": "tea"})),
        text(json.dumps(REVIEW)),
    )
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server,
        "reviewer",
        "Review tea.",
        task_queue=worker.task_queue,
        workflow_id=unique("reviewer"),
    )
    assert model_server.violations == []
    assert output["stop_reason"] == "done"
    assert output["output"] == REVIEW
    assert json.loads(output["answer"]) == REVIEW
    assert output["steps"] == 2
    # a plain loop may answer on any step: every call carries the strict schema
    for request in model_server.requests:
        schema = schema_of(request)
        assert schema is not None
        assert schema["name"] == "Review" and schema["strict"] is True
        assert schema["schema"]["required"] == ["product", "rating", "pros", "note"]
        assert schema["schema"]["additionalProperties"] is False
    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model", "price_of", "call_model"]


def test_an_invalid_answer_is_shown_to_the_model_which_corrects_it(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        text('{"product": "tea", "rating": 9, "pros": ["cheap"], "note": null}'),
        text(json.dumps(REVIEW)),
    )
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server,
        "reviewer",
        "Review tea.",
        task_queue=worker.task_queue,
        workflow_id=unique("reviewer"),
    )
    assert model_server.violations == []
    assert output["stop_reason"] == "done"
    assert output["output"] == REVIEW
    assert output["steps"] == 2
    first, second = model_server.requests
    assert first["tool_choice"] == "auto" and second["tool_choice"] == "none"
    assert schema_of(second) == schema_of(first)
    observation = second["messages"][-1]
    assert observation["role"] == "user"
    assert observation["content"].startswith("Your answer is not a valid Review object.")
    assert "- rating: Input should be less than or equal to 5" in observation["content"]
    assert second["messages"][-2] == {
        "role": "assistant",
        "content": first_answer(first, second),
    }
    history.assert_healthy()
    replay(project, [history])  # the re-ask is deterministic: the history replays


def first_answer(first: dict[str, Any], second: dict[str, Any]) -> str:
    """The rejected answer, as the second request replays it (it follows the first's messages)."""
    message = second["messages"][len(first["messages"])]
    assert message["role"] == "assistant"
    content: str = message["content"]
    return content


def test_an_answer_still_invalid_after_three_tries_ends_the_run(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        text("A fine product.", agent=STUBBORN),
        text('{"product": "tea"}', agent=STUBBORN),
        text("[1, 2]", agent=STUBBORN),
    )
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server,
        "stubborn",
        "Review tea.",
        task_queue=worker.task_queue,
        workflow_id=unique("stubborn"),
    )
    assert model_server.violations == []
    assert model_server.remaining == []
    assert output["stop_reason"] == "invalid_output"
    assert output["output"] is None
    assert output["answer"] == "[1, 2]"
    assert output["steps"] == 3
    observations = [request["messages"][-1]["content"] for request in model_server.requests[1:]]
    assert "not valid JSON" in observations[0]
    assert "- rating: Field required" in observations[1]
    history.assert_healthy()
    replay(project, [history])


def test_a_sub_agents_output_reaches_the_parent_as_json_text(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    verdict = {"summary": "Tea is good value.", "buy": True}
    model_server.add(
        tool_calls(call("write_todos", {"todos": ["Have tea reviewed"]}), agent=EDITOR),
        tool_calls(call("reviewer", {"task": "Review tea."}), agent=EDITOR),
        text(json.dumps(REVIEW), agent=REVIEWER),
        text("Reviewed.", agent=EDITOR),
        text(json.dumps(verdict), agent=EDITOR),
    )
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server,
        "editor",
        "Should I buy tea?",
        task_queue=worker.task_queue,
        workflow_id=unique("editor"),
    )
    assert model_server.violations == []
    assert output["stop_reason"] == "done"
    assert output["output"] == verdict
    editor = [r for r in model_server.requests if EDITOR in r["messages"][0]["content"]]
    reviewer = [r for r in model_server.requests if REVIEWER in r["messages"][0]["content"]]
    # a planning agent's answer is its one tool-less call: only that carries the schema
    assert [request["tool_choice"] for request in editor] == [FORCE_TODOS, "auto", "auto", "none"]
    assert [schema_of(request) is not None for request in editor] == [False, False, False, True]
    final_schema = schema_of(editor[-1])
    assert final_schema is not None and final_schema["name"] == "Verdict"
    assert [schema_of(request)["name"] for request in reviewer] == ["Review"]  # type: ignore[index]
    (delegate,) = [t for t in editor[1]["tools"] if t["function"]["name"] == "reviewer"]
    assert delegate["function"]["description"].endswith("returns a Review JSON object.")
    # the parent's model sees the child's answer: the JSON of its output
    (delegation,) = [found for found in answered_calls(editor[-1]) if found[0] == "reviewer"]
    assert json.loads(delegation[2]) == REVIEW
    history.assert_healthy()
    assert [kind for kind, _ in history.children()] == ["reviewer"]


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
