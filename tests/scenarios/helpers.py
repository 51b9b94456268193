"""A small scenario project in a real git repository, and the helpers to drive it.

Every scenario drives the real command line as a subprocess (``python -m dagent_gen.cli``) on
real files, and asserts what changed with ``git diff`` / ``git status``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = "demo_agent"
BOSS = f"{PACKAGE}/workflows/boss.py"
HELPER = f"{PACKAGE}/workflows/helper.py"
TOOLS_INIT = f"{PACKAGE}/tools/__init__.py"
AGENTS = f"{PACKAGE}/agents.py"
LOCK = ".dagent/lock.json"


def base_of(path: str) -> str:
    """Where the build keeps the pristine copy of the merged file ``path``."""
    return f".dagent/base/{path}.base"


TOOLS_MODULE = '''"""Tools of the demo agent: plain typed functions."""

from __future__ import annotations


async def search(query: str, limit: int = 3) -> list[str]:
    """Search the notes.

    Args:
        query: What to look for.
        limit: How many hits at most.
    """
    return [query][:limit]


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def echo(text: str) -> str:
    """Repeat a text.

    Args:
        text: The text to repeat.
    """
    return text


def shout(text: str) -> str:
    """Repeat a text loudly.

    Args:
        text: The text to shout.
    """
    return text.upper()
'''

# Two agents (a planner with a sub-agent, and a plain tool loop), three tools.
DEFAULT_DEFINITION: dict[str, Any] = {
    "project": {"package": PACKAGE, "task_queue": "demo", "description": "A scenario project."},
    "agents": {
        "boss": {
            "description": "Leads the work",
            "model": "openai:gpt-4o-mini",
            "system_prompt": "You lead. Plan first.",
            "tools": ["search", "add"],
            "subagents": ["helper"],
            "max_steps": 10,
        },
        "helper": {
            "description": "Helps with sums",
            "model": "openai:gpt-4o-mini",
            "system_prompt": "You help.",
            "planning": False,
            "tools": ["add"],
            "max_steps": 5,
        },
    },
    "tools": {
        "search": {"function": "demo_tools:search", "timeout": "30s", "retries": 2},
        "add": {"function": "demo_tools:add", "timeout": "10s", "retries": 1},
    },
}

TOOL_SECTIONS: dict[str, dict[str, Any]] = {
    "echo": {"function": "demo_tools:echo", "timeout": "20s", "retries": 1},
    "shout": {"function": "demo_tools:shout", "timeout": "20s", "retries": 1},
}


def definition() -> dict[str, Any]:
    """A fresh copy of the default definition, to change freely."""
    return copy.deepcopy(DEFAULT_DEFINITION)


def with_tool(data: dict[str, Any], agent: str, tool: str) -> dict[str, Any]:
    """``data`` with ``tool`` defined and given to ``agent`` (appended to its tools)."""
    data["tools"].setdefault(tool, copy.deepcopy(TOOL_SECTIONS[tool]))
    data["agents"][agent]["tools"].append(tool)
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(data: dict[str, Any]) -> str:
    """The (flat, tables-of-scalars) definition as TOML text."""
    lines: list[str] = []
    for section in ("project", "agents", "tools"):
        tables = {section: data[section]} if section == "project" else data.get(section, {})
        for name, table in tables.items():
            header = section if section == "project" else f"{section}.{name}"
            lines.append(f"[{header}]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
            lines.append("")
    return "\n".join(lines)


# Extra environment of every CLI run ("" removes a variable). The scenarios' fixtures point
# PYTHONPYCACHEPREFIX at a session folder: byte code is then compiled once per session instead
# of once per run, and no __pycache__ ever lands in a scenario project.
CLI_ENV: dict[str, str] = {"PYTHONDONTWRITEBYTECODE": "1"}

_GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Scenario",
    "GIT_AUTHOR_EMAIL": "scenario@example.com",
    "GIT_COMMITTER_NAME": "Scenario",
    "GIT_COMMITTER_EMAIL": "scenario@example.com",
}


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Project:
    """A scenario project folder: the CLI, git, and file helpers, all relative to ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- the command line ---------------------------------------------------------------
    def cli(self, *args: str, expect: int | None = 0) -> Result:
        env = {**os.environ, **CLI_ENV, "NO_COLOR": "1"}
        env = {key: value for key, value in env.items() if value}  # "" unsets
        done = subprocess.run(
            [sys.executable, "-m", "dagent_gen.cli", *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        if expect is not None:
            assert result.code == expect, (
                f"dagent-gen {' '.join(args)}: exit {result.code}, expected {expect}\n"
                f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
            )
        return result

    def build(self, *args: str, expect: int | None = 0) -> Result:
        return self.cli("build", *args, expect=expect)

    def check(self, *args: str, expect: int | None = 0) -> Result:
        return self.cli("check", *args, expect=expect)

    # --- git ----------------------------------------------------------------------------
    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env={**os.environ, **_GIT_ENV},
            check=True,
        )
        return done.stdout

    def init_git(self) -> None:
        self.git("init", "-q", "-b", "main")
        self.git("config", "core.autocrlf", "false")
        self.commit("first build")

    def commit(self, message: str = "checkpoint") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def reset(self) -> None:
        """Back to the last commit: tracked files restored, untracked ones removed."""
        self.git("reset", "-q", "--hard")
        self.git("clean", "-q", "-fdx")

    def status(self) -> set[str]:
        """``git status --porcelain`` lines (untracked files listed one by one)."""
        out = self.git("status", "--porcelain", "--untracked-files=all")
        return {line for line in out.splitlines() if line}

    def changed(self) -> set[str]:
        """Paths that differ from the last commit (modified, added, deleted, untracked)."""
        return {line[3:] for line in self.status()}

    def diff(self, *paths: str) -> str:
        return self.git("diff", "--", *paths)

    def added_removed(self, path: str) -> tuple[list[str], list[str]]:
        """The lines ``git diff`` shows added and removed in ``path`` (without the +/-)."""
        added: list[str] = []
        removed: list[str] = []
        for line in self.git("diff", "-U0", "--", path).splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added.append(line[1:])
            elif line.startswith("-") and not line.startswith("---"):
                removed.append(line[1:])
        return added, removed

    # --- files --------------------------------------------------------------------------
    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def exists(self, relative: str) -> bool:
        return self.path(relative).exists()

    def write(self, relative: str, text: str) -> None:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="")

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` in the file by ``new``."""
        text = self.read(relative)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relative}"
        self.write(relative, text.replace(old, new))

    def insert_before(self, relative: str, anchor: str, lines: str) -> None:
        self.edit(relative, anchor, lines + anchor)

    def set_definition(self, data: dict[str, Any]) -> None:
        self.write("dagent.toml", to_toml(data))

    def snapshot(self) -> dict[str, bytes]:
        """Every file of the project (outside .git) and its bytes."""
        return {
            path.relative_to(self.root).as_posix(): path.read_bytes()
            for path in sorted(self.root.rglob("*"))
            if path.is_file()
            and not {".git", "__pycache__"} & set(path.relative_to(self.root).parts)
        }


def write_sources(root: Path, data: dict[str, Any]) -> Project:
    """A project folder with the definition ``data`` and the tools module, not built yet."""
    project = Project(root)
    root.mkdir(parents=True, exist_ok=True)
    project.set_definition(data)
    project.write("demo_tools.py", TOOLS_MODULE)
    project.write(".gitignore", "__pycache__/\n")
    return project


def create_project(root: Path, data: dict[str, Any] | None = None) -> Project:
    """Write definition + tools module, build, ``git init`` and commit the first build."""
    project = write_sources(root, data if data is not None else definition())
    project.build()
    project.init_git()
    return project
