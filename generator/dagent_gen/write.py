"""Stage 7, write: atomic writes of the files whose content changed, and nothing else.

Each file is written to a temporary sibling (``.<name>.<8 random chars>.tmp``) and renamed over
the target, so an interrupted build never leaves a half-written file; unchanged files keep
their timestamps. Nothing here ever writes or deletes outside the folder it is given:
``remove_file`` and ``atomic_write(within=...)`` refuse any path that resolves elsewhere
(``..`` segments, absolute paths, symlinks pointing out).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# mkstemp's random part: 8 characters of this alphabet (CPython's tempfile._RandomNameSequence).
_TEMP_RANDOM = r"[a-z0-9_]{8}"
_TEMPORARY = re.compile(rf"\.(.+)\.{_TEMP_RANDOM}\.tmp")  # atomic_write's temporary of group 1


class UnsafePathError(ValueError):
    """A path to write or delete resolves outside the folder the caller allows."""


def is_inside(path: Path, folder: Path) -> bool:
    """True if ``path`` (its folder's symlinks resolved, the name itself kept) lies in
    ``folder`` (resolved) and is not ``folder`` itself."""
    if path.name in ("", ".", ".."):
        return False
    try:
        real = path.parent.resolve() / path.name
        return real != folder.resolve() and real.is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop, an unreadable folder
        return False


def _check_inside(path: Path, folder: Path | None) -> None:
    if folder is not None and not is_inside(path, folder):
        raise UnsafePathError(f"{path} is outside {folder}; refusing to touch it")
    if (
        folder is not None
        and path.is_symlink()
        and not path.resolve().is_relative_to(folder.resolve())
    ):
        raise UnsafePathError(f"{path} is a symlink pointing outside {folder}")


def atomic_write(path: Path, content: str, *, within: Path | None = None) -> bool:
    """Write ``content`` (LF endings) to ``path`` if it differs; True if the file changed.

    With ``within``, a ``path`` that resolves outside that folder raises ``UnsafePathError``.
    """
    _check_inside(path, within)
    data = content.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:  # KeyboardInterrupt / SystemExit too: never leave the temporary
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise
    return True


def stale_temporaries(*targets: Path) -> list[Path]:
    """Temporary siblings an earlier, killed ``atomic_write(target)`` may have left behind.

    Only names of exactly the writer's pattern for one of the targets match, so nothing else is
    ever taken for one. Each folder is listed once, however many targets it holds (a project of
    100 agents has a thousand files in one folder).
    """
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.parent, set()).add(target.name)
    found: list[Path] = []
    for folder, wanted in names.items():
        try:
            siblings = list(folder.iterdir())
        except OSError:
            continue
        for path in siblings:
            match = _TEMPORARY.fullmatch(path.name)
            if match and match.group(1) in wanted and path.is_file():
                found.append(path)
    return found


def remove_file(path: Path, stop_at: Path) -> None:
    """Delete ``path`` and any folders it leaves empty, up to (not including) ``stop_at``.

    ``path`` must lie inside ``stop_at`` (after resolving symlinked folders): anything else
    raises ``UnsafePathError`` and deletes nothing.
    """
    _check_inside(path, stop_at)
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != stop_at and folder.is_relative_to(stop_at):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
