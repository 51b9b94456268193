"""Providers by prefix: each agent's calls go to its provider's endpoint with its provider's key.

The generated worker runs against the scripted server through each provider's endpoint override
variable (``OPENROUTER_BASE_URL``, ``OLLAMA_BASE_URL``, ...), so the test sees which URL, model
name and ``Authorization`` header the real ``openai`` client sent.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowFailureError

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, text

from .support import (
    EventLog,
    Project,
    StartWorker,
    connect,
    fetch_history,
    run_agent,
    unique,
    write_project,
)

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "provider_agents"

[agents.router]
model = "openrouter:meta-llama/llama-3.1-8b-instruct:free"
system_prompt = "You route through OpenRouter."
planning = false

[agents.local]
model = "ollama:qwen2.5:7b"
system_prompt = "You run on a local Ollama."
planning = false

[agents.claude]
model = "anthropic:claude-sonnet-4-5"
system_prompt = "You are Claude."
planning = false
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("providers") / "project"
    return write_project(root, "provider_agents", DEFINITION, {})


def test_an_openrouter_agent_sends_the_openrouter_key_to_the_openrouter_endpoint(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    openrouter_key = unique("sk-or-SECRET")
    model_server.add(text("Routed.", agent="OpenRouter"), text("Local.", agent="Ollama"))
    # OPENAI_BASE_URL points at the scripted server too (start_worker sets it): only the
    # OpenRouter variables decide where the router agent's calls go, and with which key
    worker = start_worker(
        project,
        env={
            "OPENROUTER_BASE_URL": model_server.base_url,
            "OPENROUTER_API_KEY": openrouter_key,
            "OLLAMA_BASE_URL": model_server.base_url,
        },
    )

    output, history = run_agent(
        temporal_server, "router", "Hi.", task_queue=worker.task_queue, workflow_id=unique("r")
    )
    assert output["answer"] == "Routed."
    local, _ = run_agent(
        temporal_server, "local", "Hi.", task_queue=worker.task_queue, workflow_id=unique("l")
    )
    assert local["answer"] == "Local."

    assert model_server.violations == []
    assert [request["model"] for request in model_server.requests] == [
        "meta-llama/llama-3.1-8b-instruct:free",  # the name after the first colon, as written
        "qwen2.5:7b",
    ]
    assert model_server.authorizations == [f"Bearer {openrouter_key}", "Bearer no-key"]
    assert worker.api_key not in str(model_server.authorizations)  # not OPENAI_API_KEY
    history.assert_healthy()
    assert openrouter_key not in str(history.events)  # keys never enter history


def test_a_provider_without_its_key_fails_at_once_naming_the_variable(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    # ANTHROPIC_BASE_URL is set, ANTHROPIC_API_KEY is not; OPENAI_API_KEY is, and must not do
    worker = start_worker(project, env={"ANTHROPIC_BASE_URL": model_server.base_url})
    workflow_id = unique("claude")

    async def run() -> EventLog:
        client = await connect(temporal_server)
        with pytest.raises(WorkflowFailureError):
            await client.execute_workflow(
                "claude", {"task": "Hi."}, id=workflow_id, task_queue=worker.task_queue
            )
        return await fetch_history(client, workflow_id)

    history = asyncio.run(run())
    assert model_server.requests == []
    assert history.failed_activities() == [("call_model", "ModelConfigurationError", True)]
    failure = history.of("WORKFLOW_EXECUTION_FAILED")[0]
    message = failure.workflow_execution_failed_event_attributes.failure.cause.message
    assert message == "ANTHROPIC_API_KEY is not set in the worker's environment"
