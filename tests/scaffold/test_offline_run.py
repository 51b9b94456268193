"""A fresh project's own example works offline: `dagent-gen run . "What is 17 * 23?"` with no
model configured calls the calculator with the expression and answers 391 (issue 10.1)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dagent_gen.scaffold import new_project

RUN_TIMEOUT = 240.0


def free_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"  # closed again: nothing answers there


@pytest.mark.e2e
def test_the_scaffolds_example_answers_on_the_offline_model(tmp_path: Path) -> None:
    project, problems = new_project("calc", parent=tmp_path, format=None, defaults=True, data={})
    assert project is not None, [p.render() for p in problems]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TEMPORAL_"))}
    env["TEMPORAL_ADDRESS"] = free_address()  # nothing there: run starts its own dev server

    done = subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "run", ".", "What is 17 * 23?"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "OFFLINE" in done.stderr
    # the progress shows the calculator called with the task's expression, not the task text
    assert "calculate" in done.stderr, done.stderr
    assert json.dumps({"expression": "17 * 23"})[1:-1] in done.stderr, done.stderr
    assert "391" in done.stdout, done.stdout
