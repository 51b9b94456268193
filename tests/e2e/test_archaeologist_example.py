"""examples/03_code_archaeologist runs offline with ``dagent-gen run``: the archaeologist
delegates to the scribe, whose read-write filesystem (root ``reports``) gets the report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dagent_gen.testing import TemporalDevServer

from .support import copy_example, subprocess_env

pytestmark = pytest.mark.e2e

TASK = 'Survey the legacy code and write the report to "survey.md"'  # the one in dagent.toml


def test_example_runs_offline_and_writes_the_report(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    project = copy_example("03_code_archaeologist", tmp_path / "project", "code_archaeologist")
    assert TASK in (project.root / "dagent.toml").read_text(encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"  # roots resolve against the project, not the caller
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "run", str(project.root), TASK],
        cwd=elsewhere,
        env=subprocess_env(temporal_server),  # no OPENAI_*: the offline model
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "sub-agent scribe" in result.stderr
    assert "write_file" in result.stderr
    assert (project.root / "reports" / "survey.md").is_file()
    assert not (elsewhere / "reports").exists()
    assert "Offline model" in result.stdout
