"""More regeneration scenarios: deleted, pre-existing, corrupted and ejected files, edits in two
workflows at once, and switching the definition format (scenarios 17-22)."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable

from tests.scenarios.helpers import (
    AGENTS,
    BOSS,
    HELPER,
    LOCK,
    PACKAGE,
    Project,
    base_of,
    definition,
    with_tool,
)

RUN_ANCHOR = "    @workflow.run\n"
HELPER_NOTE = "    # mine: the helper only adds numbers\n"
BOSS_NOTE = "    # mine: the boss delegates sums\n"


def test_deleted_workflow_module_is_reported_missing_and_recreated(project: Project) -> None:
    """Scenario 17: deleting a merged file is not an edit to preserve; check says missing and
    the next build writes the generated module again."""
    project.path(HELPER).unlink()
    checked = project.check(expect=3)
    assert f"missing: {HELPER}" in checked.stderr
    project.build()
    assert project.changed() == set(), project.status()  # byte-identical to the first build
    project.check()


def test_pre_existing_file_at_a_generated_path_is_not_overwritten(
    make_project: Callable[..., Project],
) -> None:
    """Scenario 18: a hand-written file where the first build wants to write a managed file is
    treated as a hand edit: exit 4 and nothing written; --force takes the path over."""
    project = make_project(name="fresh")
    project.reset()
    for path in ("demo_agent", ".dagent", ".gitattributes"):
        project.git("rm", "-r", "-q", "--cached", path)
    project.commit("sources only")
    project.git("clean", "-q", "-fdx")
    project.write(f"{PACKAGE}/worker.py", "print('my own worker')\n")
    before = project.snapshot()

    refused = project.build(expect=4)

    assert "DG504" in refused.stderr and f"{PACKAGE}/worker.py" in refused.stderr
    assert project.snapshot() == before
    project.build("--force")
    assert "my own worker" not in project.read(f"{PACKAGE}/worker.py")
    project.check()


def test_corrupted_lock_stops_the_build_without_writing(project: Project) -> None:
    """Scenario 19: an unreadable build state is a clear error (exit 1, DG501), not a guess."""
    project.write(LOCK, "{ not json")
    project.set_definition(with_tool(definition(), "boss", "echo"))
    before = project.snapshot()

    result = project.build(expect=1)

    assert "DG501" in result.stderr and "git checkout -- .dagent" in result.stderr
    assert project.snapshot() == before
    project.check(expect=1)


def test_ejected_file_is_never_touched_again(project: Project) -> None:
    """Scenario 20: after `eject`, definition changes that would rewrite the file leave it as
    the user has it, and check stays clean."""
    project.cli("eject", AGENTS)
    project.edit(AGENTS, "HELPER_AGENT = AgentSpec(", "HELPER_AGENT = AgentSpec(  # my settings")
    project.commit("ejected and edited agents.py")
    project.set_definition(with_tool(definition(), "helper", "echo"))

    project.build()

    agents = project.read(AGENTS)
    assert "# my settings" in agents and "ECHO_TOOL" not in agents
    assert "then ejected" in agents.splitlines()[0]
    lock = json.loads(project.read(LOCK))
    assert lock["files"][AGENTS]["ownership"] == "ejected"
    assert 'case "echo":' in project.read(HELPER)  # other files still follow the definition
    project.check()


def test_edits_in_two_workflows_merge_with_one_definition_change(project: Project) -> None:
    """Scenario 21: the user edits both agents' workflows; one definition change (a tool given
    to both agents) reaches both files; both edits survive and both files parse."""
    project.insert_before(HELPER, RUN_ANCHOR, HELPER_NOTE)
    project.insert_before(BOSS, RUN_ANCHOR, BOSS_NOTE)
    project.commit("notes in both workflows")
    data = with_tool(definition(), "boss", "echo")
    data["agents"]["helper"]["tools"].append("echo")
    project.set_definition(data)

    result = project.build()

    for path, note in ((HELPER, HELPER_NOTE), (BOSS, BOSS_NOTE)):
        text = project.read(path)
        assert note in text and 'case "echo":' in text
        ast.parse(text)
        assert f"{path} (merged your edits)" in result.stdout
        assert project.read(base_of(path)) != text  # the base stays pristine
    project.check()


def test_switching_to_the_python_definition_keeps_edits(project: Project) -> None:
    """Scenario 22: the same project as dagent.py: only headers change, and edits are kept."""
    project.insert_before(BOSS, RUN_ANCHOR, BOSS_NOTE)
    project.commit("note")
    project.path("dagent.toml").unlink()
    project.write(
        "dagent.py",
        "from dagent_gen import Agent, Project, Tool\n"
        "from demo_tools import add, search\n\n"
        'helper = Agent("helper", description="Helps with sums", system_prompt="You help.",\n'
        '               planning=False, tools=[Tool(add, timeout="10s", retries=1)], max_steps=5)\n'
        'boss = Agent("boss", description="Leads the work", system_prompt="You lead. Plan first.",\n'
        '             tools=[Tool(search, timeout="30s", retries=2), Tool(add, timeout="10s", retries=1)],\n'
        "             subagents=[helper], max_steps=10)\n"
        'project = Project(package="demo_agent", task_queue="demo", description="A scenario project.",\n'
        "                  agents=[boss, helper])\n",
    )

    project.build()

    assert BOSS_NOTE in project.read(BOSS)
    assert "from dagent.py" in project.read(BOSS).splitlines()[0]
    _, removed = project.added_removed(AGENTS)
    assert all("dagent.toml" in line for line in removed), removed  # only the header changed
    project.check()
