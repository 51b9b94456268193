"""The ``scaffold_install`` marker: slow tests that install a new project in a fresh venv.

They run by default (CI included); deselect them locally with ``-m "not scaffold_install"``.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "scaffold_install: `dagent-gen new`, then `uv sync` and `uv run pytest` in a fresh "
        "virtual environment (slow; needs uv and the package index)",
    )
    config.addinivalue_line(
        "markers",
        "records_history: `dagent-gen new` records the example run (starts a Temporal dev "
        "server); other scaffold tests skip the recording",
    )
