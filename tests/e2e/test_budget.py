"""Usage, cost and budgets: sub-agents' usage adds into the parent's, prices give a cost, and a
token or cost budget ends the run with ``stop_reason = "budget"`` and no further model call."""

from __future__ import annotations

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, StartWorker, Worker, run_agent, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "budget_runs"

[project.prices."openai:gpt-4o"]
input_per_million = 10
output_per_million = 30

[project.prices."groq:llama-3.1-8b-instant"]
input_per_million = 1
output_per_million = 2

[agents.counter]
system_prompt = "You count tokens."
planning = false
tools = ["step"]
max_total_tokens = 1000

[agents.spender]
model = "openai:gpt-4o"
system_prompt = "You spend dollars."
tools = ["step"]
max_cost_usd = 0.01

[agents.lead]
model = "openai:gpt-4o"
system_prompt = "You lead."
planning = false
subagents = ["helper"]

[agents.thrifty]
model = "openai:gpt-4o"
system_prompt = "You are thrifty."
planning = false
subagents = ["helper"]
max_total_tokens = 150

[agents.helper]
model = "groq:llama-3.1-8b-instant"
system_prompt = "You help."
planning = false

[tools.step]
function = "budget_tools:step"
"""

TOOLS = '''
def step(n: int) -> str:
    """Take a step.

    Args:
        n: The step number.
    """
    return f"step {n} taken"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("budget") / "project"
    return write_project(root, "budget_runs", DEFINITION, {"budget_tools": TOOLS})


def worker_for(
    project: Project, model_server: ScriptedModelServer, start_worker: StartWorker
) -> Worker:
    # the helper's provider is groq: its calls reach the scripted server through GROQ_BASE_URL
    env = {"GROQ_BASE_URL": model_server.base_url, "GROQ_API_KEY": "gsk-test"}
    return start_worker(project, env=env)


def test_a_token_budget_ends_the_run_before_the_tools_of_the_reply_that_used_it_up(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("step", {"n": 1}), usage=(400, 100)),  # 500 tokens: within budget
        tool_calls(call("step", {"n": 2}), content="Counted to one.", usage=(500, 100)),  # 1,100
    )
    worker = worker_for(project, model_server, start_worker)

    output, history = run_agent(
        temporal_server, "counter", "Count.", task_queue=worker.task_queue, workflow_id=unique("c")
    )
    assert output["stop_reason"] == "budget"
    assert output["answer"] == "Counted to one."  # the latest text: no extra answer call
    assert output["steps"] == 2
    usage = {"prompt_tokens": 900, "completion_tokens": 200, "total_tokens": 1100, "cost_usd": 0.0}
    assert output["usage"] == usage
    assert output["usage_by_agent"] == {"counter": usage}
    assert model_server.violations == []
    assert model_server.remaining == []
    assert len(model_server.requests) == 2
    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model", "step", "call_model"]  # no step 2


def test_a_cost_budget_ends_a_planning_run_between_two_todos(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        # $10 / $30 per million tokens: the plan costs $0.008, the first todo $0.006
        tool_calls(call("write_todos", {"todos": ["first", "second"]}), usage=(500, 100)),
        text("First part done.", usage=(300, 100)),
    )
    worker = worker_for(project, model_server, start_worker)

    output, history = run_agent(
        temporal_server, "spender", "Spend.", task_queue=worker.task_queue, workflow_id=unique("s")
    )
    assert output["stop_reason"] == "budget"
    assert output["answer"] == "First part done."
    assert output["steps"] == 2
    assert output["usage"]["cost_usd"] == pytest.approx(0.014)
    assert output["usage"]["total_tokens"] == 1000
    assert [todo["status"] for todo in output["todos"]] == ["completed", "in_progress"]
    assert model_server.violations == []
    assert model_server.remaining == []
    assert len(model_server.requests) == 2  # the second todo and the answer were never asked
    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model", "call_model"]


def test_sub_agent_usage_adds_into_the_parent_per_agent(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(call("helper", {"task": "Help."}), agent="You lead.", usage=(100, 10)),
        text("Helped.", agent="You help.", usage=(50, 5)),
        text("Done.", agent="You lead.", usage=(200, 20)),
    )
    worker = worker_for(project, model_server, start_worker)

    output, history = run_agent(
        temporal_server, "lead", "Lead.", task_queue=worker.task_queue, workflow_id=unique("l")
    )
    assert (output["answer"], output["stop_reason"], output["steps"]) == ("Done.", "done", 2)
    lead_cost = (300 * 10 + 30 * 30) / 1e6
    helper_cost = (50 * 1 + 5 * 2) / 1e6
    assert output["usage_by_agent"] == {
        "lead": {
            "prompt_tokens": 300,
            "completion_tokens": 30,
            "total_tokens": 330,
            "cost_usd": pytest.approx(lead_cost),
        },
        "helper": {
            "prompt_tokens": 50,
            "completion_tokens": 5,
            "total_tokens": 55,
            "cost_usd": pytest.approx(helper_cost),
        },
    }
    assert output["usage"] == {
        "prompt_tokens": 350,
        "completion_tokens": 35,
        "total_tokens": 385,
        "cost_usd": pytest.approx(lead_cost + helper_cost),
    }
    assert model_server.violations == []
    assert model_server.authorizations[1] == "Bearer gsk-test"  # the helper's call: groq's key
    history.assert_healthy()


def test_a_budget_counts_the_sub_agents_usage(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("helper", {"task": "Help."}),
            content="Asking the helper.",
            agent="thrifty",
            usage=(100, 10),  # 110 of 150 tokens
        ),
        text("Helped.", agent="You help.", usage=(50, 5)),  # 165: the parent's budget is used up
    )
    worker = worker_for(project, model_server, start_worker)

    output, history = run_agent(
        temporal_server, "thrifty", "Go.", task_queue=worker.task_queue, workflow_id=unique("t")
    )
    assert output["stop_reason"] == "budget"
    assert output["answer"] == "Asking the helper."
    assert output["usage"]["total_tokens"] == 165
    assert set(output["usage_by_agent"]) == {"thrifty", "helper"}
    assert model_server.violations == []
    assert model_server.remaining == []
    assert len(model_server.requests) == 2  # the parent made no call after its sub-agent's
    history.assert_healthy()
    assert history.scheduled_activities() == ["call_model"]
