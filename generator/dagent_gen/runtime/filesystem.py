"""The built-in filesystem tools: ls, read_file, write_file, edit_file, glob and grep.

Each tool is a method of ``FilesystemTools`` (configured with a root directory) that returns
the text the model sees, or raises ``FilesystemToolError`` (``PathRefused`` for a path outside
the root) whose message is meant for the model too. Every result is capped at
``max_output_chars`` with a note saying what was left out, so no result can break Temporal's
payload limit. Paths are confined to the root by ``confined_paths``; see
docs/builtin-tools.md for the security model.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import secrets
import stat
from collections.abc import Iterator

from .confined_paths import ConfinedRoot
from .confined_paths import FilesystemToolError
from .confined_paths import Located
from .confined_paths import PathRefused
from .confined_paths import entry_status
from .confined_paths import is_directory
from .confined_paths import open_entry
from .file_search import GrepRun
from .file_search import WalkBudget
from .file_search import check_pattern
from .file_search import compile_search
from .file_search import glob_depth
from .file_search import glob_matcher
from .file_search import walk_files
from .file_text import SNIFF_BYTES
from .file_text import Window
from .file_text import looks_binary
from .file_text import numbered_excerpt

__all__ = ["FilesystemToolError", "FilesystemTools", "PathRefused"]

TOOL_NAMES = ("ls", "read_file", "write_file", "edit_file", "glob", "grep")
WRITE_TOOL_NAMES = ("write_file", "edit_file")
GREP_OUTPUT_MODES = ("files_with_matches", "content", "count")

DEFAULT_MAX_OUTPUT_CHARS = 20_000
MIN_MAX_OUTPUT_CHARS = 1_000
DEFAULT_READ_LIMIT = 2_000
MAX_READ_LIMIT = 100_000
MAX_EDIT_BYTES = 10 * 1024 * 1024
MAX_SCANNED_ENTRIES = 100_000
MAX_DEPTH = 64

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL


class FilesystemTools:
    """The six filesystem tools over one root directory (see docs/builtin-tools.md)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        read_only: bool = False,
        max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    ) -> None:
        if max_output_chars < MIN_MAX_OUTPUT_CHARS:
            raise ValueError(f"max_output_chars must be at least {MIN_MAX_OUTPUT_CHARS}")
        self.root = ConfinedRoot(root)
        self.read_only = read_only
        self.max_output_chars = max_output_chars

    def ls(self, path: str = ".") -> str:
        """The entries of one directory, sorted; directories end in ``/``."""
        with self._os_errors(path), self.root.open_dir(path) as found:
            prefix = "" if not found.parts else found.display + "/"
            with os.scandir(found.dir_fd) as listing:
                entries = list(itertools.islice(listing, MAX_SCANNED_ENTRIES + 1))
            names = sorted(
                entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")
                for entry in entries[:MAX_SCANNED_ENTRIES]
            )
        if not names:
            return "No files found"
        notes = []
        if len(entries) > MAX_SCANNED_ENTRIES:
            notes.append(
                f"the folder has more than {MAX_SCANNED_ENTRIES} entries; only that many are listed"
            )
        return self._capped_list([prefix + name for name in names], "entries", notes)

    def read_file(self, file_path: str, offset: int = 0, limit: int = DEFAULT_READ_LIMIT) -> str:
        """Lines ``offset+1`` to ``offset+limit``, numbered, with a note on what is left."""
        _check_int("offset", offset, 0, None)
        _check_int("limit", limit, 1, MAX_READ_LIMIT)
        with self._open_regular(file_path) as (found, size, stream):
            if looks_binary(stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]):
                return f"{found.display!r} is a binary file ({size} bytes); it is not shown."
            window = Window(found.display, offset, limit, self.max_output_chars)
            return self._cap(numbered_excerpt(stream, size, window))

    def write_file(self, file_path: str, content: str) -> str:
        """Create the file (and its parent folders) or overwrite it, atomically."""
        self._refuse_if_read_only("write_file")
        data = _encode(content, "content")
        with self._os_errors(file_path), self.root.locate(file_path, make_parents=True) as found:
            before = self._writable_status(found, file_path)
            _replace_atomically(found, data, before)
        verb = "Overwrote" if before is not None else "Created"
        lines = data.count(b"\n") + (not data.endswith(b"\n")) if data else 0
        return f"{verb} {found.display!r} ({lines} lines, {len(data)} bytes)."

    def edit_file(
        self, file_path: str, old_string: str, new_string: str, replace_all: bool = False
    ) -> str:
        """Replace an exact substring: once (it must be unique) or, with replace_all, all."""
        self._refuse_if_read_only("edit_file")
        _encode(old_string, "old_string")
        _encode(new_string, "new_string")
        if not old_string:
            raise FilesystemToolError("old_string is empty; give the exact text to replace")
        if old_string == new_string:
            raise FilesystemToolError("old_string and new_string are the same; nothing to do")
        with self._open_regular(file_path) as (found, size, stream):
            if size > MAX_EDIT_BYTES:
                raise FilesystemToolError(
                    f"{found.display!r} is {size} bytes; edit_file edits files up to "
                    f"{MAX_EDIT_BYTES} bytes"
                )
            text = _decode_for_edit(stream.read(MAX_EDIT_BYTES + 1), found.display)
            count = text.count(old_string)
            if count == 0:
                raise FilesystemToolError(_not_found(found.display, text, new_string))
            if count > 1 and not replace_all:
                raise FilesystemToolError(
                    f"old_string occurs {count} times in {found.display!r}; include more "
                    "surrounding text to make it unique, or set replace_all=true"
                )
            replaced = text.replace(old_string, new_string, -1 if replace_all else 1)
            with self._os_errors(file_path):
                _replace_atomically(found, replaced.encode("utf-8"), os.fstat(stream.fileno()))
        return f"Edited {found.display!r}: replaced {count} occurrence{'s' * (count != 1)}."

    def glob(self, pattern: str, path: str = ".") -> str:
        """Files (not directories) under ``path`` whose relative path matches ``pattern``."""
        matcher = glob_matcher(pattern)
        depth = glob_depth(pattern)
        budget = WalkBudget(MAX_SCANNED_ENTRIES, min(depth or MAX_DEPTH, MAX_DEPTH))
        budget.note_depth = depth is None  # a pattern without ** is not cut by the bound
        with self._os_errors(path), self.root.open_dir(path) as found:
            prefix = "" if not found.parts else found.display + "/"
            matches = [
                prefix + relative
                for relative, _dir_fd, _name in walk_files(found.dir_fd, "", budget)
                if matcher.match(relative)
            ]
        if not matches:
            extra = "".join(f"; {note}" for note in budget.notes())
            return f"No files found matching {pattern!r}{extra}"
        return self._capped_list(matches, "files", budget.notes())

    def grep(
        self,
        pattern: str,
        path: str = ".",
        glob: str | None = None,
        output_mode: str = "files_with_matches",
        max_count: int | None = None,
        regex: bool = False,
        ignore_case: bool = False,
    ) -> str:
        """Search text files under ``path`` (or the one file ``path``) for ``pattern``.

        The pattern is a literal string unless ``regex`` is true. ``glob`` filters files: by
        name when it has no ``/``, else by path relative to ``path``. ``max_count`` caps the
        matching lines taken from each file.
        """
        check_pattern(pattern, "pattern")
        if output_mode not in GREP_OUTPUT_MODES:
            raise FilesystemToolError(f"output_mode must be one of {', '.join(GREP_OUTPUT_MODES)}")
        if max_count is not None:
            _check_int("max_count", max_count, 1, None)
        needle = compile_search(pattern, regex, ignore_case)
        file_filter = glob_matcher(glob) if glob is not None else None
        by_name = glob is not None and "/" not in glob
        search = GrepRun(needle, output_mode, max_count, self.max_output_chars)
        budget = WalkBudget(MAX_SCANNED_ENTRIES, MAX_DEPTH)
        with self._os_errors(path), self.root.locate(path) as found:
            status = entry_status(found)
            if status is not None and stat.S_ISREG(status.st_mode):
                search.file(found.display, found.dir_fd, found.name)
            else:
                with self.root.open_dir(path) as directory:
                    prefix = "" if not directory.parts else directory.display + "/"
                    for relative, dir_fd, name in walk_files(directory.dir_fd, "", budget):
                        tested = name if by_name else relative
                        if file_filter is not None and not file_filter.match(tested):
                            continue
                        if not search.file(prefix + relative, dir_fd, name):
                            break
        return self._cap(search.result(pattern, budget.notes()))

    # -- helpers ------------------------------------------------------------------------------

    def _refuse_if_read_only(self, tool: str) -> None:
        if self.read_only:
            raise FilesystemToolError(f"the filesystem is read-only for this agent; {tool} refused")

    @contextlib.contextmanager
    def _os_errors(self, path: object) -> Iterator[None]:
        """Turn an operating-system error into a tool error the model can act on."""
        try:
            yield
        except FilesystemToolError:
            raise
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise FilesystemToolError(f"{_shown(path)}: {reason}") from None

    @contextlib.contextmanager
    def _open_regular(self, path: str) -> Iterator[tuple[Located, int, io.BufferedReader]]:
        """The located regular file, its size and a buffered stream over it."""
        with self._os_errors(path), self.root.locate(path) as found:
            if not found.parts:
                raise FilesystemToolError(f"{_shown(path)} is a directory; use ls")
            fd = open_entry(found, _READ_FLAGS, path)
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                os.close(fd)
                kind = "a directory; use ls" if stat.S_ISDIR(status.st_mode) else "not a file"
                raise FilesystemToolError(f"{found.display!r} is {kind}")
            with open(fd, "rb", closefd=True) as stream:
                yield found, status.st_size, stream

    def _writable_status(self, found: Located, path: str) -> os.stat_result | None:
        before = entry_status(found)
        if not found.parts or is_directory(before):
            raise FilesystemToolError(f"{_shown(path)} is a directory")
        if before is not None and not stat.S_ISREG(before.st_mode):
            raise FilesystemToolError(f"{found.display!r} is not a regular file")
        return before

    def _capped_list(self, items: list[str], what: str, notes: list[str] | None = None) -> str:
        budget = self.max_output_chars - 300
        shown, used = 0, 0
        for item in items:
            if used + len(item) + 1 > budget:
                break
            used += len(item) + 1
            shown += 1
        all_notes = list(notes or [])
        if shown < len(items):
            all_notes.insert(0, f"{len(items) - shown} more {what} not shown (output capped)")
        text = "\n".join(items[:shown])
        return self._cap(text + "".join(f"\n[{note}]" for note in all_notes))

    def _cap(self, text: str) -> str:
        if len(text) <= self.max_output_chars:
            return text
        note = f"\n[output cut at {self.max_output_chars} characters]"
        return text[: self.max_output_chars - len(note)] + note


def _replace_atomically(found: Located, data: bytes, before: os.stat_result | None) -> None:
    """Write a temporary file beside the target, then rename it over the target's name.

    The rename replaces the name, never writes through it: a link or a hard link at the
    target is replaced, and what it pointed to is left as it was.
    """
    temp = f".{secrets.token_hex(8)}.dagent-tmp"
    fd = open_entry(Located(found.dir_fd, (temp,)), _TEMP_FLAGS, temp)
    try:
        try:
            if before is not None:
                os.fchmod(fd, stat.S_IMODE(before.st_mode))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, found.name, src_dir_fd=found.dir_fd, dst_dir_fd=found.dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=found.dir_fd)
        raise
    with contextlib.suppress(OSError):
        os.fsync(found.dir_fd)  # make the rename itself durable


def _not_found(display: str, text: str, new_string: str) -> str:
    message = (
        f"old_string was not found in {display!r}; it must match exactly, including "
        "whitespace and indentation"
    )
    if new_string and new_string in text:
        # A retried activity may find its own earlier edit: say so rather than only "not found".
        message += " (new_string is in the file: the edit may already have been made)"
    return message


def _decode_for_edit(data: bytes, display: str) -> str:
    if b"\0" in data[:SNIFF_BYTES]:
        raise FilesystemToolError(f"{display!r} is a binary file; edit_file edits text files")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FilesystemToolError(f"{display!r} is not UTF-8 text; edit_file refused") from None


def _encode(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise FilesystemToolError(f"{name} must be a string, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise FilesystemToolError(f"{name} is not valid Unicode text") from None


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise FilesystemToolError(f"{name} must be an integer")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise FilesystemToolError(f"{name} must be {bound}, not {value}")


def _shown(path: object) -> str:
    text = repr(path)
    return text if len(text) <= 200 else text[:200] + "..."
