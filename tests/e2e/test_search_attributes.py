"""Search attributes on the real server: runs are found by ``DagentAgent`` and ``DagentStatus``.

The test kit's dev server registers both attributes at start (``DAGENT_SEARCH_ATTRIBUTES``);
the project sets ``search_attributes = true``. A run waits for an approval, so the list query
finds it as ``waiting_approval`` first, then as ``done``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from temporalio.client import Client

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import Project, StartWorker, connect, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "searchable_agent"
search_attributes = true

[agents.deployer]
system_prompt = "You deploy."
planning = false
tools = ["deploy"]

[tools.deploy]
function = "searchable_tools:deploy"
approval = true
"""

TOOLS = '''
def deploy(target: str) -> str:
    """Deploy to a target.

    Args:
        target: Where to deploy.
    """
    return f"deployed to {target}"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("searchable") / "project"
    return write_project(root, "searchable_agent", DEFINITION, {"searchable_tools": TOOLS})


async def ids_matching(client: Client, query: str, expected: str, timeout: float = 30.0) -> None:
    """Wait until the (eventually consistent) visibility store lists ``expected`` for ``query``."""
    deadline = time.monotonic() + timeout
    while True:
        found = [execution.id async for execution in client.list_workflows(query)]
        if expected in found:
            return
        assert time.monotonic() < deadline, f"{query!r} did not list {expected}: {found}"
        await asyncio.sleep(0.2)


def test_runs_are_listed_by_agent_and_status(
    project: Project,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    model_server.add(tool_calls(call("deploy", {"target": "prod"}, id="d1")), text("Deployed."))
    worker = start_worker(project)
    workflow_id = unique("searchable")

    async def run() -> dict[str, Any]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "deployer", {"task": "Deploy to prod."}, id=workflow_id,
            task_queue=worker.task_queue, result_type=dict,
        )  # fmt: skip
        waiting = "DagentAgent = 'deployer' AND DagentStatus = 'waiting_approval'"
        await ids_matching(client, waiting, workflow_id)
        await handle.execute_update("decide", {"id": "d1", "decision": "approve"}, result_type=str)
        output: dict[str, Any] = await handle.result()
        await ids_matching(
            client, "DagentAgent = 'deployer' AND DagentStatus = 'done'", workflow_id
        )
        other = [e.id async for e in client.list_workflows("DagentAgent = 'someone_else'")]
        assert workflow_id not in other
        description = await handle.describe()
        attributes = description.typed_search_attributes
        values = {pair.key.name: pair.value for pair in attributes}
        assert values["DagentAgent"] == "deployer" and values["DagentStatus"] == "done"
        return output

    output = asyncio.run(run())
    assert output["answer"] == "Deployed."
    assert model_server.violations == []
