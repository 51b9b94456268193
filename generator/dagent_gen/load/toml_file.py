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


def load_toml(path: Path) -> tuple[dict[str, Any] | None, SourceMap, list[Diagnostic]]:
    source = SourceMap(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return (
            None,
            source,
            [error("DG101", f"cannot read the definition: {err}", Location(str(path)))],
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _TOML_ERROR_POSITION.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = _TOML_ERROR_POSITION.sub("", message).strip()
        return (
            None,
            source,
            [
                error(
                    "DG102",
                    f"invalid TOML: {message}",
                    Location(str(path), line, column),
                    "fix the syntax at this position (see https://toml.io for the format)",
                )
            ],
        )
    _scan_locations(text, source)
    return data, source, []


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(rf"{_QUOTED_KEY}|{_BARE_KEY}", dotted)
    return tuple(part[1:-1] if part[:1] in "\"'" else part for part in parts)


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
            table = _split_key(header.group(1))
            column = line.index(header.group(1)) + 1
            for end in range(1, len(table) + 1):
                source.add(table[:end], Location(source.file, number, column))
            continue
        assignment = _ASSIGNMENT.match(line)
        if not assignment:
            continue
        key = _split_key(assignment.group(2))
        path = table + key
        column = len(assignment.group(1)) + 1
        for end in range(len(table) + 1, len(path) + 1):
            source.add(path[:end], Location(source.file, number, column))
        value = assignment.group(3)
        value_column = line.index(value, column - 1 + len(assignment.group(2))) + 1
        consumed = _record_value(lines, index - 1, value_column - 1, path, source)
        index += consumed


def _record_value(
    lines: list[str], line_index: int, start: int, path: KeyPath, source: SourceMap
) -> int:
    """Record array string elements; return how many extra lines the value spans."""
    value = lines[line_index][start:]
    for quote in ('"""', "'''"):
        if value.startswith(quote):
            if value.count(quote) >= 2:
                return 0
            for offset, later in enumerate(lines[line_index + 1 :], 1):
                if quote in later:
                    return offset
            return len(lines) - line_index - 1
    if not value.startswith("["):
        return 0
    depth = 0
    element = 0
    offset = 0
    position = start
    while line_index + offset < len(lines):
        text = lines[line_index + offset]
        while position < len(text):
            char = text[position]
            if char == "#":
                break
            if char in "\"'":
                match = _STRING.match(text, position)
                if match:
                    if depth == 1:
                        location = Location(source.file, line_index + offset + 1, position + 1)
                        source.add((*path, element), location)
                    position = match.end()
                    continue
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return offset
            elif char == "," and depth == 1:
                element += 1
            position += 1
        offset += 1
        position = 0
    return offset - 1
