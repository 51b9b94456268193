"""The built-in tools an agent can enable: the filesystem family and the shell's ``execute``.

The model sees each under its own name, with the schema below; the generated package runs each
as one activity whose type is that name (``tools/ls.py``, ...). The activities carry no
per-agent settings in their input: they look up the calling agent's settings (root, read-only,
...) by the workflow type of the activity, which is the agent's name.
"""

from __future__ import annotations

from typing import Any

from dagent_gen.definition import AgentSection

FILESYSTEM_TOOLS = ("ls", "read_file", "write_file", "edit_file", "glob", "grep")
WRITE_TOOLS = ("write_file", "edit_file")
SHELL_TOOL = "execute"
MEMORY_ACTIVITY = "read_memory"
BUILTIN_NAMES = frozenset({*FILESYSTEM_TOOLS, SHELL_TOOL})

_PATH = "A path relative to the root of your filesystem ('.' is the root)."


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


TOOL_DESCRIPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "ls": (
        "List one directory: sorted entries, directories end in '/'.",
        _schema({"path": _string(_PATH)}, []),
    ),
    "read_file": (
        "Read a text file as numbered lines, from line offset+1, at most limit lines; a note "
        "says how to read on when lines remain.",
        _schema(
            {
                "file_path": _string(_PATH),
                "offset": {"type": "integer", "description": "Lines to skip (default 0)."},
                "limit": {"type": "integer", "description": "Lines to read (default 2000)."},
            },
            ["file_path"],
        ),
    ),
    "write_file": (
        "Create a file, or replace its whole content; missing folders are created.",
        _schema(
            {"file_path": _string(_PATH), "content": _string("The complete new content.")},
            ["file_path", "content"],
        ),
    ),
    "edit_file": (
        "Replace an exact substring of a file. old_string must occur once unless replace_all.",
        _schema(
            {
                "file_path": _string(_PATH),
                "old_string": _string("The exact text to replace, with enough context."),
                "new_string": _string("The text to put in its place."),
                "replace_all": {
                    "type": "boolean",
                    "description": "Replace every occurrence (default false).",
                },
            },
            ["file_path", "old_string", "new_string"],
        ),
    ),
    "glob": (
        "Find files whose path matches a pattern such as '**/*.py'; sorted.",
        _schema(
            {
                "pattern": _string("A glob pattern: * ? [abc] ** {a,b}."),
                "path": _string("The folder to search (default: the root)."),
            },
            ["pattern"],
        ),
    ),
    "grep": (
        "Search text files for a literal string.",
        _schema(
            {
                "pattern": _string("The literal text to find."),
                "path": _string("A folder or file to search (default: the root)."),
                "glob": _string("Only files matching this glob, e.g. '*.py'."),
                "output_mode": {
                    "type": "string",
                    "enum": ["files_with_matches", "content", "count"],
                    "description": "Paths (default), matching lines, or counts per file.",
                },
            },
            ["pattern"],
        ),
    ),
    SHELL_TOOL: (
        "Run one shell command line (/bin/sh -c) in your working folder; returns its output "
        "and exit code.",
        _schema({"command": _string("The command line to run.")}, ["command"]),
    ),
}


def filesystem_tools(agent: AgentSection) -> tuple[str, ...]:
    """The filesystem tools ``agent`` offers, in the canonical order; none without the table."""
    section = agent.filesystem
    if section is None:
        return ()
    chosen = set(section.tools if section.tools is not None else FILESYSTEM_TOOLS)
    if section.read_only:
        chosen -= set(WRITE_TOOLS)
    return tuple(name for name in FILESYSTEM_TOOLS if name in chosen)


def builtin_tools(agent: AgentSection) -> tuple[str, ...]:
    """Every built-in tool ``agent`` offers."""
    shell = (SHELL_TOOL,) if agent.shell is not None else ()
    return filesystem_tools(agent) + shell


def definition(name: str) -> dict[str, Any]:
    """The OpenAI function-tool definition of a built-in tool."""
    description, parameters = TOOL_DESCRIPTIONS[name]
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }
