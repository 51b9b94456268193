"""Load ``dagent.py``: run it, take its ``Project``, and turn it into the TOML-shaped data.

Converting to the same data the TOML loader produces means one validator serves both forms.
Every object carries the file and line that created it, which becomes the source map.
"""

from __future__ import annotations

import ast
import linecache
import runpy
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from dagent_gen.api import Agent, McpServer, Project, Tool, positional_fields
from dagent_gen.codes import Code
from dagent_gen.definition import AgentFields, McpSection, ProjectFields, ToolFields
from dagent_gen.diagnostics import Diagnostic, Location, character_column, error
from dagent_gen.load.source_map import KeyPath, SourceMap

RUN_NAME = "__dagent_definition__"


def load_python(path: Path) -> tuple[dict[str, Any] | None, SourceMap, list[Diagnostic]]:
    source = SourceMap(str(path))
    linecache.checkcache(str(path))  # a long-running process may have cached an older version
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)
    try:
        namespace = runpy.run_path(str(path), run_name=RUN_NAME)
    except SyntaxError as err:  # in dagent.py, or in a module it imports
        file = err.filename if err.filename and not err.filename.startswith("<") else str(path)
        location = Location(file, err.lineno or 0, err.offset or 0)
        where = "" if file == str(path) else f" in {Path(file).name}"
        return (
            None,
            source,
            [error(Code.SYNTAX_ERROR, f"invalid Python{where}: {err.msg}", location)],
        )
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # user code: report anything, including SystemExit
        return None, source, [_raised(path, err)]
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    found = {id(value): value for value in namespace.values() if isinstance(value, Project)}
    projects = list(found.values())
    if not projects:
        problem = error(
            Code.BAD_DEFINITION_SCRIPT,
            f"{path.name} defines no dagent_gen.Project",
            Location(str(path), 1),
            "add `project = Project(package=..., agents=[...])` at module level",
        )
        return None, source, [problem]
    if len(projects) > 1:
        lines = ", ".join(str(project.location.line) for project in projects)
        problem = error(
            Code.BAD_DEFINITION_SCRIPT,
            f"{path.name} must define exactly one dagent_gen.Project; found {len(projects)} "
            f"(lines {lines})",
            projects[1].location,
            "keep one Project; a definition file describes one generated package",
        )
        return None, source, [problem]
    try:
        data, source, problems = _to_data(projects[0], source)
    except Exception as err:  # a value of a type nobody expected, deep inside the Project
        problem = error(
            Code.INVALID_VALUE,
            f"cannot read the Project: {type(err).__name__}: {err}",
            projects[0].location,
            "pass strings, numbers, lists, Agent and Tool objects as in the documentation",
        )
        return None, source, [problem]
    problems += _not_unicode(data, (), source)
    return (None if problems else data), source, problems


def _not_unicode(value: Any, path: KeyPath, source: SourceMap) -> list[Diagnostic]:
    """DG202 for each string that is not valid Unicode text (a lone surrogate such as
    ``"\\udc80"``): it cannot be written to the generated UTF-8 files."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            bad = value[err.start : err.end].encode("unicode_escape").decode()
            message = f"text with a lone surrogate ({bad}) cannot be written as UTF-8"
            return [error(Code.INVALID_VALUE, message, source.locate(path), _SURROGATE_HINT)]
        return []
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list | tuple):
        items = list(enumerate(value))
    else:
        return []
    return [problem for key, item in items for problem in _not_unicode(item, (*path, key), source)]


def _raised(path: Path, err: BaseException) -> Diagnostic:
    """The exception, at the innermost line of ``path`` it passed through."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == str(path)]
    where = Location(str(path))
    if frames:
        line, offset = frames[-1].lineno or 0, getattr(frames[-1], "colno", None)
        column = 0
        if offset is not None:
            text = linecache.getline(str(path), line)
            column = character_column(text, offset)
        where = Location(str(path), line, column)
    text = str(err)
    return error(
        Code.BAD_DEFINITION_SCRIPT,
        f"running {path.name} raised {type(err).__name__}" + (f": {text}" if text else ""),
        where,
        f"fix the definition so that it runs with `python {path.name}`",
    )


def _to_data(
    project: Project, source: SourceMap
) -> tuple[dict[str, Any] | None, SourceMap, list[Diagnostic]]:
    converter = _Converter(source)
    data = converter.convert(project)
    if converter.diagnostics:
        return None, source, converter.diagnostics
    return data, source, []


def _options(value: BaseModel, fields: type[BaseModel], *always: str) -> dict[str, Any]:
    """The keys of ``fields`` set to something other than their default, and unknown keywords.

    The declared fields are the definition's keys (``definition.py``), so no key is listed
    here; unknown keywords go on as keys for the validator to report ("did you mean ...").
    """
    entry: dict[str, Any] = {}
    for key, info in fields.model_fields.items():
        given = getattr(value, key)
        if isinstance(given, tuple):
            given = list(given)
        if key in always or given != info.get_default(call_default_factory=True):
            entry[key] = given
    entry.update(value.model_extra or {})
    return entry


class _Converter:
    """A ``Project`` and the objects it holds → TOML-shaped data, recording every location."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        self.calls = _CallSites()
        self.tools: dict[str, dict[str, Any]] = {}
        self.explicit: set[str] = set()  # tools given as Tool(...), not as a bare function
        self.agents: dict[str, dict[str, Any]] = {}
        self.mcp: dict[str, dict[str, Any]] = {}
        self.mcp_objects: dict[str, McpServer] = {}

    def convert(self, project: Project) -> dict[str, Any]:
        self.source.add(("project",), project.location)
        project_args = self.calls.arguments(project.location, Project)
        for key, (where, _) in project_args.items():
            if key not in ("agents", "tools", "mcp", "skills"):
                self.source.add(("project", key), where)
        data: dict[str, Any] = {"project": _options(project, ProjectFields, "package")}
        for index, item in enumerate(
            self.items(project.tools, "tools", _at(project_args, "tools", project.location))
        ):
            self.add_tool(item, _element(project_args, "tools", index, project.location))
        agents_at = _at(project_args, "agents", project.location)
        for agent in self.items(project.agents, "agents", agents_at):
            self.add_agent(agent, project.location)
        mcp_at = _at(project_args, "mcp", project.location)
        for index, server in enumerate(self.items(project.mcp, "mcp", mcp_at)):
            self.add_mcp(server, _element(project_args, "mcp", index, project.location))
        data["agents"] = self.agents
        data["tools"] = self.tools
        if self.mcp:
            data["mcp"] = self.mcp
        if project.skills:
            data["skills"] = project.skills
            self.source.add(("skills",), _at(project_args, "skills", project.location))
        return data

    def add_mcp(self, server: Any, location: Location) -> str | None:
        """An ``McpServer`` (its section, once per object) or a server's name: the name."""
        if isinstance(server, str):
            return server
        if not isinstance(server, McpServer) or not isinstance(server.name, str):
            message = f"mcp must hold McpServer objects or server names, not {server!r}"
            hint = 'create servers with McpServer("name", command=... or url=...)'
            self.diagnostics.append(error(Code.INVALID_VALUE, message, location, hint))
            return None
        name = server.name
        known = self.mcp_objects.get(name)
        if known is server:
            return name
        if known is not None and _options(server, McpSection) != self.mcp[name]:
            self.diagnostics.append(
                error(
                    Code.NAME_CLASH,
                    f"two MCP servers are named {name!r}",
                    server.location,
                    "create each server once and pass the same object to every agent",
                )
            )
            return name
        self.mcp_objects[name] = server
        self.mcp[name] = _options(server, McpSection)
        self.source.add(("mcp", name), server.location)
        for key, (where, _) in self.calls.arguments(server.location, McpServer).items():
            if key != "name":
                self.source.add(("mcp", name, key), where)
        return name

    def items(self, value: Any, what: str, location: Location) -> list[Any]:
        """The elements of a list argument; a diagnostic (and nothing) for anything else."""
        if isinstance(value, list | tuple):
            return list(value)
        self.diagnostics.append(
            error(
                Code.INVALID_VALUE,
                f"{what} must be a list, not {value!r}",
                location,
                f"write {what}=[...]",
            )
        )
        return []

    def add_tool(self, item: Tool | Callable[..., Any], location: Location) -> str | None:
        diagnostics, tools, source = self.diagnostics, self.tools, self.source
        tool = item if isinstance(item, Tool) else Tool(item, location=location)
        if not isinstance(tool.name, str | None):
            message = f"a tool name must be a string, not {tool.name!r}"
            diagnostics.append(
                error(Code.INVALID_VALUE, message, tool.location, 'e.g. name="search"')
            )
            return None
        ref, problem = _function_ref(tool.function)
        if problem:
            diagnostics.append(
                error(Code.TOOL_DEFINED_IN_SCRIPT, problem, tool.location, _TOOL_HINT)
            )
            return None
        entry: dict[str, Any] = {"function": ref, **_options(tool, ToolFields)}
        name = tool.tool_name
        # A bare function (or "module:function") refers to the tool of that function, so
        # Project(tools=[Tool(fn, retries=1)]) sets the options and agents list plain `fn`.
        same_function = name in tools and tools[name]["function"] == ref
        if not isinstance(item, Tool) and same_function:
            return name
        if name in tools and tools[name] != entry:
            if same_function and name not in self.explicit:
                tools[name] = entry
            else:
                diagnostics.append(
                    error(
                        Code.NAME_CLASH,
                        f"two different tools are named {name!r}",
                        tool.location,
                        "give one of them another name with Tool(fn, name=...), or set "
                        "the options of a tool in one place",
                    )
                )
        tools.setdefault(name, entry)
        if isinstance(item, Tool):
            self.explicit.add(name)
            for key, (where, _) in self.calls.arguments(tool.location, Tool).items():
                if key != "name":
                    source.add(("tools", name, key), where)
        else:
            source.add(("tools", name, "function"), location)
        source.add(("tools", name), tool.location)
        return name

    def add_agent(self, agent: Any, project_location: Location) -> None:
        diagnostics, source = self.diagnostics, self.source
        if not isinstance(agent, Agent):
            diagnostics.append(
                error(
                    Code.INVALID_VALUE,
                    f"Project.agents must hold Agent objects, not {agent!r}",
                    project_location,
                    "create agents with Agent(name, ...)",
                )
            )
            return
        if not isinstance(agent.name, str):
            message = f"an agent name must be a string, not {agent.name!r}"
            diagnostics.append(
                error(Code.INVALID_VALUE, message, agent.location, 'e.g. Agent("researcher")')
            )
            return
        source.add(("agents", agent.name), agent.location)
        agent_args = self.calls.arguments(agent.location, Agent)
        for key, (where, _) in agent_args.items():
            if key != "name":
                source.add(("agents", agent.name, key), where)
        entry = _options(agent, AgentFields)
        entry["tools"] = self.agent_tools(agent, agent_args)
        subagents = self.items(
            agent.subagents, "subagents", _at(agent_args, "subagents", agent.location)
        )
        entry["subagents"] = [sub.name if isinstance(sub, Agent) else sub for sub in subagents]
        if agent.output is not None:
            ref, problem = _class_ref(agent.output)
            if problem:
                where = _at(agent_args, "output", agent.location)
                diagnostics.append(error(Code.TOOL_DEFINED_IN_SCRIPT, problem, where, _MODEL_HINT))
            entry["output"] = ref
        for index in range(len(subagents)):
            where = _element(agent_args, "subagents", index, agent.location)
            source.add(("agents", agent.name, "subagents", index), where)
        servers = self.items(agent.mcp, "mcp", _at(agent_args, "mcp", agent.location))
        if servers:
            entry["mcp"] = []
        for index, server in enumerate(servers):
            where = _element(agent_args, "mcp", index, agent.location)
            source.add(("agents", agent.name, "mcp", index), where)
            name = self.add_mcp(server, where)
            if name is not None:
                entry["mcp"].append(name)
        if agent.name in self.agents:
            diagnostics.append(
                error(
                    Code.NAME_CLASH,
                    f"two agents are named {agent.name!r}",
                    agent.location,
                    "agent names become workflow types: give each agent its own name",
                )
            )
        self.agents[agent.name] = entry

    def agent_tools(self, agent: Agent, agent_args: _Arguments) -> list[str]:
        names: list[str] = []
        for index, item in enumerate(
            self.items(agent.tools, "tools", _at(agent_args, "tools", agent.location))
        ):
            where = _element(agent_args, "tools", index, agent.location)
            self.source.add(("agents", agent.name, "tools", index), where)
            name = self.add_tool(item, where)
            if name:
                names.append(name)
        return names


_Arguments = dict[str, tuple[Location, list[Location]]]


def _at(arguments: _Arguments, key: str, fallback: Location) -> Location:
    """Where the argument ``key`` is written, else where the call is."""
    return arguments[key][0] if key in arguments else fallback


def _element(arguments: _Arguments, key: str, index: int, fallback: Location) -> Location:
    where, elements = arguments.get(key, (fallback, []))
    return elements[index] if index < len(elements) else where


class _CallSites:
    """Where each argument of an ``Agent(...)``/``Tool(...)``/``Project(...)`` call is written.

    The objects know where the call starts; parsing that file finds the call and so the line
    and column of every keyword (or positional) argument and of each element of a literal
    list, so ``model="gpt-4o"`` is reported at the keyword rather than at ``Agent(``.
    """

    def __init__(self) -> None:
        self._trees: dict[str, list[tuple[ast.Call, list[str]]]] = {}

    def arguments(self, location: Location, kind: type) -> _Arguments:
        call = self._find(location)
        if call is None:
            return {}
        lines = linecache.getlines(location.file)
        fields = positional_fields(kind)
        found: _Arguments = {}
        for index, argument in enumerate(call.args):
            if isinstance(argument, ast.Starred) or index >= len(fields):
                break
            found[fields[index]] = _argument(location.file, lines, argument, argument)
        for keyword in call.keywords:
            if keyword.arg is not None:
                found[keyword.arg] = _argument(location.file, lines, keyword, keyword.value)
        return found

    def _find(self, location: Location) -> ast.Call | None:
        if location.file not in self._trees:
            linecache.checkcache(location.file)
            lines = linecache.getlines(location.file)
            try:
                tree = ast.parse("".join(lines), location.file)
            except (SyntaxError, ValueError):
                tree = ast.Module(body=[], type_ignores=[])
            calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
            self._trees[location.file] = [(call, lines) for call in calls]
        for call, lines in self._trees[location.file]:
            if _position(location.file, lines, call) == location:
                return call
        return None


def _argument(
    file: str, lines: list[str], argument: ast.AST, value: ast.AST
) -> tuple[Location, list[Location]]:
    elements: list[Location] = []
    if isinstance(value, ast.List | ast.Tuple) and not any(
        isinstance(element, ast.Starred) for element in value.elts
    ):
        elements = [_position(file, lines, element) for element in value.elts]
    return _position(file, lines, argument), elements


def _position(file: str, lines: list[str], node: ast.AST) -> Location:
    """A 1-based location; ``ast`` columns are UTF-8 byte offsets, editors count characters."""
    line: int = getattr(node, "lineno", 0)
    offset: int = getattr(node, "col_offset", 0)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return Location(file, line, character_column(text, offset))


_SURROGATE_HINT = "remove the escape; write the character itself or a valid `\\uXXXX` escape"
_TOOL_HINT = (
    "define tools in a module next to dagent.py (e.g. tools.py) and import them; generated "
    "code imports that module, and never dagent.py"
)


_MODEL_HINT = (
    "define the model in a module next to dagent.py (e.g. models.py) and import it; "
    "generated code imports that module, and never dagent.py"
)


def _class_ref(value: Any) -> tuple[Any, str | None]:
    """``"module:Class"`` for a class; any other value as given, for the validator to judge."""
    if not isinstance(value, type):
        return value, None
    module, qualname = value.__module__, value.__qualname__
    if module in (RUN_NAME, "__main__"):
        return "", f"output model {qualname!r} is defined in the definition file itself"
    if "<locals>" in qualname:
        return "", f"output model {qualname!r} is defined inside a function"
    return f"{module}:{qualname}", None


def _function_ref(function: Callable[..., Any] | str) -> tuple[str, str | None]:
    if isinstance(function, str):
        return function, None
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not callable(function) or not module or not qualname:
        return "", f"{function!r} is not a function"
    if module in (RUN_NAME, "__main__"):
        return "", f"tool {qualname!r} is defined in the definition file itself"
    if "<locals>" in qualname:
        return "", f"tool {qualname!r} is defined inside a function, so it cannot be imported"
    return f"{module}:{qualname}", None
