"""Line-based three-way merge (diff3 semantics) for regenerating files the user has edited.

Regeneration must never lose hand edits. Given the text we generated last time (``base``),
the file on disk (``ours``, possibly edited by the user) and the freshly generated text
(``theirs``), we apply both sides' changes to ``base``. Where both sides changed the same
region differently we do not guess: we write a git-style diff3 conflict block so the user
sees all three versions and can decide.

The classic diff3 algorithm comes from the ``merge3`` package (Breezy's): diff base against
each side, find the "sync regions" (base lines both sides kept unchanged), and classify each
unstable chunk between them. If only one side touched a chunk, that side wins; if both made
the same change, it is applied once; otherwise it is a conflict. Adjacent changes with no
unchanged line between them (including two different insertions at the same point) are
conflicts, like in git. This module keeps what is ours to decide: exact line splitting, the
marker text and labels, conflict positions for messages, ``resolve`` and reading merged
text back (``split_conflict_sides``).

Lines are split on ``\\n`` only and keep their terminator, so line endings (LF or CRLF) and
the presence/absence of a final newline survive the merge byte for byte.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from merge3 import Merge3

#: The four diff3 marker prefixes, seven characters each (as git writes them).
OURS_MARKER = "<<<<<<<"
BASE_MARKER = "|||||||"
SEPARATOR_MARKER = "======="
THEIRS_MARKER = ">>>>>>>"


@dataclass(frozen=True)
class Conflict:
    """One conflicting hunk, located both in the merged output and in the on-disk file."""

    start_line: int  # 1-based line of the opening marker in the merged output
    end_line: int  # 1-based line of the closing marker (inclusive)
    base: tuple[str, ...]  # lines without their terminators
    ours: tuple[str, ...]  # "ours" = the file on disk (the user's version)
    theirs: tuple[str, ...]  # "theirs" = the freshly generated version
    ours_line: int  # 1-based first line of the hunk in the on-disk file, for messages


@dataclass(frozen=True)
class MergeResult:
    """The merged text (with diff3 markers if needed) and the conflicts it contains."""

    text: str
    conflicts: tuple[Conflict, ...]

    @property
    def clean(self) -> bool:
        """True when the merge needed no human decision (no markers in ``text``)."""
        return not self.conflicts


@dataclass(frozen=True)
class _Hunk:
    """A stretch of the merge: either settled (``resolved``) or a conflict (``resolved`` None)."""

    resolved: Sequence[str] | None
    base: Sequence[str] = ()
    ours: Sequence[str] = ()
    theirs: Sequence[str] = ()
    ours_start: int = 0  # 0-based index of the hunk's first line in ``ours``


def split_lines(text: str) -> list[str]:
    """Split on LF only, keeping terminators, so ``"".join(split_lines(t)) == t``.

    ``str.splitlines`` is not used because it also splits on form feeds and other
    characters that are legal inside Python source and must not change the line count.
    """
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def strip_terminator(line: str) -> str:
    """The line's content without ``\\n`` / ``\\r\\n``."""
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


def _hunks(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> Iterator[_Hunk]:
    """The merge3 package's regions, as settled hunks and conflicts."""
    # autojunk=False: the junk heuristic would treat frequent lines (blank lines, "pass",
    # closing brackets) as junk in files over 200 lines and produce poor, surprising diffs.
    matcher = functools.partial(difflib.SequenceMatcher, autojunk=False)
    merger = Merge3(base, ours, theirs, sequence_matcher=matcher)  # type: ignore[arg-type]
    for region in merger.merge_regions():
        if region[0] == "conflict":
            _, z0, z1, a0, a1, b0, b1 = region
            yield _Hunk(None, base[z0:z1], ours[a0:a1], theirs[b0:b1], a0)
        else:
            kind, start, end = region
            side = {"unchanged": base, "same": ours, "a": ours, "b": theirs}[kind]
            yield _Hunk(side[start:end])


def _newline_of(*texts: str) -> str:
    """The line terminator to use for markers: CRLF if the first terminated line uses it."""
    for text in texts:
        index = text.find("\n")
        if index >= 0:
            return "\r\n" if text[:index].endswith("\r") else "\n"
    return "\n"


def _marker(prefix: str, label: str, newline: str) -> str:
    return f"{prefix} {label}{newline}" if label else f"{prefix}{newline}"


def _terminated(lines: Sequence[str], newline: str) -> list[str]:
    """The lines with a terminator guaranteed on the last one, so a marker can follow it."""
    out = list(lines)
    if out and not out[-1].endswith("\n"):
        out[-1] += newline
    return out


def merge3(
    base: str,
    ours: str,
    theirs: str,
    *,
    ours_label: str = "yours (on disk)",
    base_label: str = "last generated",
    theirs_label: str = "newly generated",
) -> MergeResult:
    """Merge the user's edits (``ours``) and the generator's changes (``theirs``) onto ``base``.

    Non-overlapping changes of both sides are applied; identical changes once; everything
    else becomes a diff3 conflict block, recorded in ``MergeResult.conflicts``.
    """
    base_lines, ours_lines = split_lines(base), split_lines(ours)
    theirs_lines = split_lines(theirs)
    newline = _newline_of(ours, theirs, base)
    out: list[str] = []
    conflicts: list[Conflict] = []
    for hunk in _hunks(base_lines, ours_lines, theirs_lines):
        if hunk.resolved is not None:
            out.extend(hunk.resolved)
            continue
        start = len(out) + 1
        out.append(_marker(OURS_MARKER, ours_label, newline))
        out.extend(_terminated(hunk.ours, newline))
        out.append(_marker(BASE_MARKER, base_label, newline))
        out.extend(_terminated(hunk.base, newline))
        out.append(_marker(SEPARATOR_MARKER, "", newline))
        out.extend(_terminated(hunk.theirs, newline))
        out.append(_marker(THEIRS_MARKER, theirs_label, newline))
        conflicts.append(
            Conflict(
                start_line=start,
                end_line=len(out),
                base=tuple(strip_terminator(line) for line in hunk.base),
                ours=tuple(strip_terminator(line) for line in hunk.ours),
                theirs=tuple(strip_terminator(line) for line in hunk.theirs),
                ours_line=hunk.ours_start + 1,
            )
        )
    return MergeResult("".join(out), tuple(conflicts))


def resolve(base: str, ours: str, theirs: str, prefer: Literal["ours", "theirs"]) -> str:
    """Merge like ``merge3`` but settle each conflicting hunk by taking the ``prefer`` side.

    Only conflicting hunks are decided this way: non-conflicting changes from *both* sides are
    still applied, so ``prefer="theirs"`` keeps user edits elsewhere in the file.
    """
    if prefer not in ("ours", "theirs"):
        raise ValueError(f"prefer must be 'ours' or 'theirs', not {prefer!r}")
    out: list[str] = []
    for hunk in _hunks(split_lines(base), split_lines(ours), split_lines(theirs)):
        if hunk.resolved is not None:
            out.extend(hunk.resolved)
        else:
            out.extend(hunk.ours if prefer == "ours" else hunk.theirs)
    return "".join(out)


# --- Reading merged text back -------------------------------------------------------------
# Text with unresolved markers does not parse, but each side of it usually does. These helpers
# let structure-aware code look at every side while still talking about merged-text lines.

Side = Literal["ours", "base", "theirs"]
#: Where one merged-text line lives: candidate ``(side, 1-based line in that side)`` pairs.
Place = tuple[tuple[Side, int], ...]

# Which conflict section a marker line starts (the closing marker ends the block).
_SECTION_AFTER: dict[str, Side | None] = {
    OURS_MARKER: "ours",
    BASE_MARKER: "base",
    SEPARATOR_MARKER: "theirs",
    THEIRS_MARKER: None,
}


def marker_of(line: str) -> str | None:
    """The diff3 marker prefix a line starts with, or None for ordinary lines."""
    for marker in _SECTION_AFTER:
        if line.startswith(marker) and line[7:8] in ("", " ", "\n", "\r"):
            return marker
    return None


def has_conflict_markers(text: str) -> bool:
    """True if ``text`` has an opening or closing conflict marker line.

    ``=======`` alone is not enough: it is a common reStructuredText underline in docstrings.
    """
    return any(marker_of(line) in (OURS_MARKER, THEIRS_MARKER) for line in split_lines(text))


def split_conflict_sides(text: str) -> tuple[dict[Side, str], list[Place]]:
    """Split text with diff3 markers into its three sides and map each line into them.

    Returns each side's full text and, per merged line (index 0 = line 1), its places. A common
    line lives in all three sides (ours first); a line inside a conflict section lives in its
    own side; a marker line gets the places of the nearest content line of its block (the
    next one, or the previous one for the closing marker), so it never points anywhere the
    block's content does not. An unterminated block runs to the end of the text.
    """
    sides: dict[Side, list[str]] = {"ours": [], "base": [], "theirs": []}
    places: list[Place] = []
    markers: list[tuple[int, list[int]]] = []  # (line index, content indexes of its block)
    block: list[int] = []
    section: Side | None = None
    for index, line in enumerate(split_lines(text)):
        marker = marker_of(line)
        opens = marker == OURS_MARKER and section is None
        switches = (marker == BASE_MARKER and section == "ours") or (
            marker == SEPARATOR_MARKER and section in ("ours", "base")
        )
        if opens or switches or (marker == THEIRS_MARKER and section is not None):
            if opens:
                block = []
            section = _SECTION_AFTER[marker or ""]
            markers.append((index, block))
            places.append(())
            continue
        targets: tuple[Side, ...] = ("ours", "theirs", "base") if section is None else (section,)
        for side in targets:
            sides[side].append(line)
        places.append(tuple((side, len(sides[side])) for side in targets))
        if section is not None:
            block.append(index)
    for index, content in markers:
        after = [i for i in content if i > index]
        before = [i for i in content if i < index]
        if after or before:
            places[index] = places[after[0] if after else before[-1]]
    return {side: "".join(lines) for side, lines in sides.items()}, places
