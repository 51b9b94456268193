"""Load ``dagent.toml``: parse with tomllib, then find where each key was written.

tomllib reports no positions for values, so a small line scanner records the line and column of
every table header, key and string array element. It understands the subset of TOML that
definitions use (tables, dotted keys, strings, arrays, multi-line strings); anything it cannot
place falls back to the nearest enclosing table, which is still the right neighbourhood.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.load.source_map import KeyPath, SourceMap

_TOML_ERROR_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_BARE_KEY = r"[A-Za-z0-9_-]+"
_QUOTED_KEY = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE_KEY}|{_QUOTED_KEY})"
_DOTTED_KEY = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED_KEY})\s*\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(rf"^(\s*)({_DOTTED_KEY})\s*=\s*(.*)$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


_AT_END = "(at end of document)"


def load_toml(path: Path) -> tuple[dict[str, Any] | None, SourceMap, list[Diagnostic]]:
    source = SourceMap(str(path))
    try:
        # utf-8-sig: editors on Windows may start the file with a byte order mark, which TOML
        # does not allow; without it, columns on line 1 are the ones the editor shows.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        return (
            None,
            source,
            [
                error(
                    Code.UNREADABLE_DEFINITION,
                    f"cannot read the definition: {err}",
                    Location(str(path)),
                )
            ],
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _TOML_ERROR_POSITION.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = _TOML_ERROR_POSITION.sub("", message).strip()
        if message.endswith(_AT_END):  # tomllib names no line there: point after the last one
            message = message.removesuffix(_AT_END).strip()
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
        return (
            None,
            source,
            [
                error(
                    Code.SYNTAX_ERROR,
                    f"invalid TOML: {message}",
                    Location(str(path), line, column),
                    "fix the syntax at this position (see https://toml.io for the format)",
                )
            ],
        )
    _scan_locations(text, source)
    return data, source, []


def _split_key(dotted: str, offset: int = 0) -> list[tuple[str, int]]:
    """The parts of a dotted key, each with the 0-based column it starts at."""
    return [
        (part[1:-1] if part[:1] in "\"'" else part, offset + match.start())
        for match in re.finditer(rf"{_QUOTED_KEY}|{_BARE_KEY}", dotted)
        for part in [match.group()]
    ]


def _scan_locations(text: str, source: SourceMap) -> None:
    table: KeyPath = ()
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        index += 1
        header = _HEADER.match(line)
        if header:
            parts = _split_key(header.group(1), header.start(1))
            table = tuple(part for part, _ in parts)
            for end, (_, column) in enumerate(parts, 1):
                source.add(table[:end], Location(source.file, number, column + 1))
            continue
        assignment = _ASSIGNMENT.match(line)
        if not assignment:
            continue
        parts = _split_key(assignment.group(2), assignment.start(2))
        path = table + tuple(part for part, _ in parts)
        for end, (_, column) in enumerate(parts, len(table) + 1):
            source.add(path[:end], Location(source.file, number, column + 1))
        index += _record_value(lines, index - 1, assignment.start(3), path, source)


def _record_value(
    lines: list[str], line_index: int, start: int, path: KeyPath, source: SourceMap
) -> int:
    """Record where each element of an array value starts; return how many extra lines the
    value spans (multi-line strings and arrays), so their contents are never read as keys."""
    value = lines[line_index][start:]
    if value.startswith(('"""', "'''")):
        end = _skip_multiline_string(lines, line_index, start)
        return end[0] - line_index
    if not value.startswith("["):
        return 0
    depth = 0  # nesting of [] and {}; elements of the value itself are at depth 1
    element = 0
    expecting = False  # at depth 1, after "[" or ",": the next token starts an element
    row, position = line_index, start
    while row < len(lines):
        text = lines[row]
        while position < len(text):
            char = text[position]
            if char == "#":
                break
            if char.isspace():
                position += 1
                continue
            if depth == 1 and expecting and char not in ",]":
                source.add((*path, element), Location(source.file, row + 1, position + 1))
                expecting = False
            if text.startswith(('"""', "'''"), position):
                row, position = _skip_multiline_string(lines, row, position)
                text = lines[row] if row < len(lines) else ""
                continue
            if char in "\"'":
                match = _STRING.match(text, position)
                position = match.end() if match else len(text)
                continue
            if char in "[{":
                depth += 1
                expecting = depth == 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return row - line_index
            elif char == "," and depth == 1:
                element += 1
                expecting = True
            position += 1
        row += 1
        position = 0
    return len(lines) - 1 - line_index


def _skip_multiline_string(lines: list[str], row: int, position: int) -> tuple[int, int]:
    """The (line index, column) just after the multi-line string that starts at ``position``."""
    quote = lines[row][position : position + 3]
    search = position + 3
    while row < len(lines):
        found = lines[row].find(quote, search)
        if found >= 0:
            end = found + 3
            while lines[row][end : end + 1] == quote[0]:  # up to two quotes may end the content
                end += 1
            return row, end
        row += 1
        search = 0
    return len(lines) - 1, len(lines[-1]) if lines else 0
