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


class FilesystemSection(_Strict):
    """``[agents.NAME.filesystem]``: the built-in filesystem tools of one agent."""

    root: str = Field(
        default=".",
        description="Folder the tools may not leave, relative to the worker's working directory.",
    )
    tools: list[str] | None = Field(
        default=None,
        description="The tools offered: a subset of ls, read_file, write_file, edit_file, glob, "
        "grep; default all (without write_file and edit_file when read_only).",
    )
    read_only: bool = Field(
        default=False, description="Offer no write_file / edit_file, and refuse writes."
    )
    max_output_chars: int = Field(
        default=20_000, description="The most characters one tool result returns."
    )


class ShellSection(_Strict):
    """``[agents.NAME.shell]``: the built-in ``execute(command)`` tool of one agent."""

    root: str = Field(
        default=".",
        description="Working directory of every command, relative to the worker's.",
    )
    timeout: str | int | float = Field(
        default="120s", description="How long one command may run (at most 1h)."
    )
    max_output_chars: int = Field(default=20_000, description="Output cap (head and tail kept).")
    env: list[str] = Field(
        default_factory=list,
        description="Names of worker environment variables passed through to commands.",
    )
    allow: list[str] | None = Field(
        default=None, description="Programs a command may start; default: any."
    )


class SkillSection(_Strict):
    """``[skills.NAME]``: a bundle of a system-prompt fragment and tools, attachable to agents."""

    description: str = Field(default="", description="What the skill is for.")
    prompt: str = Field(default="", description="Text added to the agent's system prompt.")
    tools: list[str] = Field(
        default_factory=list, description="Tools ([tools.NAME]) the skill gives the agent."
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
    filesystem: FilesystemSection | None = Field(
        default=None,
        description="Built-in filesystem tools (ls, read_file, ...) confined to a root folder.",
    )
    shell: ShellSection | None = Field(
        default=None, description="The built-in shell tool execute(command); opt-in."
    )
    skills: list[str] = Field(
        default_factory=list,
        description='Skill bundle names ([skills.NAME]) and skill folders ("skills/", with a "/").',
    )
    memory: list[str] = Field(
        default_factory=list,
        description="Files (relative to the filesystem root) added to the system prompt at "
        "the start of each run.",
    )


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
    skills: dict[str, SkillSection] = Field(
        default_factory=dict, description="Skill bundles, attached with agents.NAME.skills."
    )
