"""Stages 5 and 7: formatting with the pinned ruff, and writing files atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from dagent_gen.format import format_files
from dagent_gen.render import GeneratedFile, Ownership
from dagent_gen.state import resolve_inside, unsafe_path_reason
from dagent_gen.write import UnsafePathError, atomic_write, remove_file, stale_temporaries

MESSY = '''\
"""A module."""
import sys, os
from my_pkg.tools import b, a
from temporalio import workflow, activity
import json
from my_pkg import agents
def f( x ):
    return {'a':1,
    'b':[1,2,3]}
'''


def py(path: str, content: str) -> GeneratedFile:
    return GeneratedFile(path, content, Ownership.MANAGED)


# --- format -----------------------------------------------------------------------------------


def test_imports_sorted_one_per_line_and_grouped() -> None:
    [file], problems = format_files([py("my_pkg/mod.py", MESSY)], ["my_pkg"])
    assert problems == []
    assert file.content == (
        '"""A module."""\n'
        "\n"
        "import json\n"
        "import os\n"
        "import sys\n"
        "\n"
        "from temporalio import activity\n"
        "from temporalio import workflow\n"
        "\n"
        "from my_pkg import agents\n"
        "from my_pkg.tools import a\n"
        "from my_pkg.tools import b\n"
        "\n"
        "\n"
        "def f(x):\n"
        '    return {"a": 1, "b": [1, 2, 3]}\n'
    )


def test_formatting_is_deterministic_and_idempotent() -> None:
    files = [py("p/a.py", MESSY), py("p/b.py", "x=1\n")]
    first, _ = format_files(files, ["p"])
    second, _ = format_files(files, ["p"])
    again, _ = format_files(first, ["p"])
    assert first == second == again


def test_user_configuration_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pinned options apply whatever the working folder's ruff settings say."""
    (tmp_path / "ruff.toml").write_text("line-length = 20\n[format]\nquote-style = 'single'\n")
    monkeypatch.chdir(tmp_path)
    [file], _ = format_files([py("p/a.py", "x = 'text'\n")], ["p"])
    assert file.content == 'x = "text"\n'


def test_non_python_files_pass_through() -> None:
    readme = GeneratedFile("p/README.md", "# Title\n\nimport os, sys\n", Ownership.MANAGED)
    files, problems = format_files([readme, py("p/a.py", "x=1\n")], ["p"])
    assert problems == []
    assert files[0] is readme or files[0] == readme
    assert [f.path for f in files] == ["p/README.md", "p/a.py"]
    assert format_files([readme], ["p"]) == ([readme], [])
    assert format_files([], []) == ([], [])


def test_ownership_is_kept() -> None:
    merged = GeneratedFile("p/w.py", "x=1\n", Ownership.MERGED)
    [file], _ = format_files([merged], ["p"])
    assert file.ownership is Ownership.MERGED


def test_unformattable_code_is_a_diagnostic() -> None:
    files = [py("p/a.py", "def broken(:\n")]
    result, problems = format_files(files, ["p"])
    assert result == files
    assert [p.code for p in problems] == ["DG401"]
    assert "dagent-gen bug" in (problems[0].hint or "")


# --- atomic_write -----------------------------------------------------------------------------


def test_atomic_write_creates_parents_and_reports_change(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.py"
    assert atomic_write(target, "x = 1\n") is True
    assert target.read_bytes() == b"x = 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_atomic_write_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    target = tmp_path / "file.py"
    target.write_text("x = 1\n", encoding="utf-8")
    os.utime(target, (1_000_000, 1_000_000))
    assert atomic_write(target, "x = 1\n") is False
    assert target.stat().st_mtime == 1_000_000
    assert atomic_write(target, "x = 2\n") is True
    assert target.read_text(encoding="utf-8") == "x = 2\n"
    assert target.stat().st_mtime != 1_000_000


def test_atomic_write_keeps_line_endings_and_unicode(tmp_path: Path) -> None:
    target = tmp_path / "file.py"
    assert atomic_write(target, 'name = "héllo ✓"\n')
    assert target.read_bytes() == 'name = "héllo ✓"\n'.encode()
    target.write_bytes(b"x = 1\r\n")
    assert atomic_write(target, "x = 1\n") is True  # CRLF on disk is a difference
    assert target.read_bytes() == b"x = 1\n"


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    for index in range(3):
        atomic_write(tmp_path / "file.py", f"x = {index}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.py"]


def test_atomic_write_preserves_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o750)
    atomic_write(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def test_atomic_write_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.py"
    target.write_text("old\n", encoding="utf-8")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.py"]


# --- remove_file ------------------------------------------------------------------------------


def test_remove_file_prunes_empty_folders_up_to_stop_at(tmp_path: Path) -> None:
    root = tmp_path / "project"
    deep = root / "pkg" / "tools" / "old.py"
    deep.parent.mkdir(parents=True)
    deep.write_text("x\n")
    remove_file(deep, root)
    assert not (root / "pkg").exists()
    assert root.is_dir()


def test_remove_file_stops_at_a_folder_with_other_files(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "pkg" / "tools").mkdir(parents=True)
    (root / "pkg" / "keep.py").write_text("x\n")
    target = root / "pkg" / "tools" / "old.py"
    target.write_text("x\n")
    remove_file(target, root)
    assert not (root / "pkg" / "tools").exists()
    assert (root / "pkg" / "keep.py").is_file()


def test_remove_file_never_removes_stop_at(tmp_path: Path) -> None:
    target = tmp_path / "only.py"
    target.write_text("x\n")
    remove_file(target, tmp_path)
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []


def test_remove_missing_file_is_fine(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    remove_file(tmp_path / "pkg" / "gone.py", tmp_path)
    assert not (tmp_path / "pkg").exists()  # the empty folder it would leave is pruned too


@pytest.mark.parametrize(
    "relative",
    ["../elsewhere/x.py", "../x.py", "sub/../../x.py"],
)
def test_remove_file_refuses_a_path_outside_stop_at(tmp_path: Path, relative: str) -> None:
    """A path that leaves ``stop_at`` (``..``, absolute) is refused, never deleted."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = (root / relative).resolve()
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_text("x\n")
    for path in (root / relative, outside):
        with pytest.raises(UnsafePathError):
            remove_file(path, root)
    assert outside.read_text() == "x\n"


def test_remove_file_refuses_a_symlinked_folder_pointing_out(tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere" / "x.py"
    victim.parent.mkdir()
    victim.write_text("x\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(victim.parent, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        remove_file(root / "link" / "x.py", root)
    with pytest.raises(UnsafePathError):
        atomic_write(root / "link" / "x.py", "changed\n", within=root)
    assert victim.read_text() == "x\n"


def test_atomic_write_within_refuses_a_path_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(UnsafePathError):
        atomic_write(root / ".." / "victim.txt", "x\n", within=root)
    assert not (tmp_path / "victim.txt").exists()


def test_stale_temporaries_match_only_the_writer_pattern(tmp_path: Path) -> None:
    target = tmp_path / "a28t4.py"
    leftover = tmp_path / ".a28t4.py.k3j_9x0q.tmp"
    others = [".a28t4.py.tmp", ".other.py.k3j_9x0q.tmp", ".a28t4.py.k3j_9x0q.tmp.bak", "x.tmp"]
    for name in [leftover.name, *others]:
        (tmp_path / name).write_text("")
    assert stale_temporaries(target) == [leftover]


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../victim.txt", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/x.py", "absolute"),
        ("c:x.py", "absolute"),
        ("pkg\\..\\..\\x.py", "backslash"),
        ("pkg/./x.py", "'.'"),
        ("pkg//x.py", "empty"),
        ("pkg/x.py\x00.txt", "NUL"),
        ("", "empty"),
    ],
)
def test_unsafe_path_reason(path: str, why: str) -> None:
    reason = unsafe_path_reason(path)
    assert reason is not None and why in reason


def test_plain_paths_are_safe(tmp_path: Path) -> None:
    assert unsafe_path_reason("pkg/workflows/boss.py") is None
    assert resolve_inside(tmp_path, "pkg/x.py") == tmp_path / "pkg" / "x.py"
    assert resolve_inside(tmp_path, ".dagent/base/x.base", ".dagent/base") is not None
    assert resolve_inside(tmp_path, "pkg/x.py", ".dagent/base") is None


def test_stale_temporaries_of_many_targets_list_each_folder_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    targets = [tmp_path / f"t{i}.py" for i in range(50)] + [tmp_path / "sub" / "s.py"]
    leftovers = [tmp_path / ".t7.py.abcd_123.tmp", tmp_path / "sub" / ".s.py.zzzzzzzz.tmp"]
    for path in [*leftovers, tmp_path / ".t7.py.tmp", tmp_path / ".u.py.abcd_123.tmp"]:
        path.write_text("")
    listed: list[Path] = []
    iterdir = Path.iterdir

    def counting(self: Path) -> Any:
        listed.append(self)
        return iterdir(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "iterdir", counting)
        assert sorted(stale_temporaries(*targets)) == sorted(leftovers)
    assert sorted(listed) == [tmp_path, tmp_path / "sub"]
