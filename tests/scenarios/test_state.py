"""Stored state and review-friendliness: determinism, untouched files, dry runs,
``.gitattributes``, small diffs (scenarios 10, 11, 13, 14)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable

from tests.scenarios.helpers import (
    BOSS,
    HELPER,
    LOCK,
    PACKAGE,
    TOOLS_INIT,
    Project,
    base_of,
    definition,
    with_tool,
)

ECHO_ACTIVITY = f"{PACKAGE}/tools/echo.py"
BEGIN = "# >>> dagent-gen: generated files (managed by `dagent-gen build`) >>>"
END = "# <<< dagent-gen <<<"


def test_stored_state_is_deterministic_and_rebuilds_touch_nothing(
    project: Project, make_project: Callable[..., Project]
) -> None:
    """Scenario 10: two builds from scratch in two folders store identical bytes; a rebuild
    with no change writes nothing (timestamps included); a change rewrites only its files."""
    other = make_project(name="elsewhere")
    mine, theirs = project.snapshot(), other.snapshot()
    assert mine.keys() == theirs.keys()
    state = [path for path in mine if path.startswith(".dagent/")]
    assert sorted(state) == sorted([LOCK, base_of(BOSS), base_of(HELPER)])
    assert {path: mine[path] for path in state} == {path: theirs[path] for path in state}
    assert mine == theirs  # the generated code too
    text = project.read(LOCK)
    lock = json.loads(text)
    assert text == json.dumps(lock, indent=2, sort_keys=True) + "\n"
    assert list(lock["files"]) == sorted(lock["files"])
    assert str(project.root) not in text and str(other.root) not in text
    assert not re.search(r"20\d\d-\d\d-\d\d", text)  # no timestamps

    # No change: nothing is written, not even a timestamp.
    stamp = 1_000_000_000_000_000_000
    paths = [project.path(p) for p in mine]
    for path in paths:
        os.utime(path, ns=(stamp, stamp))
    result = project.build()
    assert re.search(rf"^{PACKAGE}: \d+ files, 0 changed$", result.stdout, re.MULTILINE)
    assert [p.stat().st_mtime_ns for p in paths] == [stamp] * len(paths)
    assert project.snapshot() == mine

    # One change: only the files it concerns are rewritten.
    data = definition()
    data["agents"]["helper"]["max_steps"] = 6
    project.set_definition(data)
    project.build()
    generated = [p for p in mine if p != "dagent.toml"]
    touched = {p for p in generated if project.path(p).stat().st_mtime_ns != stamp}
    assert touched == {p for p in generated if project.path(p).read_bytes() != mine[p]}
    assert {HELPER, base_of(HELPER), LOCK} <= touched
    assert BOSS not in touched and TOOLS_INIT not in touched


def test_diff_and_dry_run_print_the_build_and_write_nothing(project: Project) -> None:
    """Scenario 11: ``diff`` and ``build --dry-run`` print the same unified diff; applying it
    gives exactly what a build writes (``check`` passes)."""
    project.insert_before(
        BOSS,
        "        # 1. Plan: the model must answer with a write_todos call.\n",
        "        # my note\n",
    )
    project.set_definition(with_tool(definition(), "boss", "echo"))
    project.commit("edit + new tool")
    before = project.snapshot()

    diff = project.cli("diff")
    dry = project.build("--dry-run")

    assert project.snapshot() == before
    assert project.status() == set()
    assert diff.stdout == dry.stdout
    out = diff.stdout
    assert f"--- a/{BOSS}\n+++ b/{BOSS}\n" in out
    assert "+    from demo_agent.tools.echo import echo_activity\n" in out
    assert "my note" not in "".join(
        line for line in out.splitlines(keepends=True) if line.startswith(("+", "-"))
    )
    assert f"--- /dev/null\n+++ b/{ECHO_ACTIVITY}\n" in out
    assert f"--- a/{LOCK}\n+++ b/{LOCK}\n" in out
    assert "created" not in out and "changed" not in out.splitlines()[-1]

    patch = project.root.parent / "build.patch"
    patch.write_text(out, encoding="utf-8")
    project.git("apply", str(patch))
    project.check()


def test_gitattributes_block(project: Project) -> None:
    """Scenario 13: the block marks managed files and .dagent/**, not workflow modules; user
    lines around it survive rebuilds."""
    text = project.read(".gitattributes")
    assert text.startswith(BEGIN + "\n") and text.endswith(END + "\n")
    lines = text.splitlines()[1:-1]
    assert lines[0] == ".dagent/** linguist-generated=true"
    lock = json.loads(project.read(LOCK))["files"]
    managed = sorted(p for p, f in lock.items() if f["ownership"] == "managed")
    assert lines[1:] == [f"{path} linguist-generated=true" for path in managed]
    assert BOSS not in text and HELPER not in text
    attributes = project.git("check-attr", "linguist-generated", "--", BOSS, TOOLS_INIT, LOCK)
    assert f"{BOSS}: linguist-generated: unspecified" in attributes
    assert f"{TOOLS_INIT}: linguist-generated: true" in attributes
    assert f"{LOCK}: linguist-generated: true" in attributes

    mine_before, mine_after = "*.png binary\n", "docs/** linguist-documentation\n"
    project.write(".gitattributes", mine_before + text + mine_after)
    project.set_definition(with_tool(definition(), "boss", "echo"))
    project.commit("my attributes, and a new tool")

    project.build()

    updated = project.read(".gitattributes")
    assert updated.startswith(mine_before + BEGIN + "\n")
    assert updated.endswith(END + "\n" + mine_after)
    added, removed = project.added_removed(".gitattributes")
    assert (added, removed) == ([f"{ECHO_ACTIVITY} linguist-generated=true"], [])


def test_adding_a_tool_gives_a_small_diff(project: Project) -> None:
    """Scenario 14: adding one tool changes only lines about that tool (counted with
    ``git diff --numstat`` over the whole repository, .dagent/ excluded)."""
    project.set_definition(with_tool(definition(), "boss", "echo"))
    project.build()
    project.git("add", "-A")
    numstat = project.git("diff", "--cached", "--numstat", "--", ".", ":(exclude).dagent")
    rows = [line.split("\t") for line in numstat.splitlines()]
    counts = {path: (int(added), int(removed)) for added, removed, path in rows}
    print("\nadding one tool, git diff --numstat (excluding .dagent/):")
    for path, (added, removed) in sorted(counts.items()):
        print(f"  +{added:<3} -{removed:<3} {path}")
    total_added = sum(a for a, _ in counts.values())
    removed_elsewhere = sum(r for p, (_, r) in counts.items() if p != ECHO_ACTIVITY)
    print(f"  total: +{total_added}, -{removed_elsewhere} outside {ECHO_ACTIVITY}")

    assert counts[ECHO_ACTIVITY][1] == 0
    assert counts[TOOLS_INIT] == (2, 0)  # one import, one list entry
    assert counts[BOSS][1] <= 1  # only the "Available: ..." line is rewritten
    assert HELPER not in counts
    assert total_added < 80
    assert removed_elsewhere <= 3
    # Every line the build rewrote (rather than added) now names the tool.
    diff = project.git("diff", "--cached", "-U0", "--", ".", ":(exclude).dagent")
    hunks = re.findall(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,\d+)? @@\n((?:[-+].*\n?)*)", diff, re.M)
    for old_count, body in hunks:
        if old_count != "0":
            added_lines = [line for line in body.splitlines() if line.startswith("+")]
            assert any("echo" in line for line in added_lines), body
