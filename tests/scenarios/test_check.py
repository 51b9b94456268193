"""``dagent-gen check``: one exit code per situation, text and JSON (scenario 9)."""

from __future__ import annotations

import json
from typing import Any

from tests.scenarios.helpers import (
    AGENTS,
    BOSS,
    HELPER,
    PACKAGE,
    Project,
    Result,
    definition,
)

CLIENT = f"{PACKAGE}/client.py"
SEARCH_ACTIVITY = f"{PACKAGE}/tools/search.py"


def _json(result: Result) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(result.stdout)
    assert set(payload) == {"status", "exit_code", "files", "diagnostics", "fix"}
    assert payload["exit_code"] == result.code
    return payload


def test_check_exit_codes(project: Project) -> None:
    """Scenario 9: clean 0, stale 3 (changed / missing / extra), edited managed file 4,
    conflict markers 5, broken definition 1; nothing is ever written."""
    committed = project.snapshot()

    clean = project.check()
    assert "generated code is up to date" in clean.stdout

    # Stale after a definition change: the files, and the command that fixes them.
    data = definition()
    data["agents"]["helper"]["max_steps"] = 8
    project.set_definition(data)
    stale = project.check(expect=3)
    assert f"stale: {HELPER}" in stale.stderr
    assert "stale: .dagent/lock.json" in stale.stderr
    assert stale.stderr.rstrip().endswith("to fix: dagent-gen build")
    project.reset()

    # A generated file deleted: missing (JSON output).
    project.path(CLIENT).unlink()
    missing = _json(project.check("--format", "json", expect=3))
    assert missing["status"] == "stale"
    assert {"kind": "missing", "path": CLIENT} in missing["files"]
    assert missing["fix"] == "dagent-gen build"
    project.reset()

    # A tool removed from the definition, not rebuilt: its activity module is extra.
    data = definition()
    data["agents"]["boss"]["tools"] = ["add"]
    del data["tools"]["search"]
    project.set_definition(data)
    extra = project.check(expect=3)
    assert f"extra: {SEARCH_ACTIVITY}" in extra.stderr
    assert f"stale: {BOSS}" in extra.stderr
    project.reset()

    # A managed file edited by hand (JSON output).
    project.write(AGENTS, project.read(AGENTS) + "# a hand edit\n")
    edited = _json(project.check("--format", "json", expect=4))
    assert edited["status"] == "edited"
    assert edited["files"] == [{"kind": "edited", "path": AGENTS}]
    assert [d["code"] for d in edited["diagnostics"]] == ["DG504"]
    assert "dagent-gen eject FILE" in edited["fix"] and "--force" in edited["fix"]
    project.reset()

    # Conflict markers left in a workflow module (say, by a git merge).
    text = project.read(HELPER)
    project.write(
        HELPER,
        text.replace(
            "MAX_STEPS = 5",
            "<<<<<<< HEAD\nMAX_STEPS = 5\n=======\nMAX_STEPS = 6\n>>>>>>> other\nMAX_STEPS = 5",
        ),
    )
    markers = project.check(expect=5)
    assert f"error[DG506]: {HELPER} still has conflict markers" in markers.stderr
    assert f"conflict-markers: {HELPER}" in markers.stderr
    assert "to fix: resolve the conflict markers, then `dagent-gen build`" in markers.stderr
    project.reset()

    # A broken definition (JSON output): an agent uses a tool that is not defined.
    data = definition()
    data["agents"]["helper"]["tools"] = ["add", "nope"]
    project.set_definition(data)
    broken = _json(project.check("--format", "json", expect=1))
    assert broken["status"] == "definition-error"
    assert broken["files"] == []
    assert any("nope" in d["message"] for d in broken["diagnostics"])
    assert all(d["severity"] in ("error", "warning") for d in broken["diagnostics"])
    project.reset()

    assert project.snapshot() == committed
