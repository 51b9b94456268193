"""Merging hand edits of workflow modules with regenerated code (scenarios 1-4 and 16)."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

from dagent_gen.reconcile import Action, ConflictMode, Kept, Plan, plan_build
from dagent_gen.render import GeneratedFile, Ownership
from dagent_gen.state import Lock, LockedFile, LockedOwnership, base_path, sha256
from tests.scenarios.helpers import (
    BOSS,
    HELPER,
    LOCK,
    Project,
    base_of,
    definition,
    with_tool,
)

USER_LOG = '        workflow.logger.info("boss run starts")  # my edit\n'
PLAN_COMMENT = "        # 1. Plan: the model must answer with a write_todos call.\n"


def test_edit_inside_the_loop_merges_with_a_generator_change(project: Project) -> None:
    """Scenario 1: a user edit in ``run`` and generator changes elsewhere both land."""
    project.insert_before(BOSS, PLAN_COMMENT, USER_LOG)
    project.commit("my edit in the loop")
    data = with_tool(definition(), "boss", "echo")
    data["agents"]["boss"]["max_steps"] = 12
    project.set_definition(data)
    project.commit("definition: a new tool and more steps")

    result = project.build()

    assert f"updated {BOSS} (merged your edits)" in result.stdout
    text = project.read(BOSS)
    ast.parse(text)
    assert USER_LOG + PLAN_COMMENT in text
    assert "MAX_STEPS = 12  #" in text
    assert 'case "echo":' in text
    assert "    from demo_agent.tools.echo import echo_activity\n" in text
    # The build's diff of the workflow is the generator's change only; the user line stays.
    added, removed = project.added_removed(BOSS)
    assert removed == [
        "MAX_STEPS = 10  # model calls per run, the final answer included",
        '                        "Available: write_todos, search, add, helper."',
    ]
    assert USER_LOG.rstrip("\n") not in added
    assert "MAX_STEPS = 12  # model calls per run, the final answer included" in added
    # The new base is the pristine output: the generator's changes, not the user's line.
    base = project.read(base_of(BOSS))
    assert "MAX_STEPS = 12" in base
    assert "my edit" not in base
    project.check()


def test_one_sided_and_identical_changes(project: Project) -> None:
    """Scenario 2: generator-only change applied, user-only edit kept byte for byte, the
    same change made on both sides is no conflict."""
    # Generator only: the helper file is untouched by the user.
    data = definition()
    data["agents"]["helper"]["max_steps"] = 7
    project.set_definition(data)
    project.commit("definition: helper gets 7 steps")
    project.build()
    added, removed = project.added_removed(HELPER)
    assert removed == ["MAX_STEPS = 5  # model calls per run, the final answer included"]
    assert added == ["MAX_STEPS = 7  # model calls per run, the final answer included"]
    assert project.read(HELPER) == project.read(base_of(HELPER))
    project.commit("build")

    # User only (helper) + the same edit on both sides (boss MAX_STEPS) + a user edit in boss.
    project.edit(
        HELPER,
        'BUDGET_PROMPT = "The step budget is used up. Answer now with what you have."\n',
        'BUDGET_PROMPT = "Out of steps: answer with what you have."  # mine\n',
    )
    project.edit(BOSS, "MAX_STEPS = 10  #", "MAX_STEPS = 12  #")
    project.insert_before(BOSS, "    def _say(self", "    # helpers below are mine to tune\n")
    data["agents"]["boss"]["max_steps"] = 12
    project.set_definition(data)
    project.commit("user edits, and the definition catches up on MAX_STEPS")
    helper_bytes = project.path(HELPER).read_bytes()
    boss_bytes = project.path(BOSS).read_bytes()

    result = project.build()

    assert "DG505" not in result.stderr
    assert project.path(HELPER).read_bytes() == helper_bytes
    assert project.path(BOSS).read_bytes() == boss_bytes  # merged text == what is on disk
    assert project.read(BOSS).count("MAX_STEPS = 12") == 1
    # Besides managed files that show max_steps, only the build state moved: the new pristine
    # base of boss.py and the lock.
    changed = project.changed()
    assert {base_of(BOSS), LOCK} <= changed
    ownership = json.loads(project.read(LOCK))["files"]
    assert all(
        ownership[path]["ownership"] == "managed" for path in changed - {base_of(BOSS), LOCK}
    )
    assert "MAX_STEPS = 12" in project.read(base_of(BOSS))
    assert "mine" not in project.read(base_of(BOSS))
    project.check()


def test_adjacent_inserts_conflict_and_nothing_is_written(project: Project) -> None:
    """Scenario 3: the user inserts a case exactly where the generator inserts another one."""
    project.insert_before(
        BOSS,
        '                case "helper":\n',
        '                case "legacy":\n                    return "legacy is gone"\n',
    )
    project.set_definition(with_tool(definition(), "boss", "echo"))
    project.commit("a user case, and a new tool in the definition")
    before = project.snapshot()

    result = project.build(expect=5)

    assert project.snapshot() == before  # every byte, the lock and the bases included
    assert project.status() == set()
    assert re.search(
        rf"^{re.escape(BOSS)}:\d+: error\[DG505\]: {re.escape(BOSS)}: conflict in "
        r"BossWorkflow\._run_tool: your edit and the generator's change overlap$",
        result.stderr,
        re.MULTILINE,
    ), result.stderr
    assert "nothing was written" in result.stderr
    assert "created" not in result.stdout and "updated" not in result.stdout


def test_import_edits_on_both_sides_are_kept(project: Project) -> None:
    """Scenario 4: the user adds imports, the generator adds a tool import: all of them stay."""
    project.edit(BOSS, "import asyncio\n", "import asyncio\nimport json\n")
    project.edit(
        BOSS,
        "    from demo_agent.workflows.helper import HelperWorkflow\n",
        "    from demo_agent.workflows.helper import HelperWorkflow\n"
        "    from demo_tools import add as plain_add\n",
    )
    project.commit("my imports")
    project.set_definition(with_tool(definition(), "boss", "echo"))

    project.build()

    text = project.read(BOSS)
    ast.parse(text)
    assert "import asyncio\nimport json\nfrom datetime import timedelta\n" in text
    assert (
        "    from demo_agent.tools.add import add_activity\n"
        "    from demo_agent.tools.echo import echo_activity\n"
        "    from demo_agent.tools.search import search_activity\n"
        "    from demo_agent.workflows.helper import HelperWorkflow\n"
        "    from demo_tools import add as plain_add\n"
    ) in text
    added, removed = project.added_removed(BOSS)
    assert "    from demo_agent.tools.echo import echo_activity" in added
    assert not [line for line in removed if "import" in line]


GUARD = (
    "        if self._steps > MAX_STEPS:  # written by an older generator\n"
    '            self._stop_reason = "max_steps"\n'
)
ANSWER_COMMENT = "\n        # 3. Answer, without tools.\n"
USER_ELIF = '        elif not self._todos:\n            self._say("nothing was planned")\n'


def test_clean_merge_that_does_not_parse_is_a_conflict(project: Project) -> None:
    """Scenario 16, through the CLI: the last generated text (an older generator's) had a guard
    ``if`` that the new output drops; the user hung an ``elif`` on it two lines further down.
    Line-wise the merge is clean; the result does not parse, so the build refuses."""
    fresh = project.read(BOSS)
    assert fresh.count(ANSWER_COMMENT) == 1
    base = fresh.replace(ANSWER_COMMENT, GUARD + ANSWER_COMMENT)  # right after the while loop
    disk = base.replace(ANSWER_COMMENT, ANSWER_COMMENT + USER_ELIF)
    ast.parse(base)
    ast.parse(disk)  # both sides are valid Python on their own
    project.write(base_of(BOSS), base)
    project.write(BOSS, disk)
    lock = json.loads(project.read(LOCK))
    lock["files"][BOSS]["sha256"] = hashlib.sha256(base.encode()).hexdigest()
    project.write(LOCK, json.dumps(lock, indent=2, sort_keys=True) + "\n")
    project.commit("state of an older generator, and my elif")
    before = project.snapshot()

    result = project.build(expect=5)

    assert project.snapshot() == before
    assert f"error[DG505]: {BOSS}: merging your edits with the new output gives invalid Python" in (
        result.stderr
    )
    assert "nothing was written" in result.stderr
    checked = project.check(expect=5)  # the exit code the next build would give
    assert f"conflict: {BOSS}" in checked.stderr
    assert "--conflict inline" in checked.stderr  # the next step that works, not a bare build

    kept = project.build("--conflict", "ours")  # the whole file is the conflict: keep mine

    assert f"updated {BOSS}" not in kept.stdout
    assert project.read(BOSS) == disk
    assert project.read(base_of(BOSS)) == fresh


def test_plan_build_treats_an_unparsable_clean_merge_as_a_conflict(tmp_path: Path) -> None:
    """Scenario 16, at the plan level: crafted base / disk / fresh texts."""
    path = "pkg/workflows/agent.py"
    base = "def old():\n    pass\n# ---\nx = 1\n"
    disk = "def old():\n    pass\n# ---\n    x = 1\n"  # continues old()'s body: valid on its own
    fresh = "# ---\nx = 1\n"  # the generator dropped old()
    ast.parse(disk)
    ast.parse(fresh)
    (tmp_path / base_path(path)).parent.mkdir(parents=True)
    (tmp_path / base_path(path)).write_text(base, encoding="utf-8")
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(disk, encoding="utf-8")

    def plan(mode: ConflictMode) -> Plan:
        old = Lock(generator="t", definition="dagent.toml", definition_sha256="0")
        old.files[path] = LockedFile(ownership=LockedOwnership.MERGED, sha256=sha256(base))
        new = Lock(generator="t", definition="dagent.toml", definition_sha256="1")
        file = GeneratedFile(path, fresh, Ownership.MERGED)
        return plan_build(tmp_path, [file], old, new, conflict_mode=mode)

    failed = plan(ConflictMode.FAIL)
    [item] = failed.files
    assert item.action is Action.KEEP and item.kept is Kept.CONFLICT
    assert [p.code for p in failed.problems] == ["DG505"]
    assert "invalid Python" in failed.problems[0].message
    assert "--conflict inline" in (failed.problems[0].hint or "")
    assert failed.changes() == []

    # The other modes settle the whole file, as the hint says.
    [inline] = plan(ConflictMode.INLINE).files
    assert inline.action is Action.UPDATE and inline.markers == 1
    assert inline.content == (
        f"<<<<<<< yours (on disk)\n{disk}||||||| last generated\n{base}=======\n{fresh}"
        ">>>>>>> newly generated\n"
    )
    ours = plan(ConflictMode.OURS)
    assert [f.action for f in ours.files] == [Action.UNCHANGED] and not ours.problems
    [theirs] = plan(ConflictMode.THEIRS).files
    assert theirs.action is Action.UPDATE and theirs.content == fresh
