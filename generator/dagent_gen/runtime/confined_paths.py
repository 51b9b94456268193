"""Paths confined to one root directory: the security boundary of the filesystem tools.

Every call resolves its path afresh (nothing is cached, so a symbolic link created after the
tools were configured is seen) by walking from the root one component at a time with
``os.open(name, O_NOFOLLOW, dir_fd=parent)``. What the walk opened is what the tool then uses,
through the directory descriptor, so there is no gap between checking a path and using it in
which a component could be swapped for a link.

Symbolic links inside the root that lead to somewhere inside the root are followed: the walk
reads the link and starts again from the root with the link's target spliced into the path.
A link whose target leaves the root is refused, wherever it sits on the path. ``..`` is
resolved textually before the walk (``a/link/..`` is ``a``), and a ``..`` in a link's target
is resolved against the real directory that holds the link.

Linux and macOS only: the walk needs ``O_NOFOLLOW``, ``O_DIRECTORY`` and ``dir_fd``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MAX_SYMLINK_HOPS = 40
"""Links followed while resolving one path before giving up (Linux's own limit)."""

MAX_PATH_CHARS = 4096

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
"""Flags to open a directory without following a link in its last component."""

_DRIVE = re.compile(r"^[A-Za-z]:")


class FilesystemToolError(ValueError):
    """A filesystem tool call that cannot be done; the message is meant for the model."""


class PathRefused(FilesystemToolError):
    """A path that is not allowed: it leaves the root, or is malformed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Path refused: {reason}")


@dataclass(frozen=True)
class Located:
    """An open directory (``dir_fd``) and the root-relative components of the resolved path.

    ``parts`` is empty for the root itself; otherwise ``parts[-1]`` is the entry's name in
    ``dir_fd``. The entry itself was not a symbolic link when resolved; open it with
    ``O_NOFOLLOW`` so that a link swapped in since then is refused, not followed.
    """

    dir_fd: int
    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else "."

    @property
    def display(self) -> str:
        return "/".join(self.parts) or "."


@dataclass(frozen=True)
class _LinkAt:
    index: int
    target: str


class ConfinedRoot:
    """A directory that the filesystem tools may not leave."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        if not (_NOFOLLOW and _DIRECTORY and os.open in os.supports_dir_fd):
            raise OSError("the filesystem tools need O_NOFOLLOW and dir_fd (Linux or macOS)")
        given = os.path.abspath(os.fspath(root))
        # The root itself may be a link: it is resolved once, here, by whoever configured it.
        self.path = os.path.realpath(given)
        if not os.path.isdir(self.path):
            raise NotADirectoryError(f"filesystem root {given!r} is not a directory")
        self._prefixes = tuple(dict.fromkeys((self.path, given)))

    def split(self, path: str) -> tuple[str, ...]:
        """The root-relative components of ``path``, or PathRefused; touches no file."""
        if not isinstance(path, str):
            raise PathRefused(f"the path must be a string, not {type(path).__name__}")
        if len(path) > MAX_PATH_CHARS:
            raise PathRefused(f"the path is longer than {MAX_PATH_CHARS} characters")
        if "\0" in path:
            raise PathRefused("the path contains a NUL byte")
        if path.startswith("~"):
            raise PathRefused(f"{path!r}: '~' is not expanded; use a path relative to the root")
        if _DRIVE.match(path) or path.startswith("\\\\"):
            raise PathRefused(f"{path!r}: Windows drive and network paths are not allowed")
        relative = self._strip_root(path) if path.startswith("/") else path
        if relative is None:
            raise PathRefused(f"absolute path {path!r} is outside the root")
        parts = _normalise(relative.split("/"))
        if parts is None:
            raise PathRefused(f"{path!r} leaves the root")
        return parts

    def _strip_root(self, absolute: str) -> str | None:
        for prefix in self._prefixes:
            if absolute == prefix or absolute.startswith(prefix.rstrip("/") + "/"):
                return absolute[len(prefix) :]
        return None

    def open_root(self) -> int:
        try:
            return os.open(self.path, DIR_FLAGS)
        except OSError as error:
            raise FilesystemToolError(f"the root directory is not available: {error}") from None

    @contextmanager
    def locate(self, path: str, *, make_parents: bool = False) -> Iterator[Located]:
        """Resolve ``path`` inside the root; yields its open parent directory and components.

        The final component may not exist (so it can be created). ``make_parents`` creates
        missing parent directories. Raises PathRefused if the path or a link leaves the root.
        """
        parts = self.split(path)
        for _hop in range(MAX_SYMLINK_HOPS + 1):
            root_fd = self.open_root()
            try:
                walked = self._walk(root_fd, parts, path, make_parents)
            except BaseException:
                os.close(root_fd)
                raise
            if walked != root_fd:
                os.close(root_fd)
            if isinstance(walked, _LinkAt):
                parts = self._splice(parts, walked, path)
                continue
            try:
                yield Located(walked, parts)
            finally:
                os.close(walked)
            return
        raise FilesystemToolError(f"{path!r}: too many levels of symbolic links")

    @contextmanager
    def open_dir(self, path: str) -> Iterator[Located]:
        """Open ``path`` as a directory; yields it as ``dir_fd`` (``parts`` is the path)."""
        with self.locate(path) as found:
            dir_fd = open_entry(found, DIR_FLAGS, path) if found.parts else os.dup(found.dir_fd)
            try:
                yield Located(dir_fd, found.parts)
            finally:
                os.close(dir_fd)

    def _walk(
        self, dir_fd: int, parts: tuple[str, ...], path: str, make_parents: bool
    ) -> int | _LinkAt:
        """Open the parent of ``parts[-1]`` from ``dir_fd`` (the root), or say where a link is.

        Closes every descriptor it opened except the one it returns; ``dir_fd`` is the caller's.
        """
        current = dir_fd
        try:
            for index, name in enumerate(parts[:-1]):
                opened = self._open_subdir(current, name, path, make_parents)
                if isinstance(opened, str):
                    return _LinkAt(index, opened)
                if current != dir_fd:
                    os.close(current)
                current = opened
            target = _read_link(current, parts[-1]) if parts else None
            if target is not None:
                return _LinkAt(len(parts) - 1, target)
            parent, current = current, dir_fd  # hand ``parent`` over to the caller
            return parent
        finally:
            if current != dir_fd:
                os.close(current)

    def _open_subdir(self, dir_fd: int, name: str, path: str, make_parents: bool) -> int | str:
        """The subdirectory's descriptor, or the target if ``name`` is a link."""
        for _attempt in range(2):
            try:
                return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
            except FileNotFoundError:
                if not make_parents:
                    raise FilesystemToolError(f"{path!r} does not exist") from None
                # Made by someone else meanwhile: open whatever it is, no-follow, next time.
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=dir_fd)
            except OSError as error:
                if error.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise
                target = _read_link(dir_fd, name)
                if target is None:
                    raise FilesystemToolError(f"{path!r}: {name!r} is not a directory") from None
                return target
        raise FilesystemToolError(f"{path!r}: could not create the directory {name!r}")

    def _splice(self, parts: tuple[str, ...], link: _LinkAt, path: str) -> tuple[str, ...]:
        """The path with the link at ``link.index`` replaced by its target, or PathRefused."""
        shown = "/".join(parts[: link.index + 1])
        outside = PathRefused(f"{path!r}: {shown!r} is a symbolic link that leads outside the root")
        target = link.target
        base: list[str] = list(parts[: link.index])
        if target.startswith("/"):
            relative = self._strip_root(target)
            if relative is None:
                raise outside
            target, base = relative, []
        spliced = _normalise([*base, *target.split("/"), *parts[link.index + 1 :]])
        if spliced is None:
            raise outside
        return spliced


def open_entry(found: Located, flags: int, path: str, mode: int = 0o666) -> int:
    """Open the located entry itself, never through a link (one swapped in is refused)."""
    try:
        return os.open(found.name, flags | _NOFOLLOW | _CLOEXEC, mode, dir_fd=found.dir_fd)
    except FileNotFoundError:
        raise FilesystemToolError(f"{path!r} does not exist") from None
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
            if _read_link(found.dir_fd, found.name) is not None:
                raise PathRefused(f"{path!r} became a symbolic link during the call") from None
            if error.errno == errno.ENOTDIR:
                raise FilesystemToolError(f"{path!r} is not a directory") from None
        raise


def entry_status(found: Located) -> os.stat_result | None:
    """The located entry's own status (not a link's target), or None if it does not exist."""
    if not found.parts:
        return os.stat(found.dir_fd)
    try:
        return os.stat(found.name, dir_fd=found.dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def is_directory(status: os.stat_result | None) -> bool:
    return status is not None and stat.S_ISDIR(status.st_mode)


def _read_link(dir_fd: int, name: str) -> str | None:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None  # not a link (EINVAL), or gone


def _normalise(components: list[str]) -> tuple[str, ...] | None:
    """Drop empty and ``.`` components and apply ``..``; None if ``..`` climbs above the root."""
    stack: list[str] = []
    for component in components:
        if component in ("", "."):
            continue
        if component == "..":
            if not stack:
                return None
            stack.pop()
        else:
            stack.append(component)
    return tuple(stack)
