"""``local = true`` tools and the idempotency key of tool calls, on a real server.

A local tool runs as a local activity: its result reaches the model, and history records it as
a marker, not as an activity task. A tool that raises on its first attempt is retried, and both
attempts see the same idempotency key (docs/reliability.md, "Tools run at least once"), for a
normal and for a local tool.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import (
    EventLog,
    Project,
    StartWorker,
    Worker,
    answered_calls,
    run_agent,
    subprocess_env,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "local_agent"

[agents.quickie]
system_prompt = "You use quick tools."
planning = false
tools = ["quick", "flaky", "flaky_local", "nap"]

[tools.quick]
function = "local_tools:quick"
timeout = "5s"
local = true

[tools.flaky]
function = "local_tools:flaky"
retries = 2

[tools.flaky_local]
function = "local_tools:flaky_local"
retries = 2
local = true

[tools.nap]
function = "local_tools:nap"
timeout = "3s"
retries = 0
local = true
"""

TOOLS = '''
"""Quick tools; the flaky ones record their idempotency key and fail their first attempt."""

import json
import time
from pathlib import Path

from temporalio import activity

KEYS = Path(__file__).with_name("keys.jsonl")
NAPS = Path(__file__).with_name("naps")


def idempotency_key() -> str:
    """The same for every attempt of one tool call (the worked example of reliability.md)."""
    info = activity.info()
    return f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"


def quick(word: str) -> str:
    """Shout a word.

    Args:
        word: The word.
    """
    return word.upper() + "!"


def _record_then_fail_once(tool: str, tag: str) -> str:
    key = idempotency_key()
    attempt = activity.info().attempt
    with KEYS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"tool": tool, "tag": tag, "key": key, "attempt": attempt}) + "\\n")
    if attempt == 1:
        raise ConnectionError("the first attempt always fails")
    return f"{tool} {tag} done on attempt {attempt}"


def flaky(tag: str) -> str:
    """Fail once, then work.

    Args:
        tag: A label.
    """
    return _record_then_fail_once("flaky", tag)


def flaky_local(tag: str) -> str:
    """Fail once, then work (as a local activity).

    Args:
        tag: A label.
    """
    return _record_then_fail_once("flaky_local", tag)


def nap(n: int) -> int:
    """Take a second (a plain function: it needs a thread), leaving a mark per run.

    Args:
        n: A number to return.
    """
    time.sleep(1.0)
    with (NAPS / str(n)).open("a", encoding="utf-8") as marks:
        marks.write("ran\\n")
    return n
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("local") / "project"
    return write_project(root, "local_agent", DEFINITION, {"local_tools": TOOLS})


def local_activity_types(history: EventLog) -> list[str]:
    """The activity type of every local-activity marker, in history order."""
    types = []
    for event in history.of("MARKER_RECORDED"):
        attributes = event.marker_recorded_event_attributes
        data = attributes.details["data"].payloads[0].data
        types.append(json.loads(data)["activity_type"])
    return types


def test_local_tool_result_reaches_the_model_and_is_a_marker(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(tool_calls(call("quick", {"word": "fast"})), text("It said FAST!"))
    worker = start_worker(project)
    output, history = run_agent(
        temporal_server,
        "quickie",
        "Shout.",
        task_queue=worker.task_queue,
        workflow_id=unique("local"),
    )
    assert output["answer"] == "It said FAST!"
    assert model_server.violations == []
    [(name, arguments, observation)] = answered_calls(model_server.requests[1])
    assert (name, arguments, observation) == ("quick", {"word": "fast"}, "FAST!")

    history.assert_healthy()
    assert local_activity_types(history) == ["quick"]
    assert "quick" not in history.scheduled_activities()
    assert set(history.scheduled_activities()) == {"call_model"}


def test_retried_calls_see_one_idempotency_key(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(
        tool_calls(
            call("flaky", {"tag": "a"}),
            call("flaky", {"tag": "b"}),
            call("flaky_local", {"tag": "c"}),
        ),
        text("All done."),
    )
    keys_file = project.root / "keys.jsonl"
    keys_file.unlink(missing_ok=True)
    worker = start_worker(project)
    workflow_id = unique("idem")
    output, history = run_agent(
        temporal_server, "quickie", "Retry.", task_queue=worker.task_queue, workflow_id=workflow_id
    )
    assert output["answer"] == "All done."
    observations = {obs for _, _, obs in answered_calls(model_server.requests[1])}
    assert observations == {
        "flaky a done on attempt 2",
        "flaky b done on attempt 2",
        "flaky_local c done on attempt 2",
    }

    records: list[dict[str, Any]] = [
        json.loads(line) for line in keys_file.read_text(encoding="utf-8").splitlines()
    ]
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_tag.setdefault(record["tag"], []).append(record)
    assert sorted(by_tag) == ["a", "b", "c"]
    for tag, attempts in by_tag.items():
        assert [r["attempt"] for r in attempts] == [1, 2], tag
        first, second = (r["key"] for r in attempts)
        assert first == second, tag  # stable across the retry
        assert first.startswith(f"{workflow_id}/"), first
    keys = {attempts[0]["key"] for attempts in by_tag.values()}
    assert len(keys) == 3  # and different for different calls, local or not

    history.assert_healthy()
    assert history.started_attempts("flaky") == [2, 2]  # one started event per call
    assert local_activity_types(history) == ["flaky_local"]


NAP_CALLS = 8  # four times the worker's 2 slots


def test_sync_local_tools_never_time_out_waiting_for_a_thread(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> None:
    """A worker with 2 slots takes at most 2 local tools at once and has a thread for each:
    8 one-second calls with a 3 s timeout all finish, each run once (the SDK's own default of
    local-activity slots would let all 8 wait for 2 threads and time out)."""
    naps = project.root / "naps"
    shutil.rmtree(naps, ignore_errors=True)
    naps.mkdir()
    model_server.add(
        tool_calls(*(call("nap", {"n": n}) for n in range(NAP_CALLS))), text("Rested.")
    )
    env = subprocess_env(
        temporal_server,
        OPENAI_BASE_URL=model_server.base_url,
        OPENAI_API_KEY="sk-test",
        DAGENT_MAX_ACTIVITIES="2",
    )
    worker = Worker(project, unique("naps"), "sk-test", env, tmp_path / "worker.log").start()
    try:
        output, history = run_agent(
            temporal_server,
            "quickie",
            "Nap.",
            task_queue=worker.task_queue,
            workflow_id=unique("nap"),
        )
    finally:
        worker.stop()
    observations = [obs for _, _, obs in answered_calls(model_server.requests[1])]
    assert observations == [str(n) for n in range(NAP_CALLS)]
    assert output["answer"] == "Rested."
    marks = {path.name: path.read_text(encoding="utf-8") for path in naps.iterdir()}
    assert marks == {str(n): "ran\n" for n in range(NAP_CALLS)}  # each call ran exactly once
    assert local_activity_types(history) == ["nap"] * NAP_CALLS
