"""Reading text files lazily and showing them to a model: numbered lines, binary detection.

Nothing here loads a whole file: lines come from a buffered stream in bounded pieces, so
showing 100 lines of a 2 GB file (or of a file that is one 2 GB line) reads little of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .confined_paths import FilesystemToolError

SNIFF_BYTES = 8192
"""How much of a file's start is checked to decide whether it is binary."""

COUNT_LINES_UP_TO_BYTES = 16 * 1024 * 1024
"""read_file counts the lines left after its window only in files up to this size."""

LINE_ROW_CHARS = 2000
"""A long line is shown in rows of this many characters (``12``, ``12.2``, ``12.3``...)."""

MAX_ROWS_PER_LINE = 5
"""Rows shown of one line; the rest of the line is replaced by a note."""

_PIECE = 64 * 1024


def looks_binary(head: bytes) -> bool:
    """True for a NUL byte or bytes that are not UTF-8 (a character cut at the end is fine)."""
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return not (error.reason == "unexpected end of data" and error.start >= len(head) - 3)
    return False


def iter_lines(stream: BinaryIO, keep: int) -> Iterator[tuple[bytes, int]]:
    """Yield each line's first ``keep`` bytes (without its line ending) and its full length.

    Memory stays bounded by ``keep`` plus one piece however long a line is.
    """
    while True:
        piece = stream.readline(_PIECE)
        if not piece:
            return
        kept, length = piece[:keep], len(piece)
        while not piece.endswith(b"\n"):
            piece = stream.readline(_PIECE)
            if not piece:
                break
            length += len(piece)
            if len(kept) < keep:
                kept += piece[: keep - len(kept)]
        if length <= keep:
            kept = kept.removesuffix(b"\n").removesuffix(b"\r")
        yield kept, length


def count_remaining_lines(stream: BinaryIO) -> int:
    """Lines from the stream's position to its end (a last line without newline counts)."""
    count, last = 0, b"\n"
    while piece := stream.read(1024 * 1024):
        count += piece.count(b"\n")
        last = piece[-1:]
    return count + (last != b"\n")


@dataclass(frozen=True)
class Window:
    """Which lines of which file to show, within how many characters."""

    display: str
    offset: int
    limit: int
    max_chars: int


def numbered_excerpt(stream: BinaryIO, size: int, window: Window) -> str:
    """``cat -n``-style lines ``offset+1`` .. ``offset+limit`` with a note on what is left."""
    if size == 0:
        return f"{window.display!r} is empty (0 lines)."
    line_chars = min(LINE_ROW_CHARS, window.max_chars // (2 * MAX_ROWS_PER_LINE))
    keep = line_chars * MAX_ROWS_PER_LINE * 4 + 4  # enough UTF-8 bytes for the rows shown
    lines: Iterator[tuple[bytes, int]] = iter_lines(stream, keep)
    skipped = sum(1 for _ in zip(range(window.offset), lines, strict=False))
    shown_end = stream.tell()
    first = next(lines, None)
    if first is None:
        raise FilesystemToolError(
            f"offset {window.offset} is past the end of {window.display!r}, which has "
            f"{skipped} line{'' if skipped == 1 else 's'}; use an offset below {skipped}"
        )
    lines = itertools.chain([first], lines)
    budget = window.max_chars - 300  # room for the note
    rows: list[str] = []
    used, last_shown, total, cut = 0, window.offset, None, False
    for number in range(window.offset + 1, window.offset + window.limit + 1):
        line = next(lines, None)
        if line is None:
            total = number - 1
            break
        line_rows = _rows(number, line, line_chars)
        cost = sum(len(row) + 1 for row in line_rows)
        if used + cost > budget and rows:
            cut = True  # this line was read but is not shown
            break
        rows.extend(line_rows)
        used, last_shown, shown_end = used + cost, number, stream.tell()
    if total is None:
        read_unshown = 1 if cut or next(lines, None) is not None else 0
        if not read_unshown:
            total = last_shown
        elif size <= COUNT_LINES_UP_TO_BYTES:
            total = last_shown + read_unshown + count_remaining_lines(stream)
    note = _window_note(window, last_shown, total, size - shown_end, cut)
    return "\n".join(rows) + (f"\n{note}" if note else "")


def _rows(number: int, line: tuple[bytes, int], line_chars: int) -> list[str]:
    kept, length = line
    text = kept.decode("utf-8", errors="replace")
    pieces = [text[start : start + line_chars] for start in range(0, len(text), line_chars)]
    pieces = pieces[:MAX_ROWS_PER_LINE] or [""]
    rows = [f"{number:>6}\t{pieces[0]}"]
    rows += [f"{f'{number}.{k}':>6}\t{piece}" for k, piece in enumerate(pieces[1:], start=2)]
    shown = sum(len(piece.encode("utf-8")) for piece in pieces)
    if length > shown + 2:  # more than a line ending left over
        rows[-1] += f" [... line {number} is cut: {length - shown} more bytes]"
    return rows


def _window_note(window: Window, last: int, total: int | None, left: int, cut: bool) -> str:
    first = window.offset + 1
    shown = f"lines {first}-{last}" if last >= first else "no lines"
    reason = f"output cut at {window.max_chars} characters; " if cut else ""
    if total is None:
        return (
            f"[{reason}{shown} shown; the file continues ({left} bytes left, too large to count "
            f"its lines); continue with offset={last}]"
        )
    if last < total:
        return (
            f"[{reason}{shown} of {total}; {total - last} remaining; continue with offset={last}]"
        )
    return f"[{shown} of {total}; end of file]" if window.offset else ""
