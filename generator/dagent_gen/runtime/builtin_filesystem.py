"""Activity bodies of the built-in filesystem tools and of the memory read.

One activity per tool (``ls``, ``read_file``, ...) serves every agent: the activity looks up the
calling agent's settings by the workflow type (the agent's name), so the activity input is the
model's arguments and nothing else, and two agents can have different roots. A
``FilesystemToolError`` (a refused path, a missing file, ...) is returned as ``Error: ...`` text:
an observation the model can act on, not a failed activity (retrying would not help).

``read_memory_text`` reads an agent's memory files for its system prompt: confined to the root
like the tools, capped, and a missing file is noted instead of failing the run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from temporalio import activity

from .confined_paths import FilesystemToolError
from .confined_paths import entry_status
from .confined_paths import open_entry
from .filesystem import DEFAULT_READ_LIMIT
from .filesystem import TOOL_NAMES
from .filesystem import FilesystemTools
from .tool_support import arguments_adapter
from .tool_support import to_observation
from .tool_support import validate_arguments

MAX_MEMORY_CHARS = 20_000  # all memory files of one agent together
MISSING_MEMORY = "(no such file yet: create it with write_file to keep notes)"
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class FilesystemSettings:
    """One agent's ``[agents.X.filesystem]`` table."""

    root: str = "."
    read_only: bool = False
    tools: tuple[str, ...] = TOOL_NAMES
    max_output_chars: int = 20_000


@dataclass(frozen=True)
class MemorySettings:
    """One agent's ``memory`` files, relative to ``root``."""

    root: str = "."
    files: tuple[str, ...] = field(default_factory=tuple)


# The signatures the model's arguments are validated against (names and defaults as offered).
def _ls(path: str = ".") -> None: ...
def _read_file(file_path: str, offset: int = 0, limit: int = DEFAULT_READ_LIMIT) -> None: ...
def _write_file(file_path: str, content: str) -> None: ...
def _edit_file(
    file_path: str, old_string: str, new_string: str, replace_all: bool = False
) -> None: ...
def _glob(pattern: str, path: str = ".") -> None: ...
def _grep(
    pattern: str,
    path: str = ".",
    glob: str | None = None,
    output_mode: Literal["files_with_matches", "content", "count"] = "files_with_matches",
) -> None: ...


_SIGNATURES: dict[str, Callable[..., None]] = {
    "ls": _ls,
    "read_file": _read_file,
    "write_file": _write_file,
    "edit_file": _edit_file,
    "glob": _glob,
    "grep": _grep,
}
ARGUMENTS = {name: arguments_adapter(function) for name, function in _SIGNATURES.items()}


def filesystem_call(
    tool: str, settings: dict[str, FilesystemSettings], arguments: dict[str, Any]
) -> str:
    """Run filesystem tool ``tool`` for the agent whose workflow called this activity."""
    values = validate_arguments(tool, ARGUMENTS[tool], arguments)
    agent = activity.info().workflow_type if activity.in_activity() else ""
    return run_filesystem_tool(tool, settings.get(agent or ""), values)


def run_filesystem_tool(
    tool: str, settings: FilesystemSettings | None, values: dict[str, Any]
) -> str:
    """The observation of one call: the tool's text, or ``Error: ...`` for a tool error."""
    if settings is None or tool not in settings.tools:
        return to_observation(f"Error: the tool {tool!r} is not enabled for this agent.")
    try:
        tools = FilesystemTools(
            settings.root,
            read_only=settings.read_only,
            max_output_chars=settings.max_output_chars,
        )
        method: Callable[..., str] = getattr(tools, tool)
        text = method(**{k: v for k, v in values.items() if v is not None})
    except (FilesystemToolError, NotADirectoryError) as err:  # the latter: a missing root
        text = f"Error: {err}"
    return to_observation(text, settings.max_output_chars + 200)


def read_memory_text(settings: MemorySettings | None) -> str:
    """The memory section of the system prompt: each file's content under its name."""
    if settings is None or not settings.files:
        return ""
    parts = [
        "## Memory",
        "Notes kept across runs. Keep them current with the filesystem tools when you learn "
        "something worth remembering.",
    ]
    budget = MAX_MEMORY_CHARS
    for name in settings.files:
        content = _read_capped(settings.root, name, budget)
        budget = max(0, budget - len(content))
        parts.append(f"### {name}\n{content}")
    return "\n\n".join(parts)


def _read_capped(root: str, name: str, budget: int) -> str:
    try:
        with FilesystemTools(root, read_only=True).root.locate(name) as found:
            if entry_status(found) is None:
                return MISSING_MEMORY
            fd = open_entry(found, _READ_FLAGS, name)
            with open(fd, "rb", closefd=True) as stream:
                if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                    return "(not a regular file; nothing read)"
                data = stream.read(budget * 4 + 4)
    except FileNotFoundError:
        return MISSING_MEMORY
    except (OSError, FilesystemToolError) as err:
        return f"(not read: {err})"
    text = data.decode("utf-8", errors="replace")
    if len(text) > budget:
        return text[:budget] + f"\n[memory cut at {MAX_MEMORY_CHARS} characters in all]"
    return text
