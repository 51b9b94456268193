"""What a build remembers between runs, committed under ``.dagent/`` next to the definition.

- ``.dagent/lock.json``: generator version, definition file and hash, and for every generated
  file its ownership and the hash of what the generator last wrote (sorted, no timestamps).
- ``.dagent/base/<path>.base``: the pristine generated text of every *merged* file, the common
  ancestor of the next 3-way merge. The ``.base`` suffix keeps linters and test runners away.

Both are generated state: ``.gitattributes`` marks them ``linguist-generated`` so pull requests
collapse them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dagent_gen.diagnostics import Diagnostic, Location, error

STATE_DIR = ".dagent"
LOCK_FILE = f"{STATE_DIR}/lock.json"
BASE_DIR = f"{STATE_DIR}/base"
LOCK_VERSION = 1


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def base_path(path: str) -> str:
    """Where the pristine copy of the merged file ``path`` is kept (project-relative)."""
    return f"{BASE_DIR}/{path}.base"


class LockedFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ownership: str  # managed | merged | ejected
    sha256: str  # hash of the text the generator last produced for this file


class Lock(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lock_version: int = LOCK_VERSION
    generator: str
    definition: str
    definition_sha256: str
    files: dict[str, LockedFile] = Field(default_factory=dict)

    def dump(self) -> str:
        data = self.model_dump()
        data["files"] = {path: data["files"][path] for path in sorted(data["files"])}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def read_lock(project_dir: Path) -> tuple[Lock | None, list[Diagnostic]]:
    path = project_dir / LOCK_FILE
    if not path.exists():
        return None, []
    try:
        return Lock.model_validate_json(path.read_text(encoding="utf-8")), []
    except (ValidationError, OSError, ValueError) as err:
        return None, [
            error(
                "DG501",
                f"the build state is unreadable: {str(err).splitlines()[0]}",
                Location(str(path)),
                "restore it from version control (git checkout -- .dagent), or delete .dagent "
                "and rebuild with --force (hand edits in merged files then need a review)",
            )
        ]


def read_base(project_dir: Path, path: str) -> str | None:
    try:
        return (project_dir / base_path(path)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
