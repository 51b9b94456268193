"""Stage 1, load: read ``dagent.toml`` or ``dagent.py`` into plain data plus a source map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.load.python_file import load_python
from dagent_gen.load.source_map import KeyPath, SourceMap
from dagent_gen.load.toml_file import load_toml

DEFINITION_FILES = ("dagent.toml", "dagent.py")

__all__ = ["DEFINITION_FILES", "KeyPath", "SourceMap", "find_definition", "load_definition"]


def find_definition(path: Path) -> tuple[Path | None, list[Diagnostic]]:
    """The definition file for ``path``: the file itself, or the one inside the folder."""
    if path.is_file():
        return path, []
    if not path.is_dir():
        return None, [
            error(Code.UNREADABLE_DEFINITION, f"{path} does not exist", Location(str(path)))
        ]
    found = [path / name for name in DEFINITION_FILES if (path / name).is_file()]
    if len(found) == 1:
        return found[0], []
    if not found:
        return None, [
            error(
                Code.UNREADABLE_DEFINITION,
                f"no dagent.toml or dagent.py in {path}",
                Location(str(path)),
                "create one (`dagent-gen new NAME` scaffolds a project) or pass its path",
            )
        ]
    return None, [
        error(
            Code.UNREADABLE_DEFINITION,
            f"both dagent.toml and dagent.py are in {path}",
            Location(str(path)),
            "keep one definition per project, or pass the file to use",
        )
    ]


def load_definition(file: Path) -> tuple[dict[str, Any] | None, SourceMap, list[Diagnostic]]:
    if file.suffix == ".py":
        return load_python(file)
    return load_toml(file)
