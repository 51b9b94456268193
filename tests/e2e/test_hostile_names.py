"""Names that used to shadow the generated code's own names run end to end.

A planning agent (its loop uses ``next``, ``len`` and ``asyncio``) calls tools named like
builtins, modules and helpers of the generated code, and delegates to two agents whose class
names used to be one (``agent1`` / ``a__b`` next to ``agent_1`` / ``a_b``), in a package named
like one of its own generated modules. Every call arrives under its declared name.
"""

from __future__ import annotations

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, StartWorker, answered_calls, run_agent, unique, write_project

pytestmark = pytest.mark.e2e

TOOLS = [
    "next",
    "len",
    "list",
    "str",
    "asyncio",
    "workflow",
    "timedelta",
    "tool_function",
    "to_observation",
    "annotations",
    "tools",
]
CHILDREN = {"agent1": "CHILD-ONE", "a__b": "CHILD-TWO"}

DEFINITION = (
    '[project]\npackage = "tools"\n\n'
    '[agents.agent_1]\nsystem_prompt = "You are HUB."\n'
    f"tools = {TOOLS!r}\nsubagents = {list(CHILDREN)!r}\n\n".replace("'", '"')
    + "".join(
        f'[agents.{name}]\nsystem_prompt = "You are {prompt}."\nplanning = false\n\n'
        for name, prompt in CHILDREN.items()
    )
    + "[agents.a_b]\nplanning = false\n\n"
    + "".join(f'[tools.{name}]\nfunction = "hostile_tools:echo"\n\n' for name in TOOLS)
)

TOOL_MODULE = '''
def echo(text: str) -> str:
    """Say it back.

    Args:
        text: What to say.
    """
    return f"echo {text}"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("hostile") / "project"
    return write_project(root, "tools", DEFINITION, {"hostile_tools": TOOL_MODULE})


def test_tools_and_agents_named_like_builtins_and_generated_names_run(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    calls = [call(name, {"text": name}) for name in TOOLS]
    calls += [call(name, {"task": f"help {name}"}) for name in CHILDREN]
    model_server.add(
        tool_calls(call("write_todos", {"todos": [{"content": "use every tool"}]}), agent="HUB"),
        tool_calls(*calls, agent="HUB"),
        *[text(f"{name} helped", agent=prompt) for name, prompt in CHILDREN.items()],
        text("todo done", agent="HUB"),
        text("all done", agent="HUB"),
    )
    worker = start_worker(project)

    output, _ = run_agent(
        temporal_server,
        "agent_1",
        "Use every tool.",
        task_queue=worker.task_queue,
        workflow_id=unique("hostile"),
    )

    assert (output["answer"], output["stop_reason"]) == ("all done", "done")
    assert model_server.violations == []
    answered = {name: result for name, _, result in answered_calls(model_server.requests[-1])}
    assert {name: answered[name] for name in TOOLS} == {name: f"echo {name}" for name in TOOLS}
    assert {name: answered[name] for name in CHILDREN} == {n: f"{n} helped" for n in CHILDREN}
