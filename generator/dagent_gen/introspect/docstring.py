"""Read the human text out of a tool's docstring.

The model only sees a tool through its JSON schema, so the docstring is where the tool author
explains *what the tool does* and *what each argument means*.  This parser extracts exactly
that and nothing more: the summary, the free-text description and per-parameter text from a
Google-style ``Args:`` section (or reST ``:param x:`` fields, which many editors generate).
Other sections (``Returns:``, ``Raises:``, ``Examples:``...) describe things the model does not
need, so they only serve to end the description.

It never raises: a malformed docstring yields whatever could be understood.

Why hand-written (see docs/decisions.md): docstring-parser and griffe were both run on this
module's test corpus and each got cases wrong that tool authors write: a type containing a
colon (``when (Literal["a:b"]): ...``), a docstring that starts with ``Args:`` on the
opening line, ``Keyword Args:`` (docstring-parser), a section not preceded by a blank line
and mixed Google/reST (griffe needs a blank line; docstring-parser picks one style). The
formats are stable, so this parser does not drift the way an API schema would.
"""

from __future__ import annotations

import inspect
import linecache
import re
from collections.abc import Set
from dataclasses import dataclass, field

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, warning

__all__ = ["ParsedDocstring", "parse_docstring", "unknown_param_warnings"]

# Section titles that open a parameter list (compared lower-case, without the colon).
_PARAM_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "kwargs",
        "other parameters",
    }
)
# Every other well-known Google/NumPy section: recognised so it ends the description.
_OTHER_SECTIONS = frozenset(
    {
        "attributes",
        "example",
        "examples",
        "except",
        "exceptions",
        "methods",
        "note",
        "notes",
        "raise",
        "raises",
        "references",
        "return",
        "returns",
        "see also",
        "todo",
        "warning",
        "warnings",
        "warns",
        "yield",
        "yields",
    }
)
_SECTION_HEADER = re.compile(r"^(?P<title>[A-Za-z][A-Za-z ]*?)\s*:\s*$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_REST_FIELD = re.compile(r"^:(?P<kind>\w+)(?P<rest>[^:]*):\s*(?P<text>.*)$")
_REST_PARAM_KINDS = frozenset({"param", "parameter", "arg", "argument", "key", "keyword"})
_NAME = re.compile(r"^\*{0,2}(?P<name>[A-Za-z_]\w*)")


@dataclass(frozen=True)
class ParsedDocstring:
    """What a docstring says about a tool.

    ``summary`` is the first paragraph on one line (good for listings); ``description`` is
    all text before the first section, paragraphs kept; ``params`` maps a parameter name to
    its description (continuation lines joined with single spaces); ``param_lines`` maps it
    to the 0-based line of its entry, counted from ``first_line``, the first line of
    ``inspect.cleandoc``'s result (so an entry for a missing parameter can be pointed at).
    """

    summary: str = ""
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    param_lines: dict[str, int] = field(default_factory=dict, compare=False)
    first_line: str = field(default="", compare=False)


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Parse a Google-style (or reST ``:param:``) docstring; ``None``/empty gives empty parts."""
    if not doc or not doc.strip():
        return ParsedDocstring()
    lines = inspect.cleandoc(doc).splitlines()
    if _starts_with_bare_section(lines):
        # `"""Args:\n    x: ...` - cleandoc measures the margin from the lines after the
        # first, so the entries lost the indentation that marks them as the section's body.
        lines = [
            line if i == 0 or _section_title(lines, i) else "    " + line
            for i, line in enumerate(lines)
        ]
    body_end = _first_section_line(lines)
    description = _normalise_paragraphs(lines[:body_end])
    summary = " ".join(description.split("\n\n", 1)[0].split())
    params: dict[str, str] = {}
    param_lines: dict[str, int] = {}
    for name, text, line in _google_params(lines) + _rest_params(lines):
        params.setdefault(name, text)
        param_lines.setdefault(name, line)
    return ParsedDocstring(summary, description, params, param_lines, lines[0].strip())


def unknown_param_warnings(
    docs: ParsedDocstring, parameters: Set[str], where: Location
) -> list[Diagnostic]:
    """DG311 warnings: docstring entries for names not in ``parameters``, at their lines.

    Usually a typo or a renamed parameter; the entry's text would never reach the model.
    ``where`` is the function's ``def`` line; the docstring is looked up just below it.
    """
    unknown = {n: line for n, line in docs.param_lines.items() if n not in parameters}
    first = _docstring_first_line(docs.first_line, where) if unknown else 0
    return [
        warning(
            Code.DOCSTRING_UNKNOWN_PARAMETER,
            f"the docstring documents `{name}`, which is not a parameter of the function",
            Location(where.file, first + line) if first else where,
            hint="fix the name in the docstring or remove the entry",
        )
        for name, line in unknown.items()
    ]


def _docstring_first_line(head: str, where: Location) -> int:
    """The file line holding the docstring's first text line (0: not found, e.g. inherited).

    ``inspect.cleandoc`` drops leading blank lines but keeps the others, so the entries'
    ``param_lines`` count from this line.
    """
    lines = linecache.getlines(where.file) if head and where.line else []
    for number in range(where.line, min(len(lines), where.line + 50) + 1):
        if head in lines[number - 1]:
            return number
    return 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _section_title(lines: list[str], index: int) -> str | None:
    """The lower-cased section title starting at ``lines[index]``, if one starts there.

    Google style is ``Args:``; NumPy style is ``Parameters`` underlined with dashes.
    """
    line = lines[index]
    match = _SECTION_HEADER.match(line.strip())
    if match:
        title = " ".join(match.group("title").lower().split())
        if title in _PARAM_SECTIONS or title in _OTHER_SECTIONS:
            return title
    nxt = lines[index + 1] if index + 1 < len(lines) else ""
    title = " ".join(line.strip().lower().split())
    if _NUMPY_UNDERLINE.match(nxt) and (title in _PARAM_SECTIONS or title in _OTHER_SECTIONS):
        return title
    return None


def _starts_with_bare_section(lines: list[str]) -> bool:
    """True for ``Args:`` on the first line followed by an unindented, non-section line."""
    if not lines[0].rstrip().endswith(":") or _section_title(lines, 0) is None:
        return False
    following = next((i for i in range(1, len(lines)) if lines[i].strip()), None)
    return (
        following is not None
        and _indent(lines[following]) == 0
        and _section_title(lines, following) is None
    )


def _first_section_line(lines: list[str]) -> int:
    """Index of the first line that is a section header or a reST field (else ``len``)."""
    for index, line in enumerate(lines):
        if _section_title(lines, index) is not None or _REST_FIELD.match(line.strip()):
            return index
    return len(lines)


def _normalise_paragraphs(lines: list[str]) -> str:
    """Strip, drop surrounding blank lines and collapse runs of blank lines to one."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p).strip()


def _join(parts: list[str]) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p.strip())


def _split_entry(text: str) -> tuple[str, str] | None:
    """Split ``name (type): text`` / ``name: text`` into ``(name, text)``.

    The type in parentheses may itself contain parentheses and colons, so it is skipped by
    bracket counting rather than with a regular expression.
    """
    match = _NAME.match(text)
    if not match:
        return None
    name, rest = match.group("name"), text[match.end() :].lstrip()
    if rest.startswith("("):
        depth = 0
        for pos, char in enumerate(rest):
            depth += (char == "(") - (char == ")")
            if depth == 0:
                rest = rest[pos + 1 :].lstrip()
                break
        else:
            return None
    if not rest.startswith(":"):
        return None
    return name, rest[1:].strip()


# (name, text, 0-based line of the entry)
_Entry = tuple[str, str, int]


def _google_params(lines: list[str]) -> list[_Entry]:
    """Entries of every parameter section (Google ``Args:`` or NumPy ``Parameters``)."""
    found: list[_Entry] = []
    index = 0
    while index < len(lines):
        title = _section_title(lines, index)
        if title not in _PARAM_SECTIONS:
            index += 1
            continue
        header_indent = _indent(lines[index])
        numpy = not lines[index].rstrip().endswith(":")
        index += 2 if numpy else 1  # skip the header (and a NumPy underline)
        start = index
        while index < len(lines):
            line = lines[index]
            if numpy and _section_title(lines, index) is not None:
                break  # NumPy entries sit at the header's indent; only a new section ends them
            if not numpy and line.strip() and _indent(line) <= header_indent:
                break  # Google entries are indented under the header
            index += 1
        block = lines[start:index]
        found += _numpy_entries(block, start) if numpy else _entries(block, start)
    return found


def _entries(block: list[str], first: int) -> list[_Entry]:
    """Google entries: one per line at the block's base indent, deeper lines continue it."""
    base = min((_indent(line) for line in block if line.strip()), default=0)
    found: list[tuple[str, list[str], int]] = []
    for offset, line in enumerate(block):
        entry = _split_entry(line.strip()) if line.strip() and _indent(line) == base else None
        if entry is not None:
            found.append((entry[0], [entry[1]], first + offset))
        elif found:
            found[-1][1].append(line)
    return [(name, _join(parts), at) for name, parts, at in found]


def _numpy_entries(block: list[str], first: int) -> list[_Entry]:
    """NumPy entries: ``name : type`` (or ``a, b : type``) at the base indent, text below."""
    base = min((_indent(line) for line in block if line.strip()), default=0)
    found: list[tuple[list[str], list[str], int]] = []
    for offset, line in enumerate(block):
        if line.strip() and _indent(line) == base:
            # ``x, y : int`` documents two parameters with one text.
            names = [_NAME.match(n.strip()) for n in line.split(" :", 1)[0].split(",")]
            if all(names):
                found.append(([m.group("name") for m in names if m], [], first + offset))
        elif found:
            found[-1][1].append(line)
    return [(name, _join(parts), at) for names, parts, at in found for name in names]


def _rest_params(lines: list[str]) -> list[_Entry]:
    """``:param name: text`` / ``:param type name: text`` fields, with indented continuation."""
    found: list[tuple[str, list[str], int]] = []
    current: list[str] | None = None
    for index, line in enumerate(lines):
        match = _REST_FIELD.match(line.strip())
        if match:
            current = None
            words = match.group("rest").split()
            if match.group("kind") in _REST_PARAM_KINDS and words:
                name_match = _NAME.match(words[-1])
                if name_match:
                    current = [match.group("text")]
                    found.append((name_match.group("name"), current, index))
        elif current is not None and line.strip() and _indent(line) > 0:
            current.append(line)
        elif not line.strip():
            continue
        else:
            current = None
    return [(name, _join(parts), at) for name, parts, at in found]
