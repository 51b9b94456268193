"""Context management on the real server: a run that crosses its token budget is summarised.

The ``stepper`` agent has ``[agents.stepper.context]`` with a small budget; each step's tool
result is ~110 tokens, so the conversation crosses it every few steps. The scripted model
answers the summarise request with a numbered summary; every later request must carry that
summary instead of the old turns, and pass the strict request validator.
"""

from __future__ import annotations

from typing import Any

import pytest

from dagent_gen.loop_vocabulary import SUMMARIZE_PROMPT, SUMMARY_PROMPT
from dagent_gen.testing import Reply, ScriptedModelServer, TemporalDevServer, call, respond, text
from dagent_gen.testing import tool_calls as calls

from .support import Project, StartWorker, run_agent, unique, write_project

pytestmark = pytest.mark.e2e

STEPS = 14
MAX_TOKENS = 1_000
KEEP_RECENT = 4

DEFINITION = f"""
[project]
package = "context_agent"

[agents.stepper]
system_prompt = "You take exactly the number of steps you are asked to."
planning = false
max_steps = 40
tools = ["step"]

[agents.stepper.context]
max_tokens = {MAX_TOKENS}
keep_recent = {KEEP_RECENT}

[tools.step]
function = "context_tools:step"
"""

TOOLS = '''
def step(i: int) -> str:
    """Take step number i.

    Args:
        i: The step number.
    """
    return f"observation {i} " + "x" * 400
'''

SUMMARY_HEAD = SUMMARY_PROMPT.split("{")[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("context") / "project"
    return write_project(root, "context_agent", DEFINITION, {"context_tools": TOOLS})


def is_summarise(request: dict[str, Any]) -> bool:
    last = request["messages"][-1]
    return bool(last["role"] == "user" and last["content"] == SUMMARIZE_PROMPT)


def scripted_model() -> Reply:
    """Steps 1..STEPS, one per request; a summarise request gets "SUMMARY-<n> (steps ≤ k)"."""
    state = {"steps": 0, "summaries": 0}

    def reply(request: dict[str, Any]) -> Reply:
        if is_summarise(request):
            state["summaries"] += 1
            return text(f"SUMMARY-{state['summaries']} (steps up to {state['steps']} done)")
        if state["steps"] < STEPS:
            state["steps"] += 1
            return calls(call("step", {"i": state["steps"]}))
        return text(f"Done after {state['steps']} steps.")

    return respond(reply)


def observations(request: dict[str, Any]) -> list[int]:
    return [
        int(message["content"].split()[1])
        for message in request["messages"]
        if message["role"] == "tool"
    ]


def test_a_run_over_its_budget_is_summarised(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model = scripted_model()
    model_server.add(*(model for _ in range(60)))
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server, "stepper", f"Take {STEPS} steps.",
        task_queue=worker.task_queue, workflow_id=unique("context"),
    )  # fmt: skip
    history.assert_healthy()
    assert output["answer"] == f"Done after {STEPS} steps."
    assert output["steps"] == STEPS + 1  # summaries are not agent steps
    assert model_server.violations == []  # every request, summarised ones too, is valid

    requests = model_server.requests
    summarise = [index for index, request in enumerate(requests) if is_summarise(request)]
    assert len(summarise) >= 2  # crossed the budget more than once
    assert history.scheduled_activities().count("summarize_conversation") == len(summarise)

    for number, index in enumerate(summarise, 1):
        request = requests[index]
        assert request["tool_choice"] == "none"
        assert request["messages"][0]["role"] == "system"
        assert request["messages"][1]["content"] == f"Take {STEPS} steps."
        following = requests[index + 1]
        assert not is_summarise(following)
        texts = [message.get("content") or "" for message in following["messages"]]
        assert texts[:2] == [request["messages"][0]["content"], f"Take {STEPS} steps."]
        assert texts[2].startswith(SUMMARY_HEAD) and f"SUMMARY-{number} " in texts[2]
        assert sum(SUMMARY_HEAD in text for text in texts) == 1  # the former summary is gone
        # the old turns are gone: only the latest observations are kept, verbatim
        seen = observations(following)
        before = observations(request)
        assert 1 <= len(seen) <= KEEP_RECENT
        assert seen == sorted(seen) and seen[0] > before[0]
        assert len(following["messages"]) <= 3 + KEEP_RECENT + 1

    # between two summaries the conversation only grows again: the prompt never gets far past
    # the budget (the model reports its tokens; the next call is summarised first)
    last = requests[-1]
    assert observations(last)[-1] == STEPS
    assert max(len(request["messages"]) for request in requests) < 2 + 2 * STEPS
