"""Generated code passes ruff (lint + format) and mypy --strict, and never imports dagent_gen."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [
    ROOT / "examples" / "01_research_agent",
    ROOT / "examples" / "02_planner_subagents",
    ROOT / "tests" / "golden" / "expected" / "minimal",
    ROOT / "tests" / "golden" / "expected" / "options",
]
PACKAGES = {
    "01_research_agent": "research_agent",
    "02_planner_subagents": "planner_agents",
    "minimal": "minimal_agent",
    "options": "options_agent",
}
RUFF_ISOLATED = [
    "--isolated",
    "--no-cache",
    "--line-length",
    "100",
    "--target-version",
    "py311",
]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_ruff_lint_and_format_clean(project: Path) -> None:
    package = PACKAGES[project.name]
    case = ROOT / "tests" / "golden" / "cases" / project.name
    local = sorted(p.stem for p in [*project.glob("*.py"), *case.glob("*.py")])
    first_party = ", ".join(f'"{name}"' for name in [package, *local])
    lint = _run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            *RUFF_ISOLATED,
            "--select",
            "E,F,W,I,B,UP,SIM,RUF",
            "--config",
            "lint.isort.force-single-line = true",
            "--config",
            f"lint.isort.known-first-party = [{first_party}]",
            package,
        ],
        project,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run(
        [sys.executable, "-m", "ruff", "format", "--check", *RUFF_ISOLATED, package], project
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_mypy_strict_clean(project: Path, tmp_path: Path) -> None:
    package = PACKAGES[project.name]
    work = tmp_path / "project"
    shutil.copytree(project, work)
    case = ROOT / "tests" / "golden" / "cases" / project.name
    if project.parent.name == "expected":  # the tools module lives with the case definition
        shutil.copytree(case, work, dirs_exist_ok=True)
    result = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "mypy"),
            "--python-version",
            "3.11",
            package,
        ],
        work,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_generated_code_never_imports_dagent_gen(project: Path) -> None:
    for path in (project / PACKAGES[project.name]).rglob("*.py"):
        assert "dagent_gen" not in path.read_text(encoding="utf-8"), path
