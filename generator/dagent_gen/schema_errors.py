"""Schema errors (unknown keys, missing keys, wrong types) in the words users see.

One diagnostic per offending key, named the way the definition's own form writes it:
``max_steps in [agents.main]`` for TOML, ``max_steps in Agent 'main'`` for ``dagent.py``.
"""

from __future__ import annotations

import difflib
from typing import Any

import pydantic

from dagent_gen.codes import Code
from dagent_gen.definition import AgentSection, ProjectSection, ToolSection
from dagent_gen.diagnostics import Diagnostic, error
from dagent_gen.load import KeyPath, SourceMap

_SECTIONS: dict[str, type[pydantic.BaseModel]] = {
    "project": ProjectSection,
    "agents": AgentSection,
    "tools": ToolSection,
}


def schema_diagnostics(
    err: pydantic.ValidationError, data: dict[str, Any], source: SourceMap
) -> list[Diagnostic]:
    """One diagnostic per offending key. pydantic reports a value that fits no member of a
    union once per member (``temperature.float``, ``temperature.int``): those are merged."""
    merged: dict[KeyPath, list[Any]] = {}
    for problem in err.errors():
        path = tuple(problem["loc"])
        if problem["type"] not in ("missing", "extra_forbidden"):
            path = _existing(path, data)
        merged.setdefault(path, []).append(problem)
    return [_schema_diagnostic(path, found, source) for path, found in merged.items()]


def _existing(path: KeyPath, data: Any) -> KeyPath:
    """The longest prefix of ``path`` that names a value in ``data`` (drops union tags)."""
    value = data
    for end, part in enumerate(path):
        in_dict = isinstance(value, dict) and part in value
        in_list = isinstance(value, list | tuple) and isinstance(part, int) and part < len(value)
        if not (in_dict or in_list):
            return path[:end]
        value = value[part]
    return path


def _schema_diagnostic(path: KeyPath, problems: list[Any], source: SourceMap) -> Diagnostic:
    python = is_python(source)
    where = source.locate(path)
    table = _table_name(path[:-1], python)
    key = str(path[-1]) if path else ""
    first = problems[0]
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return error(Code.UNKNOWN_KEY, f"unknown key {key!r} in {table}", where, hint)
    if first["type"] == "missing" and path == ("project",):
        return error(
            Code.INVALID_VALUE, "the definition has no [project] table", where, _MISSING_HINTS[key]
        )
    if first["type"] == "missing":
        return error(
            Code.INVALID_VALUE, f"{table} needs the key {key!r}", where, _MISSING_HINTS.get(key)
        )
    expected = [_EXPECTED.get(problem["type"]) for problem in problems]
    if None in expected:
        reasons = "; ".join(dict.fromkeys(str(problem["msg"]) for problem in problems))
        message = f"invalid value for {_key_name(path, python)}: {reasons}"
        return error(Code.INVALID_VALUE, f"{message} (got {_describe(first['input'])})", where)
    wanted = list(dict.fromkeys(str(text) for text in expected))
    if "an integer" in wanted and "a number" in wanted:
        wanted.remove("an integer")
    if path and path[-1] in ("timeout", "model_timeout", "idle_timeout"):
        wanted = ['a duration such as "30s"', "a number of seconds"]
    message = (
        f"{_key_name(path, python)} must be {' or '.join(wanted)}, not {_describe(first['input'])}"
    )
    return error(
        Code.INVALID_VALUE, message, where, _type_hint(path, wanted, first["input"], python)
    )


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)


def _type_hint(path: KeyPath, wanted: list[str], value: Any, python: bool) -> str | None:
    key = str(path[-1]) if path else ""
    equals = "=" if python else " = "
    if isinstance(value, str) and any(w in ("an integer", "a number") for w in wanted):
        return f"remove the quotes: {key}{equals}{value.strip()}" if _numeric(value) else None
    if isinstance(value, str) and wanted == ["true or false"]:
        true, false = ("True", "False") if python else ("true", "false")
        return f"write {key}{equals}{true} or {key}{equals}{false}"
    if wanted == ["a list"] and isinstance(value, str):
        return f'write a list: {key}{equals}["{value}"]'
    if wanted == ["a string"] and not isinstance(value, dict | list | tuple) and not python:
        return "put the value in double quotes"
    if wanted == ["a table"] and path and path[0] in ("agents", "tools") and not python:
        return f"write each one as its own table: [{path[0]}.NAME]"
    return None


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_MISSING_HINTS = {
    "project": 'add a [project] table with package = "my_agents"',
    "package": 'the Python package to generate, e.g. package = "my_agents"',
    "function": 'the tool function as "module:function", e.g. function = "tools:search"',
}


def is_python(source: SourceMap) -> bool:
    return source.file.endswith(".py")


def _table_name(path: KeyPath, python: bool = False) -> str:
    if not path:
        return "the definition"
    if python and path[0] in ("agents", "tools") and len(path) == 2:
        return f"{'Agent' if path[0] == 'agents' else 'Tool'} {path[1]!r}"
    if python and path == ("project",):
        return "Project"
    if path[0] in ("agents", "tools") and len(path) >= 2:
        rest = "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in path[2:])
        return f"[{path[0]}.{path[1]}]{rest}"
    return f"[{'.'.join(str(part) for part in path)}]"


def _allowed_keys(table: KeyPath) -> list[str]:
    if not table:
        return sorted(_SECTIONS)
    model = _SECTIONS.get(str(table[0]))
    return sorted(model.model_fields) if model else []


def _key_name(path: KeyPath, python: bool) -> str:
    """``max_steps in [agents.main]``, ``tools[0] in [agents.main]``, ``[project]``."""
    if not path:
        return "the definition"
    names = [str(part) for part in path]
    if isinstance(path[-1], int) and len(path) >= 2:
        names = [*names[:-2], f"{names[-2]}[{path[-1]}]"]
        path = (*path[:-2], names[-1])
    if len(path) == 1:
        return f"[{path[0]}]" if not python else str(path[0])
    if len(path) == 2 and path[0] in ("agents", "tools"):
        return _table_name(path, python)
    return f"{names[-1]} in {_table_name(path[:-1], python)}"
