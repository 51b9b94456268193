"""The agent definition as written by the user: the schema of ``dagent.toml``.

These models mirror the file one to one (``extra="forbid"``: an unknown key is an error). The
Python form (``dagent.py``) is converted to the same shape before validation, so both forms go
through one validator. Cross-references (tools, sub-agents, cycles) are checked in
``validate.py``; the resolved, ready-to-render form lives in ``model.py``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL = "openai:gpt-4o-mini"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProjectSection(_Strict):
    """``[project]``: where and how the code is generated."""

    package: str = Field(description="Python package the code is generated into.")
    task_queue: str | None = Field(
        default=None, description="Temporal task queue; default: the package name with dashes."
    )
    description: str = ""
    entry_agent: str | None = Field(
        default=None, description="Agent the client runs by default; default: the first agent."
    )


class AgentSection(_Strict):
    """``[agents.NAME]``: one agent, generated as one workflow class."""

    description: str = ""
    model: str = DEFAULT_MODEL
    system_prompt: str = ""
    tools: list[str] = Field(default_factory=list)
    subagents: list[str] = Field(default_factory=list)
    max_steps: int = 20
    planning: bool = True
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | int | None = None
    max_tokens: int | None = None
    model_timeout: str | int | float = "120s"
    model_retries: int = 5


class ToolSection(_Strict):
    """``[tools.NAME]``: one tool, generated as one activity."""

    function: str = Field(description="module:attribute of the Python function.")
    description: str | None = None
    timeout: str | int | float = "60s"
    retries: int = 3
    max_output_chars: int = 20_000
    non_retryable_errors: list[str] = Field(default_factory=list)


class Definition(_Strict):
    """A whole definition file."""

    project: ProjectSection
    agents: dict[str, AgentSection] = Field(default_factory=dict)
    tools: dict[str, ToolSection] = Field(default_factory=dict)
