"""OpenTelemetry tracing of the generated worker on the real server (``DAGENT_TRACING=1``).

The worker runs as a subprocess, as users run it, with ``OTEL_TRACES_EXPORTER=console``: it
prints each finished span as JSON on stdout, which the test reads back from the worker's log.
Without ``DAGENT_TRACING`` the same worker prints none.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, Worker, run_agent, subprocess_env, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "traced_agent"

[agents.tracer]
system_prompt = "You look things up."
planning = false
tools = ["lookup"]

[tools.lookup]
function = "traced_tools:lookup"
"""

TOOLS = '''
def lookup(key: str) -> str:
    """Look a key up.

    Args:
        key: What to look up.
    """
    return f"value of {key}"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("traced") / "project"
    return write_project(root, "traced_agent", DEFINITION, {"traced_tools": TOOLS})


def spans_in(log: str) -> list[dict[str, Any]]:
    """The JSON objects the console exporter printed (one span each, over several lines)."""
    decoder = json.JSONDecoder()
    spans, index = [], log.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(log, index)
        except json.JSONDecodeError:
            index = log.find("{", index + 1)
            continue
        if isinstance(value, dict) and "context" in value and "name" in value:
            spans.append(value)
        index = log.find("{", end)
    return spans


def run_traced(
    project: Project,
    temporal: TemporalDevServer,
    model: ScriptedModelServer,
    log_path: Path,
    **env: str,
) -> tuple[dict[str, Any], str]:
    model.add(tool_calls(call("lookup", {"key": "k"})), text("Found it."))
    worker = Worker(
        project=project,
        task_queue=unique("e2e-traced"),
        api_key="sk-test-tracing",
        env=subprocess_env(
            temporal, OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="sk-test-tracing", **env
        ),
        log_path=log_path,
    ).start()
    try:
        output, history = run_agent(
            temporal, "tracer", "Look k up.",
            task_queue=worker.task_queue, workflow_id=unique("traced"),
        )  # fmt: skip
        history.assert_healthy()
        time.sleep(0.5)  # the console exporter prints as each span ends
    finally:
        worker.stop()
    return output, worker.log()


def test_the_worker_emits_spans_for_the_workflow_and_its_activities(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> None:
    output, log = run_traced(
        project, temporal_server, model_server, tmp_path / "traced.log",
        DAGENT_TRACING="1", OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="traced-worker",
    )  # fmt: skip
    assert output["answer"] == "Found it."
    assert model_server.violations == []
    spans = spans_in(log)
    names = {span["name"] for span in spans}
    assert "RunWorkflow:tracer" in names, sorted(names)
    assert {"RunActivity:call_model", "RunActivity:lookup"} <= names, sorted(names)
    assert {"StartActivity:call_model", "StartActivity:lookup"} <= names, sorted(names)
    traces = {span["context"]["trace_id"] for span in spans if span["name"].endswith(":lookup")}
    assert len(traces) == 1  # the activity's spans belong to one trace (the workflow's)
    run = next(span for span in spans if span["name"] == "RunActivity:lookup")
    assert run["resource"]["attributes"]["service.name"] == "traced-worker"


def test_without_dagent_tracing_no_span_is_emitted(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> None:
    output, log = run_traced(
        project, temporal_server, model_server, tmp_path / "untraced.log",
        OTEL_TRACES_EXPORTER="console",
    )  # fmt: skip
    assert output["answer"] == "Found it."
    assert spans_in(log) == []
