"""The Python form of a definition (``dagent.py``): the same things as ``dagent.toml``, as objects.

Example::

    from dagent_gen import Agent, Project, Tool
    from my_tools import web_search

    writer = Agent("writer", system_prompt="You write clear reports.")
    researcher = Agent(
        "researcher",
        system_prompt="You are a careful research assistant.",
        tools=[Tool(web_search, timeout="30s", retries=3)],
        subagents=[writer],
    )
    project = Project(package="research_agent", agents=[researcher, writer])

Each object remembers the file and line that created it, so errors point at the definition.
Nothing here is imported by generated code: ``dagent_gen`` is needed at build time only.
"""

from __future__ import annotations

import inspect
import linecache
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from dagent_gen.definition import DEFAULT_MODEL
from dagent_gen.diagnostics import Location


def _caller() -> Location:
    """The first frame outside this module: where the user wrote the call.

    Frames of this file and the ``__init__`` that ``dataclasses`` generates (its file name is
    ``<string>``) are skipped. The column is where the call expression starts, so two
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
            column = len(text.encode()[:start_byte].decode(errors="ignore")) + 1
    return Location(code.co_filename, line, column)


def _internal(code: CodeType) -> bool:
    generated = code.co_filename.startswith("<") and code.co_name == "__init__"
    return code.co_filename == __file__ or generated


@dataclass
class Tool:
    """A tool: a Python function (or a ``"module:function"`` reference) and its activity options."""

    function: Callable[..., Any] | str
    name: str | None = None
    description: str | None = None
    timeout: str | int | float = "60s"
    retries: int = 3
    max_output_chars: int = 20_000
    non_retryable_errors: Sequence[str] = ()
    location: Location = field(default_factory=_caller, repr=False, compare=False)

    @property
    def tool_name(self) -> str:
        if self.name:
            return self.name
        if isinstance(self.function, str):
            return self.function.rpartition(":")[2].rpartition(".")[2]
        return str(getattr(self.function, "__name__", ""))


@dataclass
class Agent:
    """An agent: generated as one workflow class whose type name is ``name``."""

    name: str
    system_prompt: str = ""
    model: str = DEFAULT_MODEL
    description: str = ""
    tools: Sequence[Tool | Callable[..., Any]] = ()
    subagents: Sequence[Agent | str] = ()
    max_steps: int = 20
    planning: bool = True
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = None
    max_tokens: int | None = None
    model_timeout: str | int | float = "120s"
    model_retries: int = 5
    location: Location = field(default_factory=_caller, repr=False, compare=False)


@dataclass
class Project:
    """The whole definition: the package to generate and its agents."""

    package: str
    agents: Sequence[Agent] = ()
    tools: Sequence[Tool | Callable[..., Any]] = ()
    task_queue: str | None = None
    description: str = ""
    entry_agent: str | None = None
    location: Location = field(default_factory=_caller, repr=False, compare=False)
