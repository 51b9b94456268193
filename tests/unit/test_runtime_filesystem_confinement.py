"""The filesystem tools' confinement: every way out of the root, against every tool.

Each escape is refused with the exact message the model sees, and the file outside the root is
neither changed nor shown. Behaviour inside the root is in test_runtime_filesystem.py.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dagent_gen.runtime.confined_paths import (
    ConfinedRoot,
    FilesystemToolError,
    PathRefused,
    open_entry,
)
from dagent_gen.runtime.filesystem import FilesystemTools, _replace_atomically

SECRET = "SECRET outside the root\n"


@dataclass
class World:
    root: Path
    outside: Path
    tools: FilesystemTools

    def outside_state(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.outside.iterdir())}


@pytest.fixture
def world(tmp_path: Path) -> World:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "inside.txt").write_text("inside\n")
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    return World(root, outside, FilesystemTools(root))


@dataclass(frozen=True)
class Escape:
    """A way out: prepares the tree; the file path, the directory path and the refusal."""

    name: str
    prepare: Callable[[World], None]
    file_path: Callable[[World], str]
    dir_path: Callable[[World], str]
    refusal: Callable[[str], str]


def _leaves(path: str) -> str:
    return f"Path refused: {path!r} leaves the root"


def _link_out(link: str) -> Callable[[str], str]:
    return lambda path: (
        f"Path refused: {path!r}: {link!r} is a symbolic link that leads outside the root"
    )


def _nothing(world: World) -> None:
    pass


def _symlink_file_out(world: World) -> None:
    (world.root / "link.txt").symlink_to(world.outside / "secret.txt")


def _symlink_dir_out_mid_path(world: World) -> None:
    (world.root / "sub" / "out").symlink_to(Path("..") / ".." / "outside")  # relative target


def _symlink_created_after_configuration(world: World) -> None:
    # ``world.tools`` was configured by the fixture, before this link existed.
    (world.root / "late").symlink_to(world.outside)


def _chain_of_links(world: World) -> None:
    (world.root / "first").symlink_to("second")  # inside the root...
    (world.root / "second").symlink_to(world.outside)  # ...to a link that leaves it


def _directory_swapped_between_calls(world: World) -> None:
    swap = world.root / "swap"
    swap.mkdir()
    (swap / "secret.txt").write_text("harmless\n")
    assert world.tools.read_file("swap/secret.txt") == "     1\tharmless"  # the first call
    assert world.tools.ls("swap") == "swap/secret.txt"
    swap.rename(world.root / "moved")
    swap.symlink_to(world.outside)


ESCAPES = [
    Escape(
        "dotdot",
        _nothing,
        lambda w: "sub/../../outside/secret.txt",
        lambda w: "../outside",
        _leaves,
    ),
    Escape(
        "absolute",
        _nothing,
        lambda w: str(w.outside / "secret.txt"),
        lambda w: str(w.outside),
        lambda path: f"Path refused: absolute path {path!r} is outside the root",
    ),
    Escape(
        "tilde",
        _nothing,
        lambda w: "~/secret.txt",
        lambda w: "~",
        lambda path: (
            f"Path refused: {path!r}: '~' is not expanded; use a path relative to the root"
        ),
    ),
    Escape(
        "symlinked_file_out",
        _symlink_file_out,
        lambda w: "link.txt",
        lambda w: "link.txt",
        _link_out("link.txt"),
    ),
    Escape(
        "symlinked_dir_out_mid_path",
        _symlink_dir_out_mid_path,
        lambda w: "sub/out/secret.txt",
        lambda w: "sub/out",
        _link_out("sub/out"),
    ),
    Escape(
        "symlink_created_after_configuration",
        _symlink_created_after_configuration,
        lambda w: "late/secret.txt",
        lambda w: "late",
        _link_out("late"),
    ),
    Escape(
        "chain_of_links",
        _chain_of_links,
        lambda w: "first/secret.txt",
        lambda w: "first",
        _link_out("second"),
    ),
    Escape(
        "directory_swapped_between_calls",
        _directory_swapped_between_calls,
        lambda w: "swap/secret.txt",
        lambda w: "swap",
        _link_out("swap"),
    ),
]

TOOL_CALLS: dict[str, Callable[[FilesystemTools, str, str], str]] = {
    "ls": lambda t, file, folder: t.ls(folder),
    "read_file": lambda t, file, folder: t.read_file(file),
    "write_file": lambda t, file, folder: t.write_file(file, "PWNED"),
    "edit_file": lambda t, file, folder: t.edit_file(file, "SECRET", "PWNED"),
    "glob": lambda t, file, folder: t.glob("**/*", folder),
    "grep": lambda t, file, folder: t.grep("SECRET", folder, output_mode="content"),
    "grep_one_file": lambda t, file, folder: t.grep("SECRET", file, output_mode="content"),
}


@pytest.mark.parametrize("escape", ESCAPES, ids=[e.name for e in ESCAPES])
@pytest.mark.parametrize("tool", list(TOOL_CALLS))
def test_every_escape_is_refused_by_every_tool(world: World, escape: Escape, tool: str) -> None:
    escape.prepare(world)
    before = world.outside_state()
    file_path, dir_path = escape.file_path(world), escape.dir_path(world)
    uses_file = tool in ("read_file", "write_file", "edit_file", "grep_one_file")
    refused_path = file_path if uses_file else dir_path

    with pytest.raises(PathRefused) as refused:
        TOOL_CALLS[tool](world.tools, file_path, dir_path)

    assert str(refused.value) == escape.refusal(refused_path)
    assert "SECRET" not in str(refused.value)
    assert world.outside_state() == before  # nothing outside written, created or edited


@pytest.mark.parametrize("tool", ["write_file", "edit_file"])
def test_a_link_to_a_missing_file_outside_is_not_created(world: World, tool: str) -> None:
    (world.root / "dangling").symlink_to(world.outside / "created.txt")

    with pytest.raises(PathRefused, match="'dangling' is a symbolic link that leads outside"):
        TOOL_CALLS[tool](world.tools, "dangling", ".")

    assert not (world.outside / "created.txt").exists()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a\0b", "Path refused: the path contains a NUL byte"),
        ("C:/Windows/win.ini", "Path refused: 'C:/Windows/win.ini': Windows drive"),
        ("c:secret.txt", "Path refused: 'c:secret.txt': Windows drive"),
        ("\\\\server\\share", "Path refused: '\\\\\\\\server\\\\share': Windows drive"),
        ("x" * 5000, "Path refused: the path is longer than 4096 characters"),
        ("..", "Path refused: '..' leaves the root"),
        ("sub/../..", "Path refused: 'sub/../..' leaves the root"),
        ("/ROOT/sub/../..", "Path refused: '/ROOT/sub/../..' leaves the root"),
    ],
)
def test_malformed_paths_are_refused_before_touching_the_disk(
    world: World, path: str, message: str
) -> None:
    path, message = (text.replace("/ROOT", str(world.root)) for text in (path, message))
    for call in TOOL_CALLS.values():
        with pytest.raises(PathRefused) as refused:
            call(world.tools, path, path)
        assert str(refused.value).startswith(message)


def test_a_path_of_the_wrong_type_is_refused(world: World) -> None:
    with pytest.raises(PathRefused, match="the path must be a string, not int"):
        world.tools.read_file(7)  # type: ignore[arg-type]


def test_glob_and_grep_do_not_enter_links_that_leave_the_root(world: World) -> None:
    _symlink_dir_out_mid_path(world)
    _symlink_file_out(world)
    (world.root / "abs_dir").symlink_to(world.outside)

    listing = world.tools.glob("**/*")
    found = world.tools.grep("SECRET", output_mode="content")

    assert listing == "sub/inside.txt"
    assert found == "No matches for 'SECRET'"
    assert world.tools.grep("inside") == "sub/inside.txt"


def test_walks_do_not_loop_through_a_link_to_an_ancestor(world: World) -> None:
    (world.root / "sub" / "loop").symlink_to("..")
    assert world.tools.glob("**/*") == "sub/inside.txt"
    assert world.tools.grep("inside", output_mode="count") == "sub/inside.txt:1"


def test_ls_shows_a_link_by_name_without_following_it(world: World) -> None:
    _symlink_dir_out_mid_path(world)
    assert world.tools.ls("sub") == "sub/inside.txt\nsub/out"


def test_links_that_stay_inside_the_root_are_followed(world: World) -> None:
    (world.root / "alias.txt").symlink_to("sub/inside.txt")
    (world.root / "sub" / "up").symlink_to("..")
    (world.root / "sub" / "absolute").symlink_to(world.root / "sub" / "inside.txt")

    assert world.tools.read_file("alias.txt") == "     1\tinside"
    assert world.tools.read_file("sub/up/sub/absolute") == "     1\tinside"
    assert world.tools.ls("sub/up") == "alias.txt\nsub/"
    assert world.tools.write_file("alias.txt", "changed\n") == (
        "Overwrote 'sub/inside.txt' (1 lines, 8 bytes)."
    )
    assert (world.root / "alias.txt").is_symlink()
    assert (world.root / "sub" / "inside.txt").read_text() == "changed\n"


def test_a_link_loop_is_an_error_not_a_hang(world: World) -> None:
    (world.root / "a").symlink_to("b")
    (world.root / "b").symlink_to("a")
    with pytest.raises(ValueError, match="'a/x': too many levels of symbolic links"):
        world.tools.read_file("a/x")


def test_an_absolute_path_inside_the_root_is_accepted(world: World) -> None:
    assert world.tools.read_file(str(world.root / "sub" / "inside.txt")) == "     1\tinside"
    assert world.tools.ls(str(world.root)) == "sub/"


def test_the_root_link_is_resolved_once_when_configured(tmp_path: Path, world: World) -> None:
    link = tmp_path / "root_link"
    link.symlink_to(world.root)
    tools = FilesystemTools(link)
    assert tools.ls("sub") == "sub/inside.txt"
    assert tools.read_file(str(link / "sub" / "inside.txt")) == "     1\tinside"

    link.unlink()
    link.symlink_to(world.outside)  # re-pointing the configured link later changes nothing

    assert tools.ls() == "sub/"


def test_an_entry_swapped_for_a_link_after_resolution_is_not_followed(world: World) -> None:
    root = ConfinedRoot(world.root)
    with root.locate("sub/inside.txt") as found:
        (world.root / "sub" / "inside.txt").unlink()
        (world.root / "sub" / "inside.txt").symlink_to(world.outside / "secret.txt")
        with pytest.raises(PathRefused) as refused:
            open_entry(found, os.O_RDONLY, "sub/inside.txt")
    assert str(refused.value) == (
        "Path refused: 'sub/inside.txt' became a symbolic link during the call"
    )


def test_a_directory_swapped_after_resolution_is_used_as_opened(world: World) -> None:
    """The walk holds the real directory: a link swapped in for its name is never used."""
    root = ConfinedRoot(world.root)
    with root.locate("sub/new.txt") as found:
        (world.root / "sub").rename(world.root / "moved")
        (world.root / "sub").symlink_to(world.outside)
        _replace_atomically(found, b"written\n", None)

    assert (world.root / "moved" / "new.txt").read_text() == "written\n"
    assert sorted(p.name for p in world.outside.iterdir()) == ["secret.txt"]


def test_writes_replace_a_hard_link_instead_of_writing_through_it(world: World) -> None:
    os.link(world.outside / "secret.txt", world.root / "hard.txt")

    world.tools.write_file("hard.txt", "PWNED\n")
    (world.root / "hard2.txt").hardlink_to(world.outside / "secret.txt")
    world.tools.edit_file("hard2.txt", "SECRET", "PWNED")

    assert (world.outside / "secret.txt").read_text() == SECRET
    assert (world.root / "hard.txt").read_text() == "PWNED\n"


def test_reads_through_a_hard_link_are_not_confined(world: World) -> None:
    """A documented limit (docs/builtin-tools.md): a hard link is the file itself."""
    os.link(world.outside / "secret.txt", world.root / "hard.txt")
    assert world.tools.read_file("hard.txt") == "     1\t" + SECRET.strip()


def test_random_trees_of_links_never_let_a_tool_out(tmp_path: Path) -> None:
    """Seeded random links and paths, every tool: nothing outside is shown, made or changed."""
    rng = random.Random(20261202)
    for round_number in range(40):
        world = _random_world(tmp_path / f"round{round_number}", rng)
        before = world.outside_state()
        for _call in range(25):
            path = "/".join(rng.choice(_COMPONENTS) for _ in range(rng.randint(1, 4)))
            for call in TOOL_CALLS.values():
                try:
                    output = call(world.tools, path, path)
                except FilesystemToolError as error:
                    output = str(error)
                assert "SECRET outside" not in output, (round_number, path, output)
        assert world.outside_state() == before


_COMPONENTS = ["d0", "d1", "l0", "l1", "l2", "l3", "secret.txt", "f.txt", "..", ".", "new"]
_LINK_TARGETS = [
    "OUT",
    "OUT/secret.txt",
    "../../outside",
    "../outside/secret.txt",
    "..",
    ".",
    "d0",
    "d1/f.txt",
    "ROOT/d0",
    "ROOT/../outside",
    "l0",
    "missing",
    "OUT/missing.txt",
]


def _random_world(base: Path, rng: random.Random) -> World:
    root, outside = base / "root", base / "outside"
    (root / "d0" / "d1").mkdir(parents=True)
    (root / "d1").mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    for folder in (root, root / "d0", root / "d0" / "d1", root / "d1"):
        (folder / "f.txt").write_text("inside\n")
    folders = [root, root / "d0", root / "d0" / "d1", root / "d1"]
    for number in range(4):
        target = rng.choice(_LINK_TARGETS)
        target = target.replace("OUT", str(outside)).replace("ROOT", str(root))
        with contextlib.suppress(FileExistsError):
            (rng.choice(folders) / f"l{number}").symlink_to(target)
    return World(root, outside, FilesystemTools(root))
