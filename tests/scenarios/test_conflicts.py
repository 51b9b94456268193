"""One overlapping edit, every ``--conflict`` mode (scenario 8), and markers left on disk
(scenario 15)."""

from __future__ import annotations

import ast

from tests.scenarios.helpers import (
    BOSS,
    Project,
    base_of,
    definition,
    with_tool,
)

HELPER_CASE = '                case "helper":\n'
USER_CASE = '                case "legacy":\n                    return "legacy is gone"\n'
ECHO_CASE = '                case "echo":\n'
NEW_AVAILABLE = '"Available: write_todos, search, add, echo, helper."'


def _overlap(project: Project) -> None:
    """The user adds a case where the generator will add the ``echo`` case; committed, not
    built yet."""
    project.insert_before(BOSS, HELPER_CASE, USER_CASE)
    project.set_definition(with_tool(definition(), "boss", "echo"))
    project.commit("overlapping edits")


def test_conflict_modes(project: Project) -> None:
    """Scenario 8: fail, inline (then check / build refuse until resolved), ours, theirs."""
    _overlap(project)

    # fail (the default): exit 5, nothing written.
    before = project.snapshot()
    failed = project.build("--conflict", "fail", expect=5)
    assert project.snapshot() == before
    assert "BossWorkflow._run_tool" in failed.stderr

    # inline: diff3 markers with labels, exit 5 (like `git merge`); check and build say 5
    # until resolved.
    inline = project.build("--conflict", "inline", expect=5)
    assert f"updated {BOSS} (1 conflict(s) marked)" in inline.stdout
    assert f"wrote 1 conflict(s) with markers into 1 file(s): {BOSS}" in inline.stderr
    text = project.read(BOSS)
    block = text[text.index("<<<<<<< ") : text.index(HELPER_CASE)]
    assert block.splitlines()[0] == "<<<<<<< yours (on disk)"
    assert block.splitlines()[1:3] == USER_CASE.splitlines()
    assert block.splitlines()[3:5] == ["||||||| last generated", "======="]
    assert block.splitlines()[5] == ECHO_CASE.rstrip("\n")
    assert block.splitlines()[-1] == ">>>>>>> newly generated"
    assert NEW_AVAILABLE in text  # the clean part of the merge is applied
    assert "<<<<<<<" not in project.read(base_of(BOSS))  # the base stays pristine
    checked = project.check(expect=5)
    assert f"conflict-markers: {BOSS}" in checked.stderr
    assert "resolve the conflict markers, then `dagent-gen build`" in checked.stderr
    again = project.build(expect=5)
    assert f"error[DG506]: {BOSS} still has conflict markers" in again.stderr
    # Resolve by hand: keep both cases, drop the marker lines.
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("<<<<<<<", "|||||||", ">>>>>>>"))]
    resolved = "".join(line for line in kept if line != "=======\n")
    project.write(BOSS, resolved)
    ast.parse(resolved)
    done = project.build()
    assert f"{BOSS}" not in done.stdout  # nothing left to merge: the file is kept as it is
    assert project.read(BOSS) == resolved
    assert USER_CASE in resolved and ECHO_CASE in resolved
    project.check()

    # ours: the user's side of the conflicting hunk, the generator's other changes.
    project.reset()
    ours = project.build("--conflict", "ours")
    assert f"updated {BOSS} (conflicts resolved with yours)" in ours.stdout
    text = project.read(BOSS)
    ast.parse(text)
    assert USER_CASE in text and ECHO_CASE not in text
    assert NEW_AVAILABLE in text and "from demo_agent.tools.echo import echo_activity" in text
    assert "<<<<<<<" not in text

    # theirs: the generator's side of the conflicting hunk; user edits elsewhere stay.
    project.reset()
    project.edit(BOSS, "    def _say(self", "    # kept: not in conflict\n    def _say(self")
    theirs = project.build("--conflict", "theirs")
    assert f"updated {BOSS} (conflicts resolved with the generator's)" in theirs.stdout
    text = project.read(BOSS)
    ast.parse(text)
    assert ECHO_CASE in text and USER_CASE not in text
    assert "    # kept: not in conflict\n" in text
    assert text.replace("    # kept: not in conflict\n", "") == project.read(base_of(BOSS))


def test_unresolved_markers_block_every_mode(project: Project) -> None:
    """Scenario 15: markers on disk are never merged over, not even with --conflict theirs."""
    _overlap(project)
    project.build("--conflict", "inline", expect=5)
    project.commit("built with markers")
    before = project.snapshot()

    for mode in ("theirs", "ours"):
        result = project.build("--conflict", mode, expect=5)
        assert f"error[DG506]: {BOSS} still has conflict markers from an earlier build" in (
            result.stderr
        )
    assert project.snapshot() == before
    assert project.status() == set()


def test_every_step_of_the_conflict_flow_points_to_one_that_works(project: Project) -> None:
    """Issue 10 item 4: check -> diff (the conflicts, previewed) -> build --conflict inline
    (exit 5, markers written) -> resolve -> build, check (0). Each says what comes next, and
    check, diff and build agree on exit 5 while a conflict is pending."""
    _overlap(project)
    before = project.snapshot()

    checked = project.check(expect=5)
    assert f"conflict: {BOSS}" in checked.stderr
    assert "to fix: preview the conflicts with `dagent-gen diff`" in checked.stderr
    assert "--conflict inline" in checked.stderr
    assert "to fix: dagent-gen build\n" not in checked.stderr  # that build would exit 5

    preview = project.cli("diff", expect=5)
    assert f"+++ b/{BOSS}" in preview.stdout
    assert "+<<<<<<< yours (on disk)" in preview.stdout
    assert "+>>>>>>> newly generated" in preview.stdout
    assert "would write 1 conflict(s) with markers" in preview.stderr
    dry = project.build("--dry-run", "--conflict", "inline", expect=5)
    assert dry.stdout == preview.stdout
    assert project.snapshot() == before  # previews write nothing

    failed = project.build(expect=5)
    assert "`dagent-gen diff`" in failed.stderr  # in the DG505 hint and the final line
    assert "nothing was written; preview the conflicts" in failed.stderr
    assert project.snapshot() == before

    inline = project.build("--conflict", "inline", expect=5)
    assert "resolve them" in inline.stderr
    assert project.check(expect=5).stderr.count("conflict-markers:") == 1

    text = project.read(BOSS)
    kept = [
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(("<<<<<<<", "|||||||", ">>>>>>>", "======="))
    ]
    project.write(BOSS, "".join(kept))
    project.build()
    project.check()
    assert project.cli("diff").stdout == ""
