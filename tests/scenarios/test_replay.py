"""Replay-safety warnings when a rebuild changes the commands a workflow issues (scenario 12)."""

from __future__ import annotations

import ast

from tests.scenarios.helpers import BOSS, Project, definition, with_tool

PLAN_COMMENT = "        # 1. Plan: the model must answer with a write_todos call.\n"
USER_ACTIVITY = (
    "        await workflow.execute_activity(  # mine: warm the search index first\n"
    "            search,\n"
    '            {"query": input.task},\n'
    "            start_to_close_timeout=timedelta(seconds=30),\n"
    "        )\n"
)


def _dg520(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "warning[DG520]" in line]


def test_command_sequence_changes_warn_with_the_patched_hint(project: Project) -> None:
    """Scenario 12. The user's own extra activity in ``run`` is already on disk, so it is not
    something the build changes: no warning for ``run``. The generator's new tool only adds a
    dispatch branch for an activity the old code never called (no path an existing execution
    took changes): no warning either. Later, ``--conflict theirs`` drops the user's activity
    from ``run``: warned, naming ``run``, pointing at ``workflow.patched``."""
    project.insert_before(BOSS, PLAN_COMMENT, USER_ACTIVITY)
    project.commit("my extra activity in run")
    project.set_definition(with_tool(definition(), "boss", "echo"))

    added = project.build()

    assert _dg520(added.stderr) == [], added.stderr
    assert USER_ACTIVITY in project.read(BOSS)
    project.commit("built")

    # The boss stops planning: the generator rewrites run(), where the user's activity is.
    data = with_tool(definition(), "boss", "echo")
    data["agents"]["boss"]["planning"] = False
    project.set_definition(data)
    project.build(expect=5)
    dropped = project.build("--conflict", "theirs")

    text = project.read(BOSS)
    ast.parse(text)
    assert USER_ACTIVITY not in text
    run_warnings = [
        line for line in _dg520(dropped.stderr) if "BossWorkflow._agent:" in line
    ]  # run() delegates to _agent()
    assert len(run_warnings) == 1, dropped.stderr
    assert "activity 'search' removed" in run_warnings[0]
    assert "workflow.patched" in dropped.stderr


def test_reordering_tools_only_reorders_match_cases_no_warning(project: Project) -> None:
    """Issue 10 item 3: the order of ``match`` cases changes no path an execution can take."""
    data = definition()
    data["agents"]["boss"]["tools"] = ["add", "search"]
    project.set_definition(data)

    built = project.build()

    assert BOSS in built.stdout  # the dispatch really was rewritten
    text = project.read(BOSS)
    assert text.index('case "add"') < text.index('case "search"')
    assert _dg520(built.stderr) == [], built.stderr


def test_flipping_planning_changes_the_command_paths_and_warns(project: Project) -> None:
    """Issue 10 item 3: without planning, ``run`` no longer issues the planning model call
    (through ``self._call_model`` / ``self._run_tools``): the paths change, so DG520."""
    data = definition()
    data["agents"]["boss"]["planning"] = False
    project.set_definition(data)

    built = project.build()

    warnings = [
        line for line in _dg520(built.stderr) if "BossWorkflow._agent:" in line
    ]  # run() delegates to _agent()
    assert len(warnings) == 1, built.stderr
    assert "self._call_model()" in warnings[0] or "self._run_tools()" in warnings[0]
    assert "workflow.patched" in built.stderr
