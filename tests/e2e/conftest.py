"""End-to-end infrastructure: build a project, run its generated worker, read workflow history.

The ``temporal_server`` (session scope, a real ``temporal server start-dev``) and
``model_server`` (function scope, a :class:`ScriptedModelServer`) fixtures come from the test
kit's pytest plugin, enabled for the whole suite in ``tests/conftest.py``.

A test builds a project with :func:`write_project` or :func:`copy_example` (both run
``dagent-gen build`` as a subprocess) and starts the generated worker with the
``start_worker`` fixture. Each worker is a subprocess bound to one model server (its
``OPENAI_BASE_URL``), so it lives as long as the test's ``model_server``; builds are shared per
module through module-scoped fixtures. Every worker is terminated at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer

from .support import Project, StartWorker, Worker, subprocess_env, unique


@pytest.fixture
def start_worker(
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> Iterator[StartWorker]:
    """Start generated workers bound to this test's model server; all stopped at teardown.

    ``start_worker(project, task_queue=None, env=None)``: a unique task queue unless one is
    given (pass the same queue to start a replacement worker); ``env`` adds variables (another
    provider's endpoint and key). The worker's ``api_key`` is a random ``sk-test-SECRET-...``
    string, so a test can look for it in history.
    """
    workers: list[Worker] = []

    def start(
        project: Project, task_queue: str | None = None, env: dict[str, str] | None = None
    ) -> Worker:
        api_key = unique("sk-test-SECRET")
        worker = Worker(
            project=project,
            task_queue=task_queue or unique(f"e2e-{project.package}"),
            api_key=api_key,
            env=subprocess_env(
                temporal_server,
                OPENAI_BASE_URL=model_server.base_url,
                OPENAI_API_KEY=api_key,
                **(env or {}),
            ),
            log_path=tmp_path / f"worker-{len(workers) + 1}.log",
        )
        workers.append(worker)
        return worker.start()

    try:
        yield start
    finally:
        pids = []
        for worker in workers:
            if worker.process is not None:
                pids.append(worker.process.pid)
            worker.stop()
        for pid in pids:  # no process left behind
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)
