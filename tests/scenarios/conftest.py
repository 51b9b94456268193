"""Fixtures of the regeneration scenarios.

The default project is built once per session and copied into each test's ``tmp_path`` (with a
fresh repository whose first commit is that build), so a scenario only pays for the builds it
is about.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.helpers import (
    CLI_ENV,
    Project,
    create_project,
    definition,
    write_sources,
)


@pytest.fixture(scope="session", autouse=True)
def _byte_code_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CLI runs share byte code compiled once per session (see ``helpers.CLI_ENV``)."""
    saved = dict(CLI_ENV)
    CLI_ENV["PYTHONDONTWRITEBYTECODE"] = ""  # unset: write byte code, to the prefix
    CLI_ENV["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    yield
    CLI_ENV.clear()
    CLI_ENV.update(saved)


@pytest.fixture(scope="session")
def built_default(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project, built once per session (no repository yet)."""
    root = tmp_path_factory.mktemp("template") / "project"
    write_sources(root, definition()).build()
    return root


@pytest.fixture
def project(tmp_path: Path, built_default: Path) -> Project:
    """A copy of the built default project whose first commit is that build."""
    root = tmp_path / "project"
    shutil.copytree(built_default, root)
    result = Project(root)
    result.init_git()
    return result


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    """Build a project from a given definition in a new folder under ``tmp_path``."""
    count = 0

    def make(data: dict[str, Any] | None = None, name: str = "") -> Project:
        nonlocal count
        count += 1
        return create_project(tmp_path / (name or f"project{count}"), data)

    return make
