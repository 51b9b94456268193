"""Files coming and going: renamed agents, removed tools, managed and ejected files
(scenarios 5-7)."""

from __future__ import annotations

import ast
import json

from tests.scenarios.helpers import (
    AGENTS,
    BOSS,
    HELPER,
    LOCK,
    PACKAGE,
    TOOLS_INIT,
    Project,
    base_of,
    definition,
)

ASSISTANT = f"{PACKAGE}/workflows/assistant.py"


def _renamed_helper() -> dict[str, object]:
    data = definition()
    data["agents"]["assistant"] = data["agents"].pop("helper")
    data["agents"]["boss"]["subagents"] = ["assistant"]
    return data


def test_renamed_agent_replaces_its_unmodified_workflow_module(project: Project) -> None:
    """Scenario 5a: the old module (and its base) go, the new one (and its base) come."""
    project.set_definition(_renamed_helper())
    project.commit("rename helper -> assistant")

    result = project.build()

    assert f"removed {HELPER}" in result.stdout
    assert f"created {ASSISTANT}" in result.stdout
    assert "DG511" not in result.stderr
    status = project.status()
    for line in (
        f" D {HELPER}",
        f" D {base_of(HELPER)}",
        f"?? {ASSISTANT}",
        f"?? {base_of(ASSISTANT)}",
        f" M {BOSS}",
    ):
        assert line in status, status
    assert not project.path(HELPER).exists()
    assert "class AssistantWorkflow" in project.read(ASSISTANT)
    assert "from demo_agent.workflows.assistant import AssistantWorkflow" in project.read(BOSS)
    lock = json.loads(project.read(LOCK))
    assert HELPER not in lock["files"] and lock["files"][ASSISTANT]["ownership"] == "merged"
    project.check()


def test_renamed_agent_keeps_the_old_module_when_it_was_edited(project: Project) -> None:
    """Scenario 5b: an edited old module is kept, with a DG511 warning; it is no longer
    tracked, so the next check is clean."""
    project.edit(HELPER, "    def _say(self", "    # my tweak\n    def _say(self")
    project.set_definition(_renamed_helper())
    project.commit("edit helper, then rename it")
    edited = project.path(HELPER).read_bytes()

    result = project.build()

    assert (
        f"warning[DG511]: {HELPER} is no longer generated, but you edited it, so it was kept"
        in (result.stderr)
    )
    assert project.path(HELPER).read_bytes() == edited
    assert f" D {base_of(HELPER)}" in project.status()
    assert f"?? {ASSISTANT}" in project.status()
    assert HELPER not in json.loads(project.read(LOCK))["files"]
    project.check()


def test_removed_tool_is_removed_everywhere_and_edits_still_merge(project: Project) -> None:
    """Scenario 6: dropping ``search`` deletes its activity module, its lines in
    tools/__init__.py and in the (hand-edited) workflow."""
    project.insert_before(
        BOSS,
        "        # 1. Plan: the model must answer with a write_todos call.\n",
        '        workflow.logger.info("starting")  # mine\n',
    )
    project.commit("my edit")
    data = definition()
    data["agents"]["boss"]["tools"] = ["add"]
    del data["tools"]["search"]
    project.set_definition(data)

    result = project.build()

    assert f"removed {PACKAGE}/tools/search.py" in result.stdout
    assert f"updated {BOSS} (merged your edits)" in result.stdout
    assert f" D {PACKAGE}/tools/search.py" in project.status()
    added, removed = project.added_removed(TOOLS_INIT)
    assert added == []
    assert removed == ["from demo_agent.tools import search", "    search.search_activity,"]
    text = project.read(BOSS)
    ast.parse(text)
    assert '        workflow.logger.info("starting")  # mine\n' in text
    assert "search" not in text.replace("write_todos", "")
    added, removed = project.added_removed(BOSS)
    assert added == ['                        "Available: write_todos, add, helper."']
    assert "    from demo_agent.tools.search import search_activity" in removed
    assert '                case "search":' in removed
    assert "search" not in project.read(AGENTS)
    project.check()


def test_edited_managed_file_force_and_eject(project: Project) -> None:
    """Scenario 7: a hand edit of a managed file stops the build (exit 4, nothing written);
    --force overwrites it; after ``eject`` builds leave the file alone."""
    edit = "\n# tuned by hand\n"
    project.write(AGENTS, project.read(AGENTS) + edit)
    data = definition()
    data["agents"]["boss"]["max_steps"] = 11  # something else for the build to write
    project.set_definition(data)
    project.commit("hand edit of a managed file")
    before = project.snapshot()

    refused = project.build(expect=4)

    assert project.snapshot() == before
    assert f"error[DG504]: {AGENTS} is managed by dagent-gen but was edited by hand" in (
        refused.stderr
    )
    assert "nothing was written" in refused.stderr

    forced = project.build("--force")

    assert f"updated {AGENTS} (overwrote your edit (--force))" in forced.stdout
    assert "tuned by hand" not in project.read(AGENTS)
    assert "MAX_STEPS = 11" in project.read(BOSS)
    project.commit("forced build")

    # Edit again, and make the file the user's.
    project.write(AGENTS, project.read(AGENTS) + edit)
    project.cli("eject", AGENTS)
    head = project.read(AGENTS).splitlines()[:2]
    assert head == [
        "# Generated by dagent-gen from dagent.toml, then ejected: this file is",
        "# yours now and `dagent-gen build` never touches it.",
    ]
    assert json.loads(project.read(LOCK))["files"][AGENTS]["ownership"] == "ejected"
    assert f"{AGENTS} linguist-generated" not in project.read(".gitattributes")
    project.check()  # ejecting leaves a consistent state, no rebuild needed
    project.commit("eject")
    ejected = project.path(AGENTS).read_bytes()
    data["agents"]["boss"]["system_prompt"] = "You lead. Plan first, then delegate."
    project.set_definition(data)  # would change agents.py if it were still generated

    project.build()

    assert project.path(AGENTS).read_bytes() == ejected
    assert AGENTS not in project.changed()
    project.check()
