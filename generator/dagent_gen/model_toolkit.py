"""The toolkit part of the project model: built-in tools, skills and the composed prompt.

Split from ``model.py`` to keep it small; ``build_model`` calls ``agent_toolkit`` per agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagent_gen import builtin_tools
from dagent_gen.definition import AgentSection, Definition
from dagent_gen.limits import parse_duration
from dagent_gen.names import activity_name
from dagent_gen.skills import is_folder_entry, scan_folder

FILESYSTEM_TIMEOUT = 60.0
FILESYSTEM_RETRIES = 2  # reads repeat safely; a repeated edit says it may already be made
SHELL_GRACE = 15.0  # start-to-close above the command timeout: kill grace and output drain
SHELL_HEARTBEAT = 30.0
SHELL_RETRIES = 0  # a command is rarely idempotent: never run it twice on its own


@dataclass(frozen=True)
class BuiltinToolModel:
    """A built-in tool (filesystem family, ``execute``) as one agent offers it; the timeout
    is the agent's (a shell's command timeout plus grace)."""

    name: str
    kind: str  # "filesystem" | "shell"
    timeout: float
    retries: int
    heartbeat_timeout: float | None = None
    non_retryable_errors: tuple[str, ...] = ()
    local: bool = False  # built-in tools do I/O on the worker: always ordinary activities

    @property
    def template(self) -> str:
        return f"package/tools/builtin_{self.kind}.py.j2"

    @property
    def activity_name(self) -> str:
        return activity_name(self.name)

    @property
    def const_name(self) -> str:
        return f"{self.name.upper()}_TOOL"

    @property
    def definition(self) -> dict[str, Any]:
        return builtin_tools.definition(self.name)


@dataclass(frozen=True)
class FilesystemModel:
    root: str
    read_only: bool
    tools: tuple[str, ...]
    max_output_chars: int


@dataclass(frozen=True)
class ShellModel:
    root: str
    timeout: float
    max_output_chars: int
    env: tuple[str, ...]
    allow: tuple[str, ...] | None


@dataclass(frozen=True)
class SkillModel:
    """A skill as the graph shows it: a bundle (``[skills.NAME]``) or a SKILL.md folder."""

    name: str
    description: str
    path: str | None  # SKILL.md relative to the filesystem root; None for a bundle


@dataclass(frozen=True)
class Toolkit:
    """What an agent gets from its toolkit keys."""

    builtins: tuple[BuiltinToolModel, ...]
    filesystem: FilesystemModel | None
    shell: ShellModel | None
    skills: tuple[SkillModel, ...]
    bundle_tools: tuple[str, ...]
    system_prompt: str


def agent_toolkit(definition: Definition, agent: AgentSection, project_dir: Path) -> Toolkit:
    builtins: list[BuiltinToolModel] = []
    filesystem: FilesystemModel | None = None
    shell: ShellModel | None = None
    if agent.filesystem is not None:
        section = agent.filesystem
        names = builtin_tools.filesystem_tools(agent)
        filesystem = FilesystemModel(
            section.root, section.read_only, names, section.max_output_chars
        )
        builtins += [
            BuiltinToolModel(name, "filesystem", FILESYSTEM_TIMEOUT, FILESYSTEM_RETRIES)
            for name in names
        ]
    if agent.shell is not None:
        config = agent.shell
        timeout = parse_duration(config.timeout) or 120.0
        shell = ShellModel(
            config.root,
            timeout,
            config.max_output_chars,
            tuple(config.env),
            tuple(config.allow) if config.allow is not None else None,
        )
        builtins.append(
            BuiltinToolModel(
                builtin_tools.SHELL_TOOL,
                "shell",
                timeout + SHELL_GRACE,
                SHELL_RETRIES,
                heartbeat_timeout=SHELL_HEARTBEAT,
            )
        )
    skills, prompts, bundle_tools = _skills(definition, agent, project_dir)
    prompt = "\n\n".join(part for part in (agent.system_prompt, *prompts) if part)
    return Toolkit(tuple(builtins), filesystem, shell, tuple(skills), bundle_tools, prompt)


def _skills(
    definition: Definition, agent: AgentSection, project_dir: Path
) -> tuple[list[SkillModel], list[str], tuple[str, ...]]:
    """The agent's skills, the prompt parts they add, and the tools bundles bring."""
    skills: list[SkillModel] = []
    prompts: list[str] = []
    tools: list[str] = []
    listed: list[str] = []
    for entry in agent.skills:
        if not is_folder_entry(entry):
            bundle = definition.skills[entry]
            skills.append(SkillModel(entry, bundle.description, None))
            if bundle.prompt:
                prompts.append(bundle.prompt)
            tools += [tool for tool in bundle.tools if tool not in agent.tools + tools]
            continue
        assert agent.filesystem is not None  # checked by validate_toolkit
        root = (project_dir / agent.filesystem.root).resolve()
        found, _problems = scan_folder((project_dir / entry).resolve())
        for skill in found:
            path = skill.file.resolve().relative_to(root).as_posix()
            skills.append(SkillModel(skill.name, skill.description, path))
            listed.append(f"- {skill.name}: {skill.description} (read {path})")
    if listed:
        prompts.append(
            "## Skills\n"
            "Skills are instructions for particular kinds of work. When your task matches "
            "one, read its file with read_file first and follow it.\n" + "\n".join(listed)
        )
    return skills, prompts, tuple(tools)
