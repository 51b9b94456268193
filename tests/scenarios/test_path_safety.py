"""Hostile build state: paths in ``.dagent/lock.json`` never reach outside the project.

The lock is collapsed in pull requests (linguist-generated), so a malicious change to it is easy
to merge unnoticed. Every entry that is not a plain project-relative path, or that resolves
outside the project (or, for a base, outside ``.dagent/base``), is a DG508 error: nothing is
deleted or written, by ``build``, ``check`` or ``eject``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.scenarios.helpers import LOCK, Project

VICTIM_TEXT = "precious\n"


def _plant(project: Project, path: str, ownership: str = "managed") -> None:
    lock = json.loads(project.read(LOCK))
    digest = hashlib.sha256(VICTIM_TEXT.encode()).hexdigest()
    lock["files"][path] = {"ownership": ownership, "sha256": digest}
    project.write(LOCK, json.dumps(lock, indent=2, sort_keys=True) + "\n")
    project.commit("a hostile lock")


def _refused(project: Project, victim: Path) -> None:
    before = project.snapshot()
    for command in (("build",), ("build", "--force"), ("check",)):
        result = project.cli(*command, expect=1)
        assert "error[DG508]" in result.stderr, result.output
        assert "removed" not in result.stdout
    assert project.snapshot() == before
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT


@pytest.mark.parametrize("form", ["parent", "absolute", "dot", "backslash"])
def test_lock_entries_outside_the_project_are_refused(project: Project, form: str) -> None:
    victim = project.root.parent / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    path = {
        "parent": "../victim.txt",
        "absolute": str(victim),
        "dot": "./../victim.txt",
        "backslash": "..\\victim.txt",
    }[form]
    _plant(project, path)
    _refused(project, victim)


def test_a_merged_entry_cannot_name_a_base_outside_dagent_base(project: Project) -> None:
    secret = project.root.parent / "dir" / "secret"
    secret.parent.mkdir()
    victim = secret.with_name("secret.base")
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    _plant(project, f"../../../../{secret.parent.name}/secret", ownership="merged")
    _refused(project, victim)


def test_a_symlink_inside_the_project_pointing_out_is_refused(project: Project) -> None:
    victim = project.root.parent / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    project.path("demo_agent/old.py").symlink_to(victim)
    _plant(project, "demo_agent/old.py")  # no longer generated and "unmodified": would go
    _refused(project, victim)


def test_eject_with_a_hostile_lock_touches_nothing(project: Project) -> None:
    victim = project.root.parent / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    _plant(project, "../victim.txt")
    before = project.snapshot()
    result = project.cli("eject", "../victim.txt", expect=1)
    assert "error[DG508]" in result.stderr
    assert project.snapshot() == before
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT


def test_a_generated_folder_symlinked_out_of_the_project_is_refused(project: Project) -> None:
    """The build writes generated files only inside the project, not through a symlink."""
    outside = project.root.parent / "elsewhere"
    tools = project.path("demo_agent/tools")
    tools.rename(outside)
    tools.symlink_to(outside, target_is_directory=True)
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    project.write("dagent.toml", project.read("dagent.toml").replace('"10s"', '"11s"'))
    result = project.build(expect=1)
    assert "error[DG508]" in result.stderr and "demo_agent/tools/" in result.stderr
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before
