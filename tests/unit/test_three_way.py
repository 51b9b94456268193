"""Tests for the line-based three-way merge used when regenerating hand-edited files."""

from __future__ import annotations

import difflib
import random

import pytest

from dagent_gen.merge import Conflict, MergeResult, merge3, resolve
from dagent_gen.merge.three_way import (
    has_conflict_markers,
    split_conflict_sides,
    split_lines,
)

BASE = "import os\n\ndef a():\n    return 1\n\ndef b():\n    return 2\n"


def test_user_edit_only_keeps_the_file_on_disk() -> None:
    ours = BASE.replace("return 1", "return 10  # tuned by hand")
    result = merge3(BASE, ours, BASE)
    assert result == MergeResult(ours, ())
    assert result.clean


def test_generator_edit_only_takes_the_new_generation() -> None:
    theirs = BASE.replace("return 2", "return 20")
    assert merge3(BASE, BASE, theirs) == MergeResult(theirs, ())


def test_non_overlapping_edits_from_both_sides_are_both_applied() -> None:
    ours = BASE.replace("return 1", "return 10")
    theirs = BASE.replace("return 2", "return 20").replace("import os\n", "import os\nimport re\n")
    result = merge3(BASE, ours, theirs)
    assert result.clean
    assert result.text == (
        "import os\nimport re\n\ndef a():\n    return 10\n\ndef b():\n    return 20\n"
    )


def test_identical_edits_are_applied_once() -> None:
    both = BASE.replace("def b():\n", "def b():\n    x = 0\n")
    result = merge3(BASE, both, both)
    assert result == MergeResult(both, ())


def test_identical_insertions_at_the_same_place_are_applied_once() -> None:
    ours = "a\nb\nnew\nc\n"
    theirs = "a\nB\nb\nnew\nc\n"
    assert merge3("a\nb\nc\n", ours, theirs) == MergeResult("a\nB\nb\nnew\nc\n", ())


def test_overlapping_edits_conflict_with_exact_diff3_markers() -> None:
    base = "a\nb\nc\n"
    result = merge3(base, "a\nB-user\nc\n", "a\nB-gen\nc\n")
    assert result.text == (
        "a\n"
        "<<<<<<< yours (on disk)\n"
        "B-user\n"
        "||||||| last generated\n"
        "b\n"
        "=======\n"
        "B-gen\n"
        ">>>>>>> newly generated\n"
        "c\n"
    )
    assert result.conflicts == (
        Conflict(
            start_line=2,
            end_line=8,
            base=("b",),
            ours=("B-user",),
            theirs=("B-gen",),
            ours_line=2,
        ),
    )
    assert not result.clean


def test_adjacent_differing_insertions_at_the_same_point_conflict() -> None:
    result = merge3("a\nb\n", "a\nmine\nb\n", "a\ntheirs\nb\n")
    assert result.text == (
        "a\n<<<<<<< yours (on disk)\nmine\n||||||| last generated\n"
        "=======\ntheirs\n>>>>>>> newly generated\nb\n"
    )
    (conflict,) = result.conflicts
    assert conflict.base == ()
    assert (conflict.ours, conflict.theirs, conflict.ours_line) == (("mine",), ("theirs",), 2)


def test_delete_versus_modify_conflicts_and_keeps_the_modification_visible() -> None:
    base = "keep\ndrop me\nend\n"
    result = merge3(base, "keep\nend\n", "keep\ndrop me, changed\nend\n")
    (conflict,) = result.conflicts
    assert conflict == Conflict(2, 7, ("drop me",), (), ("drop me, changed",), 2)
    assert result.text.splitlines()[1:7] == [
        "<<<<<<< yours (on disk)",
        "||||||| last generated",
        "drop me",
        "=======",
        "drop me, changed",
        ">>>>>>> newly generated",
    ]


def test_conflict_line_numbers_account_for_earlier_conflicts() -> None:
    base = "1\n2\n3\n4\n5\n"
    result = merge3(base, "1\nX\n3\n4\nY\n", "1\nx\n3\n4\ny\n")
    first, second = result.conflicts
    lines = result.text.splitlines()
    assert (first.start_line, first.end_line) == (2, 8)
    assert (second.start_line, second.end_line) == (11, 17)
    assert lines[second.start_line - 1].startswith("<<<<<<<")
    assert lines[second.end_line - 1].startswith(">>>>>>>")
    assert second.ours_line == 5


def test_resolve_takes_preferred_side_only_for_conflicts() -> None:
    base = "head\nshared\nmiddle\ntail\n"
    ours = "head (user)\nshared, user\nmiddle\ntail\n"
    theirs = "head\nshared, gen\nmiddle\ntail (gen)\n"
    assert resolve(base, ours, theirs, "ours") == "head (user)\nshared, user\nmiddle\ntail (gen)\n"
    assert resolve(base, ours, theirs, "theirs") == "head\nshared, gen\nmiddle\ntail (gen)\n"


def test_resolve_rejects_unknown_side() -> None:
    with pytest.raises(ValueError, match="prefer"):
        resolve("a\n", "b\n", "c\n", "both")  # type: ignore[arg-type]


def test_custom_and_empty_labels() -> None:
    result = merge3("b\n", "o\n", "t\n", ours_label="", base_label="v1", theirs_label="v2")
    assert result.text == "<<<<<<<\no\n||||||| v1\nb\n=======\nt\n>>>>>>> v2\n"


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "expected"),
    [
        ("", "", "", ""),
        ("", "", "new\n", "new\n"),
        ("", "user\n", "", "user\n"),
        ("a\nb\n", "", "a\nb\n", ""),
        ("a\nb\n", "a\nb\n", "", ""),
    ],
)
def test_empty_files(base: str, ours: str, theirs: str, expected: str) -> None:
    assert merge3(base, ours, theirs) == MergeResult(expected, ())


def test_empty_base_with_different_contents_is_a_conflict() -> None:
    result = merge3("", "user\n", "gen\n")
    assert result.conflicts == (Conflict(1, 6, (), ("user",), ("gen",), 1),)


def test_missing_final_newline_is_preserved() -> None:
    assert merge3("x\ny", "new\nx\ny", "x\nY").text == "new\nx\nY"
    assert merge3("x\nm\ny\n", "x\nm\ny", "X\nm\ny\n").text == "X\nm\ny"


def test_conflict_on_unterminated_last_line_keeps_markers_on_their_own_lines() -> None:
    result = merge3("a\nb", "a\nB", "a\nC")
    assert result.text == (
        "a\n<<<<<<< yours (on disk)\nB\n||||||| last generated\nb\n"
        "=======\nC\n>>>>>>> newly generated\n"
    )
    assert result.conflicts[0].ours == ("B",)


def test_crlf_line_endings_are_kept_and_used_for_markers() -> None:
    base = "a\r\nb\r\nc\r\n"
    assert merge3(base, "A\r\nb\r\nc\r\n", "a\r\nb\r\nC\r\n").text == "A\r\nb\r\nC\r\n"
    result = merge3(base, "a\r\nB\r\nc\r\n", "a\r\nX\r\nc\r\n")
    assert "<<<<<<< yours (on disk)\r\n" in result.text
    assert result.conflicts[0].ours == ("B",)


def test_form_feed_does_not_split_lines() -> None:
    assert split_lines("a\x0cb\nc") == ["a\x0cb\n", "c"]
    base = "a\x0cb\nm\nc\n"
    assert merge3(base, "a\x0cb\nm\nC\n", "A\x0cb\nm\nc\n").text == "A\x0cb\nm\nC\n"


def test_split_conflict_sides_maps_lines_into_each_side() -> None:
    merged = merge3("a\nb\nc\n", "a\nB\nc\n", "a\nX\nY\nc\n").text
    assert has_conflict_markers(merged)
    assert not has_conflict_markers("title\n=======\n")
    sides, places = split_conflict_sides(merged)
    assert sides == {"ours": "a\nB\nc\n", "base": "a\nb\nc\n", "theirs": "a\nX\nY\nc\n"}
    assert places[0] == (("ours", 1), ("theirs", 1), ("base", 1))
    assert places[2] == (("ours", 2),)  # "B"
    assert places[6] == (("theirs", 2),)  # "X"
    assert places[1] == places[2]  # opening marker -> first content line of the block
    assert places[8] == places[7]  # closing marker -> last content line of the block
    assert places[9] == (("ours", 3), ("theirs", 4), ("base", 3))


# --- Randomized properties ---------------------------------------------------------------

_ALPHABET = ["a", "b", "c", "d", "", "    pass"]


def _mutate(rng: random.Random, lines: list[str], tag: str) -> list[str]:
    """Apply a few random edits; some inserted lines are unique so we can track them."""
    out = list(lines)
    for _ in range(rng.randint(0, 4)):
        op = rng.choice(["insert", "delete", "replace", "unique"])
        at = rng.randint(0, len(out))
        if op == "insert":
            out.insert(at, rng.choice(_ALPHABET))
        elif op == "unique":
            out.insert(at, f"{tag}-{rng.randrange(10**9)}")
        elif out and at < len(out):
            if op == "delete":
                del out[at]
            else:
                out[at] = rng.choice(_ALPHABET)
    return out


def _join(rng: random.Random, lines: list[str]) -> str:
    text = "".join(line + "\n" for line in lines)
    if text and rng.random() < 0.15:
        text = text[:-1]  # no final newline
    return text


def _contents(text: str) -> list[str]:
    return [line.rstrip("\n") for line in split_lines(text)]


def _inserted(base: str, side: str) -> list[str]:
    a, b = _contents(base), _contents(side)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        line for op, _, _, j1, j2 in matcher.get_opcodes() if op != "equal" for line in b[j1:j2]
    ]


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(item == candidate for candidate in remaining) for item in needles)


def _take_side(result: MergeResult, side: str) -> list[str]:
    """Resolve the markers of ``result.text`` by hand, keeping one side of every conflict."""
    lines = _contents(result.text)
    out: list[str] = []
    previous_end = 0
    for conflict in result.conflicts:
        out.extend(lines[previous_end : conflict.start_line - 1])
        out.extend(conflict.ours if side == "ours" else conflict.theirs)
        previous_end = conflict.end_line
    out.extend(lines[previous_end:])
    return out


def test_randomized_merge_never_drops_user_lines() -> None:
    rng = random.Random(20240611)
    conflicted = clean = 0
    for _ in range(3000):
        base_lines = [rng.choice(_ALPHABET) for _ in range(rng.randint(0, 8))]
        base = _join(rng, base_lines)
        ours = base if rng.random() < 0.15 else _join(rng, _mutate(rng, base_lines, "user"))
        theirs = base if rng.random() < 0.15 else _join(rng, _mutate(rng, base_lines, "gen"))
        result = merge3(base, ours, theirs)
        case = (base, ours, theirs)

        if ours == base:
            assert result == MergeResult(theirs, ()), case
        if theirs == base:
            assert result == MergeResult(ours, ()), case
        merged = _contents(result.text)
        # Lines the user wrote always survive, in order, conflict or not.
        assert _is_subsequence(_inserted(base, ours), merged), case
        for line in _contents(ours):
            if line.startswith("user-"):
                assert line in merged, case
        if result.clean:
            clean += 1
            assert not has_conflict_markers(result.text), case
            assert _is_subsequence(_inserted(base, theirs), merged), case
            assert resolve(base, ours, theirs, "ours") == result.text, case
        else:
            conflicted += 1
            ours_lines = _contents(ours)
            for conflict in result.conflicts:
                block = merged[conflict.start_line - 1 : conflict.end_line]
                assert block[0] == "<<<<<<< yours (on disk)", case
                assert block[-1] == ">>>>>>> newly generated", case
                base_at = block.index("||||||| last generated")
                assert tuple(block[1:base_at]) == conflict.ours, case
                start = conflict.ours_line - 1
                assert tuple(ours_lines[start : start + len(conflict.ours)]) == conflict.ours
            for side in ("ours", "theirs"):
                assert _contents(resolve(base, ours, theirs, side)) == _take_side(result, side)
        # The two sides are treated symmetrically.
        swapped = merge3(base, theirs, ours)
        assert swapped.clean == result.clean, case
        if result.clean:
            assert swapped.text == result.text, case
    assert clean > 500 and conflicted > 500  # the generator exercises both paths
