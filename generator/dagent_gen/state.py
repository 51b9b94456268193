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
import re
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.mcp_record import McpRecord
from dagent_gen.write import is_inside

STATE_DIR = ".dagent"
LOCK_FILE = f"{STATE_DIR}/lock.json"
BASE_DIR = f"{STATE_DIR}/base"
LOCK_VERSION = 1


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def base_path(path: str) -> str:
    """Where the pristine copy of the merged file ``path`` is kept (project-relative)."""
    return f"{BASE_DIR}/{path}.base"


class LockedOwnership(StrEnum):
    """Ownership as recorded in the lock: ``render.Ownership`` plus ``ejected``."""

    MANAGED = "managed"
    MERGED = "merged"
    EJECTED = "ejected"  # handed to the user by `dagent-gen eject`; builds never touch it


_DRIVE = re.compile(r"[A-Za-z]:")


def unsafe_path_reason(path: str) -> str | None:
    """Why ``path`` is not a plain project-relative POSIX path, or None if it is one.

    Lexical only (no file system access): see ``resolve_inside`` for symlinks.
    """
    if not path:
        return "it is empty"
    if "\x00" in path:
        return "it contains a NUL byte"
    if "\\" in path:
        return "it contains a backslash (a Windows path)"
    if path.startswith("/") or _DRIVE.match(path):
        return "it is absolute"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "it has an empty, '.' or '..' segment"
    return None


def resolve_inside(root: Path, path: str, folder: str = "") -> Path | None:
    """``root / path`` if ``path`` is a plain relative path that stays inside ``root / folder``
    once symlinks are resolved; None otherwise."""
    if unsafe_path_reason(path) is not None:
        return None
    target = root / path
    within = root / folder if folder else root
    if not is_inside(target, within):
        return None
    if target.is_symlink() and not target.resolve().is_relative_to(within.resolve()):
        return None
    return target


def unsafe_path(path: str, where: str, why: str) -> Diagnostic:
    return error(
        Code.UNSAFE_STATE_PATH,
        f"refusing to touch {path!r}: {why}",
        Location(where),
        "a path the build reads or writes must stay inside the project (and bases inside "
        ".dagent/base); if .dagent/lock.json was changed by someone else, restore it from "
        "version control (git checkout -- .dagent) and review where the change came from",
    )


class LockedFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ownership: LockedOwnership
    sha256: str  # hash of the text the generator last produced for this file


class Lock(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lock_version: int = LOCK_VERSION
    generator: str
    definition: str
    definition_sha256: str
    files: dict[str, LockedFile] = Field(default_factory=dict)
    # The tools of build-discovered MCP servers, so check and rebuilds need no server.
    mcp: McpRecord | None = None

    def dump(self) -> str:
        data = self.model_dump(mode="json")
        if data["mcp"] is None:
            del data["mcp"]  # the lock of a project without MCP servers keeps its shape
        data["files"] = {path: data["files"][path] for path in sorted(data["files"])}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def lock_path_problems(project_dir: Path, lock: Lock) -> list[Diagnostic]:
    """A DG508 for every path in ``lock`` (or base of a merged file) outside where it belongs.

    The lock is collapsed in pull requests, so a hostile change to it is easy to miss: its
    paths are never trusted.
    """
    problems: list[Diagnostic] = []
    for path, locked in lock.files.items():
        why = unsafe_path_reason(path)
        if why is None and resolve_inside(project_dir, path) is None:
            why = "it resolves outside the project (through a symlink)"
        merged = locked.ownership is LockedOwnership.MERGED
        if (
            why is None
            and merged
            and resolve_inside(project_dir, base_path(path), BASE_DIR) is None
        ):
            why = f"its base {base_path(path)} resolves outside {BASE_DIR}"
        if why is not None:
            problems.append(unsafe_path(path, str(project_dir / LOCK_FILE), why))
    return problems


def read_lock(project_dir: Path) -> tuple[Lock | None, list[Diagnostic]]:
    path = project_dir / LOCK_FILE
    if not path.exists():
        return None, []
    try:
        lock = Lock.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, OSError, ValueError) as err:
        return None, [
            error(
                Code.UNREADABLE_LOCK,
                f"the build state is unreadable: {str(err).splitlines()[0]}",
                Location(str(path)),
                "restore it from version control (git checkout -- .dagent), or delete .dagent "
                "and rebuild with --force (hand edits in merged files then need a review)",
            )
        ]
    problems = lock_path_problems(project_dir, lock)
    return (None, problems) if problems else (lock, [])


def read_mcp_record(project_dir: Path) -> McpRecord | None:
    """The lock's MCP record, or None; an unreadable lock is reported by ``read_lock``."""
    lock, _ = read_lock(project_dir)
    return lock.mcp if lock is not None else None


def read_base(project_dir: Path, path: str) -> str | None:
    target = resolve_inside(project_dir, base_path(path), BASE_DIR)
    if target is None:
        return None
    try:
        return target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
