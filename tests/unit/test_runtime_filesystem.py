"""The filesystem tools inside their root: what each tool shows, its limits and its errors.

Confinement (every way out of the root) is in test_runtime_filesystem_confinement.py.
"""

from __future__ import annotations

import os
import stat
import time
import tracemalloc
from pathlib import Path

import pytest

from dagent_gen.runtime import file_text
from dagent_gen.runtime.filesystem import FilesystemToolError, FilesystemTools


def make_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


@pytest.fixture
def tools(root: Path) -> FilesystemTools:
    return FilesystemTools(root)


def numbered(*lines: str, start: int = 1) -> str:
    return "\n".join(f"{n:>6}\t{line}" for n, line in enumerate(lines, start))


# -- configuration -------------------------------------------------------------------------------


def test_the_root_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"is not a directory"):
        FilesystemTools(tmp_path / "file")
    with pytest.raises(NotADirectoryError):
        FilesystemTools(tmp_path / "missing")


def test_the_output_cap_has_a_floor(root: Path) -> None:
    with pytest.raises(ValueError, match=r"max_output_chars must be at least 1000"):
        FilesystemTools(root, max_output_chars=999)


# -- ls ------------------------------------------------------------------------------------------


def test_ls_lists_one_level_sorted_with_directories_marked(
    root: Path, tools: FilesystemTools
) -> None:
    make_tree(root, {"b.txt": "", "a/deep/x.txt": "", ".hidden": "", "C.md": ""})
    assert tools.ls() == ".hidden\nC.md\na/\nb.txt"
    assert tools.ls(".") == tools.ls("") == tools.ls(str(root)) == tools.ls("a/..")
    assert tools.ls("a") == "a/deep/"
    assert tools.ls("a/deep/") == "a/deep/x.txt"


def test_ls_of_an_empty_directory(root: Path, tools: FilesystemTools) -> None:
    (root / "empty").mkdir()
    assert tools.ls("empty") == "No files found"
    assert tools.ls() == "empty/"


def test_ls_errors(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"f.txt": "x"})
    with pytest.raises(FilesystemToolError, match=r"^'f.txt' is not a directory$"):
        tools.ls("f.txt")
    with pytest.raises(FilesystemToolError, match=r"^'nope' does not exist$"):
        tools.ls("nope")
    with pytest.raises(FilesystemToolError, match=r"^'nope/deeper' does not exist$"):
        tools.ls("nope/deeper")


def test_ls_is_capped_with_a_note(root: Path) -> None:
    make_tree(root, {f"file_{n:04}.txt": "" for n in range(300)})
    output = FilesystemTools(root, max_output_chars=1000).ls()
    assert len(output) <= 1000
    shown = output.splitlines()[:-1]
    assert shown[0] == "file_0000.txt"
    assert output.endswith(f"\n[{300 - len(shown)} more entries not shown (output capped)]")


# -- read_file -----------------------------------------------------------------------------------


def test_read_file_numbers_lines_and_says_what_remains(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"f.txt": "one\ntwo\nthree\nfour\nfive\n"})
    assert tools.read_file("f.txt") == numbered("one", "two", "three", "four", "five")
    assert tools.read_file("f.txt", limit=2) == (
        numbered("one", "two") + "\n[lines 1-2 of 5; 3 remaining; continue with offset=2]"
    )
    assert tools.read_file("f.txt", offset=2, limit=2) == (
        numbered("three", "four", start=3)
        + "\n[lines 3-4 of 5; 1 remaining; continue with offset=4]"
    )
    assert tools.read_file("f.txt", offset=3) == (
        numbered("four", "five", start=4) + "\n[lines 4-5 of 5; end of file]"
    )


def test_read_file_line_endings(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"crlf.txt": b"a\r\nb\r\n", "open.txt": "a\nlast"})
    assert tools.read_file("crlf.txt") == numbered("a", "b")
    assert tools.read_file("open.txt") == numbered("a", "last")


def test_read_file_offset_past_the_end(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"f.txt": "a\nb\nc\n", "one.txt": "x"})
    with pytest.raises(FilesystemToolError) as past:
        tools.read_file("f.txt", offset=3)
    assert str(past.value) == (
        "offset 3 is past the end of 'f.txt', which has 3 lines; use an offset below 3"
    )
    with pytest.raises(FilesystemToolError, match=r"which has 1 line; use an offset below 1"):
        tools.read_file("one.txt", offset=10)


def test_read_file_of_an_empty_file(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"empty.txt": ""})
    assert tools.read_file("empty.txt") == "'empty.txt' is empty (0 lines)."
    assert tools.read_file("empty.txt", offset=5) == "'empty.txt' is empty (0 lines)."


@pytest.mark.parametrize(
    ("offset", "limit", "message"),
    [
        (-1, 10, "offset must be at least 0, not -1"),
        (0, 0, "limit must be between 1 and 100000, not 0"),
        (0, 100_001, "limit must be between 1 and 100000, not 100001"),
        (True, 10, "offset must be an integer"),
        ("3", 10, "offset must be an integer"),
    ],
)
def test_read_file_checks_offset_and_limit(
    root: Path, tools: FilesystemTools, offset: object, limit: object, message: str
) -> None:
    make_tree(root, {"f.txt": "a\n"})
    with pytest.raises(FilesystemToolError, match=f"^{message}$"):
        tools.read_file("f.txt", offset=offset, limit=limit)  # type: ignore[arg-type]


def test_read_file_splits_long_lines_and_cuts_very_long_ones(
    root: Path, tools: FilesystemTools
) -> None:
    make_tree(root, {"long.txt": "a" * 4500 + "\nshort\n", "huge.txt": "b" * 50_000 + "\n"})
    rows = tools.read_file("long.txt").splitlines()
    assert rows == [
        f"{1:>6}\t" + "a" * 2000,
        f"{'1.2':>6}\t" + "a" * 2000,
        f"{'1.3':>6}\t" + "a" * 500,
        f"{2:>6}\tshort",
    ]
    huge = tools.read_file("huge.txt").splitlines()
    assert [row.split("\t")[0].strip() for row in huge] == ["1", "1.2", "1.3", "1.4", "1.5"]
    assert huge[-1].endswith("b" * 2000 + " [... line 1 is cut: 40001 more bytes]")


def test_read_file_refuses_binary_files(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"nul.bin": b"text\0more", "latin1.txt": "caf\xe9\n".encode("latin-1")})
    assert tools.read_file("nul.bin") == "'nul.bin' is a binary file (9 bytes); it is not shown."
    assert tools.read_file("latin1.txt").startswith("'latin1.txt' is a binary file")


def test_a_character_cut_by_the_binary_sniff_is_still_text(
    root: Path, tools: FilesystemTools
) -> None:
    text = "x" * (file_text.SNIFF_BYTES - 1) + "é\n"  # é straddles the sniffed prefix's end
    make_tree(root, {"f.txt": text})
    assert tools.read_file("f.txt").endswith("é")


def test_read_file_of_special_files(root: Path, tools: FilesystemTools) -> None:
    (root / "dir").mkdir()
    os.mkfifo(root / "pipe")  # opening a FIFO for reading would block without O_NONBLOCK
    with pytest.raises(FilesystemToolError, match=r"^'dir' is a directory; use ls$"):
        tools.read_file("dir")
    with pytest.raises(FilesystemToolError, match=r"^'.' is a directory; use ls$"):
        tools.read_file(".")
    with pytest.raises(FilesystemToolError, match=r"^'pipe' is not a file$"):
        tools.read_file("pipe")
    with pytest.raises(FilesystemToolError, match=r"^'missing.txt' does not exist$"):
        tools.read_file("missing.txt")


def test_read_file_output_is_capped_and_can_be_continued(
    root: Path, tools: FilesystemTools
) -> None:
    make_tree(root, {"big.txt": "".join(f"line {n} " + "x" * 90 + "\n" for n in range(3000))})
    first = tools.read_file("big.txt")
    assert len(first) <= 20_000
    last_shown = int(first.splitlines()[-2].split("\t")[0])
    assert first.endswith(
        f"\n[output cut at 20000 characters; lines 1-{last_shown} of 3000; "
        f"{3000 - last_shown} remaining; continue with offset={last_shown}]"
    )
    following = tools.read_file("big.txt", offset=last_shown, limit=1)
    assert following.startswith(f"{last_shown + 1:>6}\tline {last_shown} ")


def test_read_file_does_not_count_lines_of_large_files(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_text, "COUNT_LINES_UP_TO_BYTES", 100)
    make_tree(root, {"f.txt": "".join(f"{n}\n" for n in range(100))})
    assert tools.read_file("f.txt", limit=2) == (
        numbered("0", "1") + "\n[lines 1-2 shown; the file continues (286 bytes left, too large "
        "to count its lines); continue with offset=2]"
    )


def test_read_file_reads_a_huge_file_lazily(root: Path, tools: FilesystemTools) -> None:
    path = root / "huge.log"
    with path.open("wb") as handle:
        handle.write(b"".join(b"line %d\n" % n for n in range(2000)))  # past the binary sniff
        handle.truncate(2 * 1024**3)  # 2 GiB, sparse: loading it would need 2 GiB of memory
    tracemalloc.start()
    started = time.monotonic()
    try:
        output = tools.read_file("huge.log", offset=100, limit=3)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert output.startswith(numbered("line 100", "line 101", "line 102", start=101))
    assert "too large to count its lines); continue with offset=103]" in output
    assert peak < 20 * 1024 * 1024
    assert time.monotonic() - started < 30


# -- write_file ----------------------------------------------------------------------------------


def test_write_file_creates_parents_then_overwrites(root: Path, tools: FilesystemTools) -> None:
    assert tools.write_file("a/b/new.txt", "hello\nworld\n") == (
        "Created 'a/b/new.txt' (2 lines, 12 bytes)."
    )
    assert (root / "a" / "b" / "new.txt").read_bytes() == b"hello\nworld\n"
    assert tools.write_file("a/b/new.txt", "é") == "Overwrote 'a/b/new.txt' (1 lines, 2 bytes)."
    assert (root / "a" / "b" / "new.txt").read_text() == "é"
    assert tools.write_file("empty.txt", "") == "Created 'empty.txt' (0 lines, 0 bytes)."
    assert sorted(p.name for p in (root / "a" / "b").iterdir()) == ["new.txt"]  # no temp file


def test_write_file_keeps_the_mode_of_the_file_it_replaces(
    root: Path, tools: FilesystemTools
) -> None:
    make_tree(root, {"script.sh": "old"})
    (root / "script.sh").chmod(0o750)
    tools.write_file("script.sh", "new")
    assert stat.S_IMODE((root / "script.sh").stat().st_mode) == 0o750


def test_write_file_errors(root: Path, tools: FilesystemTools) -> None:
    (root / "dir").mkdir()
    with pytest.raises(FilesystemToolError, match=r"^'dir' is a directory$"):
        tools.write_file("dir", "x")
    with pytest.raises(FilesystemToolError, match=r"^'.' is a directory$"):
        tools.write_file(".", "x")
    with pytest.raises(FilesystemToolError, match=r"^content must be a string, not bytes$"):
        tools.write_file("f.txt", b"x")  # type: ignore[arg-type]
    with pytest.raises(FilesystemToolError, match=r"^content is not valid Unicode text$"):
        tools.write_file("f.txt", "\ud800")
    assert not (root / "f.txt").exists()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(root, {"f.txt": "old\n"})

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(FilesystemToolError, match=r"^'f.txt': No space left on device$"):
        tools.write_file("f.txt", "new\n")
    assert (root / "f.txt").read_text() == "old\n"
    assert sorted(p.name for p in root.iterdir()) == ["f.txt"]


# -- edit_file -----------------------------------------------------------------------------------


def test_edit_file_replaces_a_unique_string(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"f.py": b"def f():\r\n    return 1\r\n"})
    assert tools.edit_file("f.py", "return 1", "return 2") == (
        "Edited 'f.py': replaced 1 occurrence."
    )
    assert (root / "f.py").read_bytes() == b"def f():\r\n    return 2\r\n"


def test_edit_file_needs_a_unique_match_unless_replace_all(
    root: Path, tools: FilesystemTools
) -> None:
    make_tree(root, {"f.txt": "a = 1\nb = 1\nc = 1\n"})
    with pytest.raises(FilesystemToolError) as ambiguous:
        tools.edit_file("f.txt", "= 1", "= 2")
    assert str(ambiguous.value) == (
        "old_string occurs 3 times in 'f.txt'; include more surrounding text to make it "
        "unique, or set replace_all=true"
    )
    assert (root / "f.txt").read_text() == "a = 1\nb = 1\nc = 1\n"
    assert tools.edit_file("f.txt", "= 1", "= 2", replace_all=True) == (
        "Edited 'f.txt': replaced 3 occurrences."
    )
    assert (root / "f.txt").read_text() == "a = 2\nb = 2\nc = 2\n"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "absent",
            "NEW",
            "old_string was not found in 'f.txt'; it must match exactly, including whitespace "
            "and indentation",
        ),
        ("", "x", "old_string is empty; give the exact text to replace"),
        ("text", "text", "old_string and new_string are the same; nothing to do"),
    ],
)
def test_edit_file_refusals_leave_the_file_alone(
    root: Path, tools: FilesystemTools, old: str, new: str, message: str
) -> None:
    make_tree(root, {"f.txt": "some text\n"})
    with pytest.raises(FilesystemToolError) as refused:
        tools.edit_file("f.txt", old, new)
    assert str(refused.value) == message
    assert (root / "f.txt").read_text() == "some text\n"


def test_edit_file_not_found_says_when_the_edit_seems_already_made(
    root: Path, tools: FilesystemTools
) -> None:
    """A retried activity (its first attempt edited, then the worker died) must not mislead."""
    make_tree(root, {"f.txt": "x = 1\n"})
    tools.edit_file("f.txt", "x = 1", "x = 2")
    with pytest.raises(FilesystemToolError) as again:
        tools.edit_file("f.txt", "x = 1", "x = 2")
    assert str(again.value).endswith(
        "(new_string is in the file: the edit may already have been made)"
    )
    assert (root / "f.txt").read_text() == "x = 2\n"


def test_edit_file_refuses_binary_and_non_utf8_files(root: Path, tools: FilesystemTools) -> None:
    make_tree(root, {"a.bin": b"x\0y", "b.txt": b"caf\xe9"})
    with pytest.raises(FilesystemToolError, match=r"^'a.bin' is a binary file; edit_file edits"):
        tools.edit_file("a.bin", "x", "z")
    with pytest.raises(FilesystemToolError, match=r"^'b.txt' is not UTF-8 text; edit_file refused"):
        tools.edit_file("b.txt", "caf", "x")
    with pytest.raises(FilesystemToolError, match=r"^'missing' does not exist$"):
        tools.edit_file("missing", "caf", "x")


# -- read_only -----------------------------------------------------------------------------------


def test_read_only_refuses_writes_and_edits(root: Path) -> None:
    make_tree(root, {"f.txt": "keep\n"})
    tools = FilesystemTools(root, read_only=True)
    with pytest.raises(FilesystemToolError) as write:
        tools.write_file("new.txt", "x")
    assert str(write.value) == "the filesystem is read-only for this agent; write_file refused"
    with pytest.raises(FilesystemToolError, match=r"read-only for this agent; edit_file refused"):
        tools.edit_file("f.txt", "keep", "lose")
    assert sorted(p.name for p in root.iterdir()) == ["f.txt"]
    assert (root / "f.txt").read_text() == "keep\n"
    assert tools.read_file("f.txt") == numbered("keep")


# -- glob ----------------------------------------------------------------------------------------


@pytest.fixture
def source_tree(root: Path) -> Path:
    make_tree(
        root,
        {
            "a.py": "",
            "a.txt": "",
            "a/b.py": "",
            "a/c/d.py": "",
            "a/c/e.md": "",
            ".hidden.py": "",
            "src/x.ts": "",
            "src/y.tsx": "",
        },
    )
    return root


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.py", ".", ".hidden.py\na.py"),
        ("**/*.py", ".", ".hidden.py\na.py\na/b.py\na/c/d.py"),
        ("a/**", ".", "a/b.py\na/c/d.py\na/c/e.md"),
        ("**/c/*", ".", "a/c/d.py\na/c/e.md"),
        ("**/*.{ts,tsx}", ".", "src/x.ts\nsrc/y.tsx"),
        ("?.py", ".", "a.py"),
        ("[ab].*", ".", "a.py\na.txt"),
        ("[!a]*", ".", ".hidden.py"),
        ("**/*", "a/c", "a/c/d.py\na/c/e.md"),
        ("*", "a", "a/b.py"),
    ],
)
def test_glob_matches_files_only_sorted(
    source_tree: Path, tools: FilesystemTools, pattern: str, path: str, expected: str
) -> None:
    assert tools.glob(pattern, path) == expected


def test_glob_without_matches_and_bad_patterns(source_tree: Path, tools: FilesystemTools) -> None:
    assert tools.glob("*.rs") == "No files found matching '*.rs'"
    with pytest.raises(FilesystemToolError, match=r"must be relative to the path searched"):
        tools.glob("../*")
    with pytest.raises(FilesystemToolError, match=r"must be relative to the path searched"):
        tools.glob("/etc/*")
    with pytest.raises(FilesystemToolError, match=r"^the glob pattern must be a non-empty string$"):
        tools.glob("")
    with pytest.raises(FilesystemToolError, match=r"^'a.py' is not a directory$"):
        tools.glob("*", "a.py")


def test_glob_is_capped_with_a_note(root: Path) -> None:
    make_tree(root, {f"d/file_{n:04}.txt": "" for n in range(500)})
    output = FilesystemTools(root, max_output_chars=1000).glob("**/*.txt")
    assert len(output) <= 1000
    shown = output.splitlines()[:-1]
    assert shown == [f"d/file_{n:04}.txt" for n in range(len(shown))]
    assert output.endswith(f"\n[{500 - len(shown)} more files not shown (output capped)]")


def test_glob_stops_a_walk_that_is_too_large(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.runtime import filesystem

    monkeypatch.setattr(filesystem, "MAX_SCANNED_ENTRIES", 5)
    make_tree(root, {f"f{n}.txt": "" for n in range(10)})
    output = tools.glob("*.txt")
    assert output.endswith("\n[the search stopped after scanning 5 entries]")
    assert len(output.splitlines()) == 6


# -- grep ----------------------------------------------------------------------------------------


@pytest.fixture
def text_tree(root: Path) -> Path:
    make_tree(
        root,
        {
            "notes.md": "todo: a.c\nabc\nTODO later\n",
            "src/main.py": "x = 1  # todo\ny = 2\n# todo again\n",
            "src/lib/util.py": "nothing here\n",
            "image.bin": b"\0todo\0",
        },
    )
    return root


def test_grep_output_modes(text_tree: Path, tools: FilesystemTools) -> None:
    assert tools.grep("todo") == "notes.md\nsrc/main.py\n[1 binary files skipped]"
    assert tools.grep("todo", output_mode="count") == (
        "notes.md:1\nsrc/main.py:2\n[1 binary files skipped]"
    )
    assert tools.grep("todo", "src", output_mode="content") == (
        "src/main.py:1:x = 1  # todo\nsrc/main.py:3:# todo again"
    )


def test_grep_is_literal_unless_asked_for_a_regex(text_tree: Path, tools: FilesystemTools) -> None:
    assert tools.grep("a.c", "notes.md", output_mode="content") == "notes.md:1:todo: a.c"
    assert tools.grep("a.c", "notes.md", output_mode="content", regex=True) == (
        "notes.md:1:todo: a.c\nnotes.md:2:abc"
    )
    assert tools.grep("todo", "notes.md", output_mode="count", ignore_case=True) == "notes.md:2"
    with pytest.raises(FilesystemToolError, match=r"^invalid regular expression '\(': "):
        tools.grep("(", regex=True)


def test_grep_filters_and_limits(text_tree: Path, tools: FilesystemTools) -> None:
    assert tools.grep("todo", glob="*.py") == "src/main.py"
    assert tools.grep("o", glob="src/lib/**") == "src/lib/util.py"
    assert tools.grep("o", "src", glob="lib/*.py") == "src/lib/util.py"
    assert tools.grep("todo", "src", output_mode="content", max_count=1) == (
        "src/main.py:1:x = 1  # todo"
    )
    assert tools.grep("absent") == "No matches for 'absent'\n[1 binary files skipped]"


def test_grep_argument_errors(text_tree: Path, tools: FilesystemTools) -> None:
    with pytest.raises(
        FilesystemToolError, match=r"^output_mode must be one of files_with_matches"
    ):
        tools.grep("x", output_mode="lines")
    with pytest.raises(FilesystemToolError, match=r"^max_count must be at least 1, not 0$"):
        tools.grep("x", max_count=0)
    with pytest.raises(FilesystemToolError, match=r"^the pattern must be a non-empty string$"):
        tools.grep("")
    with pytest.raises(FilesystemToolError, match=r"^'missing' does not exist$"):
        tools.grep("x", "missing")


def test_grep_is_capped_with_a_note(root: Path) -> None:
    make_tree(root, {f"f{n:03}.txt": "match " + "y" * 600 + "\n" * 3 for n in range(100)})
    output = FilesystemTools(root, max_output_chars=2000).grep("match", output_mode="content")
    assert len(output) <= 2000
    assert output.startswith("f000.txt:1:match " + "y" * 494 + " [... 106 more characters]")
    assert output.endswith("\n[output capped: more matches not shown; narrow path or glob]")


def test_grep_skips_large_files_with_a_note(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.runtime import file_search

    monkeypatch.setattr(file_search, "MAX_GREP_FILE_BYTES", 10)
    make_tree(root, {"big.txt": "needle " * 10, "small.txt": "needle"})
    assert tools.grep("needle") == "small.txt\n[1 files over 10 bytes skipped]"


def test_grep_stops_before_reading_too_much_in_all(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.runtime import file_search

    monkeypatch.setattr(file_search, "MAX_GREP_TOTAL_BYTES", 30)
    make_tree(root, {"a.txt": "needle " * 2, "b.txt": "needle " * 2, "c.txt": "needle"})
    assert tools.grep("needle", output_mode="count") == (
        "a.txt:1\nb.txt:1\n[the search stopped before reading more than 30 bytes; "
        "narrow path or glob]"
    )


# -- every output is capped ----------------------------------------------------------------------


def test_no_tool_output_exceeds_the_cap(root: Path) -> None:
    make_tree(
        root, {f"d{n}/f{m}.txt": ("word " * 300 + "\n") * 20 for n in range(8) for m in range(8)}
    )
    tools = FilesystemTools(root, max_output_chars=1500)
    outputs = [
        tools.ls("d0"),
        tools.read_file("d0/f0.txt"),
        tools.glob("**/*"),
        tools.grep("word"),
        tools.grep("word", output_mode="content"),
        tools.grep("word", output_mode="count"),
    ]
    assert all(len(output) <= 1500 for output in outputs), [len(o) for o in outputs]


def test_walks_skip_unreadable_and_too_deep_directories_with_a_note(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.runtime import filesystem

    make_tree(root, {"a/x.txt": "", "b/y.txt": "", "c/d/e/deep.txt": ""})
    monkeypatch.setattr(filesystem, "MAX_DEPTH", 2)
    real_scandir, calls = os.scandir, []

    def scandir_refusing_the_second_directory(fd: int):  # type: ignore[no-untyped-def]
        calls.append(fd)
        if len(calls) == 2:  # the root, then "a": as if "a" had no read permission
            raise PermissionError(13, "Permission denied")
        return real_scandir(fd)

    monkeypatch.setattr(os, "scandir", scandir_refusing_the_second_directory)
    assert tools.glob("**/*") == (
        "b/y.txt\n[1 directories deeper than 2 levels not searched]"
        "\n[1 directories could not be read]"
    )


def test_ls_reads_a_bounded_number_of_entries(
    root: Path, tools: FilesystemTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.runtime import filesystem

    monkeypatch.setattr(filesystem, "MAX_SCANNED_ENTRIES", 3)
    make_tree(root, {f"f{n}.txt": "" for n in range(5)})
    output = tools.ls().splitlines()
    assert len(output) == 4
    assert output[-1] == "[the folder has more than 3 entries; only that many are listed]"


@pytest.mark.parametrize("module", ["confined_paths", "file_text", "file_search", "filesystem"])
def test_the_modules_import_only_the_standard_library_and_each_other(module: str) -> None:
    """They are copied verbatim into generated packages, which do not depend on dagent-gen."""
    import ast
    import sys

    import dagent_gen

    source = Path(dagent_gen.__file__).parent / "runtime" / f"{module}.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
