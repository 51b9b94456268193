"""The new project's own tests, run as its user runs them (e2e: a real Temporal dev server).

- they test behaviour, not the scaffold's exact tool list: adding a tool the documented way
  keeps them green (issue 10.8);
- the replay test catches a workflow edit that would break recorded runs, naming the workflow
  and the history file, for the history `new` ships and for one recorded with the project's
  ``scripts/record_history.py`` (issue 12.7).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dagent_gen.scaffold import new_project
from dagent_gen.testing import TemporalDevServer

TIMEOUT = 300.0
NEW_TOOL = '''

def shout(text: str) -> str:
    """Repeat a text in capitals.

    Args:
        text: What to repeat.
    """
    return text.upper()
'''


def create(parent: Path, name: str) -> Path:
    dest, problems = new_project(name, parent=parent, format="toml", defaults=True, data={})
    assert dest is not None, [p.render() for p in problems]
    return dest


def env(**extra: str) -> dict[str, str]:
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENAI_", "TEMPORAL_", "PYTEST_"))
    }
    return keep | {"PYTHONDONTWRITEBYTECODE": "1"} | extra


def run(project: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=env(**extra),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args)


def add_an_activity_before_the_loop(workflow: Path) -> None:
    """A hand edit that changes the command sequence of every run."""
    source = workflow.read_text(encoding="utf-8")
    edited = source.replace(
        "        answer = await self._work()\n",
        "        await workflow.execute_activity(\n"
        '            calculate_activity, {"expression": "1 + 1"}, '
        "start_to_close_timeout=timedelta(seconds=10)\n"
        "        )\n"
        "        answer = await self._work()\n",
        1,
    )
    assert edited != source
    workflow.write_text(edited, encoding="utf-8")


@pytest.mark.e2e
def test_adding_a_tool_keeps_the_projects_tests_green(tmp_path: Path) -> None:
    project = create(tmp_path, "grows")
    tools = project / "grows_tools.py"
    tools.write_text(tools.read_text() + NEW_TOOL)
    definition = project / "dagent.toml"
    text = definition.read_text().replace('tools = ["calculate"]', 'tools = ["calculate", "shout"]')
    definition.write_text(text + '\n[tools.shout]\nfunction = "grows_tools:shout"\n')
    built = run(project, "-m", "dagent_gen.cli", "build", ".")
    assert built.returncode == 0, built.stdout + built.stderr

    done = pytest_in(project)

    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout), done.stdout


@pytest.mark.e2e
@pytest.mark.records_history
def test_a_workflow_edit_that_breaks_recorded_runs_fails_the_replay_test(
    tmp_path: Path, temporal_server: TemporalDevServer
) -> None:
    project = create(tmp_path, "replays")
    shipped = project / "tests" / "histories" / "assistant-example.json"
    events = json.loads(shipped.read_text())["events"]
    assert events[0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] == (
        "assistant"
    )
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    # a run of our own, recorded with the project's script
    address = {"TEMPORAL_ADDRESS": temporal_server.address}
    ran = run(project, "-m", "dagent_gen.cli", "run", ".", "What is 6 * 7?", **address)
    assert ran.returncode == 0 and "42" in ran.stdout, ran.stdout + ran.stderr
    (workflow_id,) = re.findall(r"started assistant \((\S+)\)", ran.stderr)
    recorded = run(
        project, "scripts/record_history.py", workflow_id, "--name", "six-times-seven", **address
    )
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert (project / "tests" / "histories" / "six-times-seven.json").is_file()
    before = pytest_in(project, "tests/test_replay.py")
    assert before.returncode == 0, before.stdout + before.stderr
    assert "2 passed" in before.stdout

    add_an_activity_before_the_loop(project / "replays" / "workflows" / "assistant.py")
    after = pytest_in(project, "tests/test_replay.py")

    assert after.returncode == 1, after.stdout + after.stderr
    for history in ("assistant-example.json", "six-times-seven.json"):
        expected = (
            f"workflow 'assistant' no longer replays the recorded history tests/histories/{history}"
        )
        assert expected in after.stdout, after.stdout
    assert "Nondeterminism" in after.stdout
