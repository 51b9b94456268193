"""The generated client's `run` command line on a start the server refuses: a clear message and
exit status 2, never a traceback."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from dagent_gen.testing import TemporalDevServer

from .support import Project, connect, subprocess_env, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "client_errors_agent"

[agents.helper]
system_prompt = "You help."
planning = false
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("client_errors") / "project"
    return write_project(root, "client_errors_agent", DEFINITION, {})


def run_client(
    project: Project, temporal: TemporalDevServer, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "client_errors_agent.client", *args],
        cwd=project.root,
        env=subprocess_env(temporal, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("follow", [[], ["--follow"]], ids=["wait", "follow"])
def test_an_id_that_is_already_running(
    project: Project, temporal_server: TemporalDevServer, follow: list[str]
) -> None:
    workflow_id, queue = unique("helper"), unique("no-worker")

    async def start() -> None:  # no worker polls this queue: the run stays open
        client = await connect(temporal_server)
        await client.start_workflow("helper", {"task": "hi"}, id=workflow_id, task_queue=queue)

    asyncio.run(start())
    done = run_client(project, temporal_server, "--id", workflow_id, *follow, "Say hi.")
    assert done.returncode == 2, done.stderr
    assert f"workflow {workflow_id!r} is already running" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_namespace_the_server_does_not_know(
    project: Project, temporal_server: TemporalDevServer
) -> None:
    done = run_client(project, temporal_server, "Say hi.", TEMPORAL_NAMESPACE="no-such-namespace")
    assert done.returncode == 2, done.stderr
    assert "cannot run agent 'helper'" in done.stderr and "no-such-namespace" in done.stderr
    assert "Traceback" not in done.stderr
