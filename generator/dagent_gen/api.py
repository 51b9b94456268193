"""The Python form of a definition (``dagent.py``): the same things as ``dagent.toml``, as objects.

Example::

    from dagent_gen import Agent, McpServer, Project, Tool
    from my_tools import web_search

    tickets = McpServer("tickets", url="https://tickets.example.com/mcp", prefix="tickets_")
    writer = Agent("writer", system_prompt="You write clear reports.", mcp=[tickets])
    researcher = Agent(
        "researcher",
        system_prompt="You are a careful research assistant.",
        tools=[Tool(web_search, timeout="30s", retries=3)],
        subagents=[writer],
    )
    project = Project(package="research_agent", agents=[researcher, writer])

Each object remembers the file and line that created it, so errors point at the definition.
The keyword arguments and their defaults are the fields of ``definition.py`` (inherited), so a
new key is declared once. Construction never validates: a wrong value or an unknown keyword is
kept and reported by the validator at its ``file:line``, like the same mistake in
``dagent.toml``, instead of raising inside ``dagent.py``. Type checkers still see every keyword
with its type (pydantic models are ``dataclass_transform`` classes).
Nothing here is imported by generated code: ``dagent_gen`` is needed at build time only.
"""

from __future__ import annotations

import inspect
import linecache
from collections.abc import Callable, Mapping, Sequence
from types import CodeType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from dagent_gen.definition import AgentFields, McpSection, ProjectFields, ToolFields
from dagent_gen.diagnostics import Location, character_column


def _caller() -> Location:
    """The first frame outside this module: where the user wrote the call.

    Frames of this file are skipped. The column is where the call expression starts, so two
    ``Tool(...)`` on one line are told apart.
    """
    frame = inspect.currentframe()
    while frame is not None and _internal(frame.f_code):
        frame = frame.f_back
    if frame is None:
        return Location("<unknown>")
    code = frame.f_code
    line, column = frame.f_lineno or 0, 0
    positions = list(code.co_positions())
    index = frame.f_lasti // 2
    if 0 <= index < len(positions):
        start_line, _, start_byte, _ = positions[index]
        if start_line and start_byte is not None:
            text = linecache.getline(code.co_filename, start_line)
            line = start_line
            column = character_column(text, start_byte)
    return Location(code.co_filename, line, column)


def _internal(code: CodeType) -> bool:
    return code.co_filename == __file__


class _Lenient(BaseModel):
    """Construction without validation: positional fields (``Field(kw_only=False)``) and
    keywords are stored as given, unknown keywords in ``model_extra``.

    The validator checks every value later, with the location of its keyword in ``dagent.py``.
    Type checkers see pydantic's synthesised ``__init__`` (keywords typed, the ``kw_only=False``
    fields positional); this runtime ``__init__`` is hidden from them.
    """

    model_config = ConfigDict(
        extra="allow", strict=False, frozen=False, arbitrary_types_allowed=True
    )

    if not TYPE_CHECKING:

        def __init__(self, *args: Any, **data: Any) -> None:
            names = positional_fields(type(self))
            if len(args) > len(names):
                raise TypeError(
                    f"{type(self).__name__}() takes {len(names)} positional "
                    f"argument(s) but {len(args)} were given"
                )
            data.update(zip(names, args, strict=False))
            if "location" not in data:
                data["location"] = _caller()
            built = self.model_construct(**data)
            for slot in (
                "__dict__",
                "__pydantic_fields_set__",
                "__pydantic_extra__",
                "__pydantic_private__",
            ):
                object.__setattr__(self, slot, getattr(built, slot))


def positional_fields(kind: type) -> list[str]:
    """The fields a call may give by position, in order (``Agent("name")``)."""
    fields = getattr(kind, "model_fields", {})
    return [name for name, info in fields.items() if info.kw_only is False]


class Tool(ToolFields, _Lenient):
    """A tool: a Python function (or a ``"module:function"`` reference) and its activity options."""

    function: Callable[..., Any] | str = Field(kw_only=False)
    name: str | None = None
    location: Location = Field(default_factory=_caller, repr=False, exclude=True)

    @property
    def tool_name(self) -> str:
        if self.name:
            return self.name
        if isinstance(self.function, str):
            return self.function.rpartition(":")[2].rpartition(".")[2]
        return str(getattr(self.function, "__name__", ""))


class McpServer(McpSection, _Lenient):
    """An MCP server (``[mcp.NAME]``, see docs/mcp.md): give it to the agents that use it,
    ``Agent(..., mcp=[server])``; the keywords are the table's keys."""

    name: str = Field(kw_only=False)
    location: Location = Field(default_factory=_caller, repr=False, exclude=True)


class Agent(AgentFields, _Lenient):
    """An agent: generated as one workflow class whose type name is ``name``."""

    name: str = Field(kw_only=False)
    tools: Sequence[Tool | Callable[..., Any]] = ()
    subagents: Sequence[Agent | str] = ()
    mcp: Sequence[McpServer | str] = ()  # servers, or names of servers in Project(mcp=...)
    location: Location = Field(default_factory=_caller, repr=False, exclude=True)
    output: type[BaseModel] | str | None = None  # the class, or "module:Model"


class Project(ProjectFields, _Lenient):
    """The whole definition: the package to generate and its agents."""

    agents: Sequence[Agent] = ()
    tools: Sequence[Tool | Callable[..., Any]] = ()
    mcp: Sequence[McpServer] = ()  # servers no agent object refers to directly
    skills: Mapping[str, Mapping[str, Any]] = Field(default_factory=dict)  # [skills.NAME]
    location: Location = Field(default_factory=_caller, repr=False, exclude=True)
