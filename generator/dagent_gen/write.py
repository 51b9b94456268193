"""Stage 7, write: atomic writes of the files whose content changed, and nothing else.

Each file is written to a temporary sibling and renamed over the target, so an interrupted build
never leaves a half-written file; unchanged files keep their timestamps.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, content: str) -> bool:
    """Write ``content`` (LF endings) to ``path`` if it differs; True if the file changed."""
    data = content.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def remove_file(path: Path, stop_at: Path) -> None:
    """Delete ``path`` and any folders it leaves empty, up to (not including) ``stop_at``."""
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != stop_at and folder.is_relative_to(stop_at):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
