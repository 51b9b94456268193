"""The activity bodies of the built-in tools and of read_memory (runtime/builtin_*.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from dagent_gen.runtime.builtin_filesystem import (
    MAX_MEMORY_CHARS,
    MISSING_MEMORY,
    FilesystemSettings,
    MemorySettings,
    filesystem_call,
    read_memory_text,
)
from dagent_gen.runtime.builtin_shell import shell_call
from dagent_gen.runtime.shell import ShellConfig


def as_agent(agent: str) -> ActivityEnvironment:
    """An activity environment whose workflow type (the calling agent) is ``agent``."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_type=agent)
    return env


def fs(agent: str, settings: dict[str, FilesystemSettings], tool: str, **args: Any) -> str:
    result: str = as_agent(agent).run(filesystem_call, tool, settings, args)
    return result


@pytest.fixture
def roots(tmp_path: Path) -> dict[str, FilesystemSettings]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "one.txt").write_text("alpha\n")
    (tmp_path / "b" / "two.txt").write_text("beta\n")
    (tmp_path / "secret.txt").write_text("secret\n")
    return {
        "writer": FilesystemSettings(root=str(tmp_path / "a")),
        "reader": FilesystemSettings(
            root=str(tmp_path / "b"), read_only=True, tools=("ls", "read_file")
        ),
    }


def test_each_agent_works_in_its_own_root(roots: dict[str, FilesystemSettings]) -> None:
    assert fs("writer", roots, "ls") == "one.txt"
    assert fs("reader", roots, "ls", path=".") == "two.txt"


def test_tool_errors_are_observations(roots: dict[str, FilesystemSettings]) -> None:
    escaped = fs("writer", roots, "read_file", file_path="../secret.txt")
    assert escaped.startswith("Error: Path refused"), escaped
    missing = fs("writer", roots, "read_file", file_path="nope.txt")
    assert missing.startswith("Error: "), missing


def test_a_missing_root_is_an_observation(tmp_path: Path) -> None:
    settings = {"agent": FilesystemSettings(root=str(tmp_path / "gone"))}
    result = fs("agent", settings, "ls")
    assert result.startswith("Error: filesystem root") and "is not a directory" in result


def test_a_tool_the_agent_does_not_have_is_refused(
    roots: dict[str, FilesystemSettings], tmp_path: Path
) -> None:
    refused = fs("reader", roots, "write_file", file_path="x", content="x")
    assert refused == "Error: the tool 'write_file' is not enabled for this agent."
    assert fs("stranger", roots, "ls") == "Error: the tool 'ls' is not enabled for this agent."
    assert not (tmp_path / "b" / "x").exists()


def test_write_edit_and_grep_with_the_offered_parameter_names(
    roots: dict[str, FilesystemSettings], tmp_path: Path
) -> None:
    assert fs("writer", roots, "write_file", file_path="n.txt", content="x y\n").startswith(
        "Created 'n.txt'"
    )
    edited = fs("writer", roots, "edit_file", file_path="n.txt", old_string="y", new_string="z")
    assert edited == "Edited 'n.txt': replaced 1 occurrence."
    assert fs("writer", roots, "grep", pattern="x z", output_mode="content") == "n.txt:1:x z"
    assert fs("writer", roots, "grep", pattern="x", glob=None) == "n.txt"
    assert fs("writer", roots, "glob", pattern="*.txt") == "n.txt\none.txt"


def test_invalid_arguments_fail_without_retry(roots: dict[str, FilesystemSettings]) -> None:
    with pytest.raises(ApplicationError) as failure:
        fs("writer", roots, "read_file", file_path="one.txt", offset="x", extra=1)
    assert failure.value.non_retryable and failure.value.type == "InvalidArguments"
    with pytest.raises(ApplicationError):
        fs("writer", roots, "grep", pattern="a", output_mode="everything")


def test_memory_text_reads_caps_and_notes_missing_files(tmp_path: Path) -> None:
    (tmp_path / "A.md").write_text("remember blue\n")
    (tmp_path / "big.md").write_text("x" * (MAX_MEMORY_CHARS + 50))
    text = read_memory_text(MemorySettings(str(tmp_path), ("A.md", "gone.md", "big.md")))
    assert "### A.md\nremember blue" in text
    assert f"### gone.md\n{MISSING_MEMORY}" in text
    assert "[memory cut at" in text
    assert len(text) < MAX_MEMORY_CHARS + 1000
    assert read_memory_text(None) == ""


def test_memory_files_stay_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside.md").write_text("secret\n")
    (tmp_path / "root" / "link.md").symlink_to(tmp_path / "outside.md")
    text = read_memory_text(MemorySettings(str(tmp_path / "root"), ("../outside.md", "link.md")))
    assert "secret" not in text
    assert text.count("(not read: Path refused") == 2, text


def test_shell_call_runs_in_the_agents_root_and_refuses_as_observation(tmp_path: Path) -> None:
    configs = {"coder": ShellConfig(root=tmp_path, timeout=30, allow=("echo",))}

    def execute(agent: str, arguments: dict[str, Any]) -> str:
        result: str = asyncio.run(as_agent(agent).run(shell_call, configs, arguments))
        return result

    assert execute("coder", {"command": "echo hi"}) == "hi\n[exit code: 0]"
    refused = execute("coder", {"command": "rm -rf x"})
    assert refused.startswith("Error: program 'rm' is not allowed"), refused
    assert execute("other", {"command": "echo"}).startswith("Error: the tool 'execute' is not")
    with pytest.raises(ApplicationError):
        execute("coder", {"cmd": "echo"})
