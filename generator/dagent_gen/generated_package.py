"""Importing a generated package into this process (``run``, tests, benchmarks).

The package is imported fresh from its project folder and forgotten afterwards, so a rebuild
in the same process never runs stale modules and two projects with one package name never mix.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class ImportedPackage:
    package: str

    def module(self, name: str) -> ModuleType:
        """``name`` of the package, e.g. ``"workflows"`` for ``<package>.workflows``."""
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def workflows(self) -> list[Any]:
        return list(self.module("all_workflows").ALL_WORKFLOWS)

    @property
    def activities(self) -> list[Any]:
        return list(self.module("tools").ALL_ACTIVITIES)


@contextlib.contextmanager
def imported_package(project_dir: Path, package: str) -> Iterator[ImportedPackage]:
    folder = str(project_dir.resolve())
    _forget(package)
    sys.path.insert(0, folder)
    try:
        yield ImportedPackage(package)
    finally:
        sys.path.remove(folder)
        _forget(package)


def _forget(package: str) -> None:
    for name in [n for n in sys.modules if n.split(".")[0] == package]:
        del sys.modules[name]
