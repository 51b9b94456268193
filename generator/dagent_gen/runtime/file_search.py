"""Walking a confined directory tree and matching glob patterns, for glob and grep.

The walk goes through directory descriptors, never through a symbolic link: a link (to a file
or a directory, inside the root or not) is neither reported nor entered, like ``rg`` without
``-L``. It is bounded in entries scanned and in depth so that one call cannot run for hours.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .confined_paths import DIR_FLAGS
from .confined_paths import FilesystemToolError
from .file_text import SNIFF_BYTES
from .file_text import iter_lines
from .file_text import looks_binary

MAX_PATTERN_CHARS = 1000
MAX_GREP_FILE_BYTES = 10 * 1024 * 1024
"""grep skips larger files (and says how many it skipped)."""
MAX_GREP_LINE_BYTES = 1024 * 1024
"""grep searches the first MiB of each line."""
GREP_LINE_CHARS = 500
"""grep's content mode shows this much of a matching line."""
MAX_GREP_TOTAL_BYTES = 256 * 1024 * 1024
"""One grep call stops (with a note) before reading more than this in all."""

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
_MAX_BRACE_EXPANSIONS = 64


@dataclass
class WalkBudget:
    """Bounds of one walk, and what it had to leave out."""

    max_entries: int
    max_depth: int
    scanned: int = 0
    stopped: bool = False
    too_deep: int = 0
    note_depth: bool = True
    unreadable: int = 0

    def notes(self) -> list[str]:
        notes = []
        if self.stopped:
            notes.append(f"the search stopped after scanning {self.max_entries} entries")
        if self.too_deep and self.note_depth:
            notes.append(
                f"{self.too_deep} directories deeper than {self.max_depth} levels not searched"
            )
        if self.unreadable:
            notes.append(f"{self.unreadable} directories could not be read")
        return notes


def walk_files(dir_fd: int, prefix: str, budget: WalkBudget) -> Iterator[tuple[str, int, str]]:
    """Yield ``(relative path, parent descriptor, name)`` of each regular file, in path order.

    ``prefix`` is prepended to every path ("" or ending in "/"). The parent descriptor is only
    valid until the next item.
    """
    yield from _walk(dir_fd, prefix, budget, depth=1)


def _walk(
    dir_fd: int, prefix: str, budget: WalkBudget, depth: int
) -> Iterator[tuple[str, int, str]]:
    entries = []
    try:
        with os.scandir(dir_fd) as listing:
            for entry in listing:
                if budget.scanned >= budget.max_entries:
                    budget.stopped = True
                    break
                budget.scanned += 1
                if entry.is_dir(follow_symlinks=False):
                    entries.append((entry.name + "/", entry.name, True))
                elif entry.is_file(follow_symlinks=False):
                    entries.append((entry.name, entry.name, False))
    except OSError:
        budget.unreadable += 1  # e.g. no permission: searched around, said in a note
        return
    # Sorting a directory as "name/" puts each file where a sort of whole paths would.
    for _key, name, is_dir in sorted(entries):
        if not is_dir:
            yield prefix + name, dir_fd, name
            continue
        if depth >= budget.max_depth:
            budget.too_deep += 1
            continue
        try:
            child = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
        except OSError:
            continue  # gone, or swapped for a link since it was listed: not followed
        try:
            yield from _walk(child, f"{prefix}{name}/", budget, depth + 1)
        finally:
            os.close(child)


def check_pattern(pattern: str, what: str) -> None:
    if not isinstance(pattern, str) or not pattern:
        raise FilesystemToolError(f"the {what} must be a non-empty string")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise FilesystemToolError(f"the {what} is longer than {MAX_PATTERN_CHARS} characters")
    if "\0" in pattern:
        raise FilesystemToolError(f"the {what} contains a NUL byte")


def glob_matcher(pattern: str) -> re.Pattern[str]:
    """A regex for whole relative paths: ``*`` ``?`` ``[...]`` within a name, ``**`` across
    directories (``**/`` is zero or more), ``{a,b}`` alternatives. Dot-files are matched.
    """
    check_pattern(pattern, "glob pattern")
    if pattern.startswith("/") or ".." in pattern.split("/"):
        raise FilesystemToolError(
            f"glob pattern {pattern!r} must be relative to the path searched, without '..'"
        )
    alternatives = [_translate(_collapse_globstars(p)) for p in _expand_braces(pattern)]
    return re.compile("(?:" + "|".join(alternatives) + r")\Z", re.DOTALL)


def glob_depth(pattern: str) -> int | None:
    """How many levels a pattern can reach, or None (unbounded) when it has ``**``."""
    expanded = _expand_braces(pattern)
    if any("**" in p for p in expanded):
        return None
    return max(len(p.split("/")) for p in expanded)


def _collapse_globstars(pattern: str) -> str:
    # Repeated "**/" match nothing more than one, but would make the regex backtrack badly.
    while "**/**/" in pattern:
        pattern = pattern.replace("**/**/", "**/")
    return pattern


def _expand_braces(pattern: str) -> list[str]:
    found = re.search(r"\{([^{}]*,[^{}]*)\}", pattern)
    if found is None:
        return [pattern]
    head, tail = pattern[: found.start()], pattern[found.end() :]
    expanded: list[str] = []
    for choice in found.group(1).split(","):
        expanded.extend(_expand_braces(head + choice + tail))
        if len(expanded) > _MAX_BRACE_EXPANSIONS:
            raise FilesystemToolError(f"glob pattern {pattern!r} expands to too many patterns")
    return expanded


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        at_segment_start = i == 0 or pattern[i - 1] == "/"
        if at_segment_start and pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif at_segment_start and pattern.startswith("**", i) and i + 2 == n:
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            i = _translate_class(pattern, i, out)
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _translate_class(pattern: str, start: int, out: list[str]) -> int:
    """Append ``[...]`` starting at ``start`` (or a literal ``[``); return where to go on."""
    end = start + 1
    if pattern[end : end + 1] in ("!", "^"):
        end += 1
    if pattern[end : end + 1] == "]":
        end += 1
    end = pattern.find("]", end)
    if end == -1:
        out.append(re.escape("["))
        return start + 1
    body = pattern[start + 1 : end]
    negated = body[:1] in ("!", "^")
    body = body[1:] if negated else body
    body = body.replace("\\", "\\\\").replace("[", "\\[")
    out.append(f"(?!/)[{'^' if negated else ''}{body}]")
    return end + 1


class GrepRun:
    """The results of one grep call, built file by file within the output budget."""

    def __init__(self, needle: re.Pattern[str], mode: str, max_count: int | None, cap: int):
        self.needle, self.mode, self.max_count = needle, mode, max_count
        self.budget = cap - 400
        self.used = 0
        self.lines: list[str] = []
        self.files = 0
        self.cut = False
        self.skipped_binary = 0
        self.skipped_large = 0
        self.bytes_read = 0
        self.stopped_reading = False

    def file(self, shown: str, dir_fd: int, name: str) -> bool:
        """Search one file; False once the output budget is spent."""
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except OSError:
            return True  # gone or swapped for a link since it was listed: not followed
        with open(fd, "rb", closefd=True) as stream:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                return True
            if status.st_size > MAX_GREP_FILE_BYTES:
                self.skipped_large += 1
                return True
            if self.bytes_read + status.st_size > MAX_GREP_TOTAL_BYTES:
                self.stopped_reading = True
                return False
            self.bytes_read += status.st_size
            if looks_binary(stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]):
                self.skipped_binary += 1
                return True
            return self._search(shown, stream)

    def _search(self, shown: str, stream: BinaryIO) -> bool:
        matches, shown_lines = 0, []
        for number, (kept, _length) in enumerate(iter_lines(stream, MAX_GREP_LINE_BYTES), 1):
            text = kept.decode("utf-8", errors="replace")
            if not self.needle.search(text):
                continue
            matches += 1
            if self.mode == "content":
                shown_lines.append(f"{shown}:{number}:{_cut_line(text)}")
            if self.mode == "files_with_matches" or matches == self.max_count:
                break
        if not matches:
            return True
        self.files += 1
        if self.mode == "files_with_matches":
            return self._add([shown])
        if self.mode == "count":
            return self._add([f"{shown}:{matches}"])
        return self._add(shown_lines)

    def _add(self, lines: list[str]) -> bool:
        for line in lines:
            if self.used + len(line) + 1 > self.budget:
                self.cut = True
                return False
            self.lines.append(line)
            self.used += len(line) + 1
        return True

    def result(self, pattern: str, walk_notes: list[str]) -> str:
        notes = list(walk_notes)
        if self.cut:
            notes.insert(0, "output capped: more matches not shown; narrow path or glob")
        if self.skipped_binary:
            notes.append(f"{self.skipped_binary} binary files skipped")
        if self.stopped_reading:
            notes.append(
                f"the search stopped before reading more than {MAX_GREP_TOTAL_BYTES} bytes; "
                "narrow path or glob"
            )
        if self.skipped_large:
            notes.append(f"{self.skipped_large} files over {MAX_GREP_FILE_BYTES} bytes skipped")
        body = "\n".join(self.lines) if self.lines else f"No matches for {pattern!r}"
        return body + "".join(f"\n[{note}]" for note in notes)


def compile_search(pattern: str, regex: bool, ignore_case: bool) -> re.Pattern[str]:
    flags = re.IGNORECASE if ignore_case else 0
    try:
        return re.compile(pattern if regex else re.escape(pattern), flags)
    except re.error as error:
        raise FilesystemToolError(f"invalid regular expression {pattern!r}: {error}") from None


def _cut_line(text: str) -> str:
    if len(text) <= GREP_LINE_CHARS:
        return text
    return text[:GREP_LINE_CHARS] + f" [... {len(text) - GREP_LINE_CHARS} more characters]"
