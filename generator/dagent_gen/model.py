"""Stage 3, model: the resolved project, everything the templates need and nothing else.

Built from the validated ``Definition`` and the introspected tool signatures. Names for
generated classes, modules and constants are decided here, once, so templates stay dumb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagent_gen.definition import AgentSection, Definition
from dagent_gen.introspect import ToolSignature
from dagent_gen.limits import parse_duration
from dagent_gen.loop_vocabulary import LOOP_PROMPTS, WRITE_TODOS, WRITE_TODOS_TOOL, delegate_tool
from dagent_gen.names import activity_name, workflow_class_name


@dataclass(frozen=True)
class ToolModel:
    name: str
    function_module: str
    function_name: str
    is_async: bool
    description: str
    parameters_schema: dict[str, Any]
    timeout: float
    retries: int
    max_output_chars: int
    non_retryable_errors: tuple[str, ...] = ()

    impl_name = "tool_function"

    @property
    def activity_name(self) -> str:
        """The activity function's Python name; never a bare user name (see ``names.py``)."""
        return activity_name(self.name)

    @property
    def const_name(self) -> str:
        return f"{self.name.upper()}_TOOL"

    @property
    def function_ref(self) -> str:
        return f"{self.function_module}:{self.function_name}"

    @property
    def definition(self) -> dict[str, Any]:
        """The OpenAI function-tool definition the model sees."""
        function: dict[str, Any] = {"name": self.name}
        if self.description:
            function["description"] = self.description
        function["parameters"] = self.parameters_schema
        return {"type": "function", "function": function}


@dataclass(frozen=True)
class SubagentRef:
    name: str
    class_name: str
    module_name: str
    description: str

    @property
    def const_name(self) -> str:
        return f"{self.name.upper()}_DELEGATE"

    @property
    def definition(self) -> dict[str, Any]:
        return delegate_tool(self.name, self.description)


@dataclass(frozen=True)
class AgentModel:
    name: str
    description: str
    model: str
    system_prompt: str
    tools: tuple[ToolModel, ...]
    subagents: tuple[SubagentRef, ...]
    max_steps: int
    max_history_events: int
    planning: bool
    base_url: str | None
    api_key_env: str
    temperature: float | None
    max_tokens: int | None
    model_timeout: float
    model_retries: int

    @property
    def class_name(self) -> str:
        return class_name(self.name)

    @property
    def module_name(self) -> str:
        return self.name

    @property
    def const_name(self) -> str:
        return f"{self.name.upper()}_AGENT"

    @property
    def tool_constants(self) -> list[str]:
        """Names of the ``agents.py`` constants holding this agent's tool definitions."""
        names = ["WRITE_TODOS_PLANNER"] if self.planning else []
        names += [tool.const_name for tool in self.tools]
        names += [sub.const_name for sub in self.subagents]
        return names

    @property
    def runs_tools(self) -> bool:
        return self.planning or bool(self.tools) or bool(self.subagents)

    @property
    def offered_names(self) -> list[str]:
        names = [WRITE_TODOS] if self.planning else []
        return names + [tool.name for tool in self.tools] + [sub.name for sub in self.subagents]

    @property
    def builtin_tool(self) -> str:
        """The name of the planning tool the loop handles itself."""
        return WRITE_TODOS

    @property
    def prompts(self) -> dict[str, str]:
        """The texts of the loop's prompt constants (``PLAN_PROMPT``, ...), by kind."""
        return dict(LOOP_PROMPTS)

    @property
    def tool_definitions(self) -> list[dict[str, Any]]:
        definitions = [WRITE_TODOS_TOOL] if self.planning else []
        definitions += [tool.definition for tool in self.tools]
        definitions += [sub.definition for sub in self.subagents]
        return definitions


@dataclass(frozen=True)
class ProjectModel:
    package: str
    task_queue: str
    description: str
    entry_agent: str
    definition_file: str  # file name as shown in headers, e.g. "dagent.toml"
    agents: tuple[AgentModel, ...]  # sorted by name: stable, merge-friendly output
    tools: tuple[ToolModel, ...]  # sorted by name; only tools some agent uses

    @property
    def uses_planning(self) -> bool:
        return any(agent.planning for agent in self.agents)

    @property
    def write_todos_tool(self) -> dict[str, Any]:
        return WRITE_TODOS_TOOL

    @property
    def delegates(self) -> list[SubagentRef]:
        """Every agent used as a sub-agent, once, sorted by name."""
        found = {sub.name: sub for agent in self.agents for sub in agent.subagents}
        return [found[name] for name in sorted(found)]


def class_name(name: str) -> str:
    return workflow_class_name(name)


def _seconds(duration: str | int | float) -> float:
    """A duration the validator has accepted (``limits.check_timeout``), in seconds."""
    seconds = parse_duration(duration)
    if seconds is None:
        raise ValueError(f"duration {duration!r} was not validated")
    return seconds


def _agent_model(
    name: str, agent_section: AgentSection, tools: dict[str, ToolModel], definition: Definition
) -> AgentModel:
    return AgentModel(
        name=name,
        description=agent_section.description,
        model=agent_section.model.partition(":")[2],
        system_prompt=agent_section.system_prompt,
        tools=tuple(tools[tool] for tool in agent_section.tools),
        subagents=tuple(
            SubagentRef(
                name=sub,
                class_name=class_name(sub),
                module_name=sub,
                description=definition.agents[sub].description,
            )
            for sub in agent_section.subagents
        ),
        max_steps=agent_section.max_steps,
        max_history_events=agent_section.max_history_events,
        planning=agent_section.planning,
        base_url=agent_section.base_url,
        api_key_env=agent_section.api_key_env,
        temperature=float(agent_section.temperature)
        if agent_section.temperature is not None
        else None,
        max_tokens=agent_section.max_tokens,
        model_timeout=_seconds(agent_section.model_timeout),
        model_retries=agent_section.model_retries,
    )


def build_model(
    definition: Definition, signatures: dict[str, ToolSignature], definition_file: str
) -> ProjectModel:
    """``signatures`` holds one introspected signature per tool name used by some agent."""
    tools: dict[str, ToolModel] = {}
    for name, section in definition.tools.items():
        signature = signatures.get(name)
        if signature is None:
            continue
        tools[name] = ToolModel(
            name=name,
            function_module=signature.function_module,
            function_name=signature.function_name,
            is_async=signature.is_async,
            description=(
                section.description if section.description is not None else signature.description
            ),
            parameters_schema=signature.parameters_schema,
            timeout=_seconds(section.timeout),
            retries=section.retries,
            max_output_chars=section.max_output_chars,
            non_retryable_errors=tuple(section.non_retryable_errors),
        )
    agents = [
        _agent_model(name, agent_section, tools, definition)
        for name, agent_section in definition.agents.items()
    ]
    project = definition.project
    return ProjectModel(
        package=project.package,
        task_queue=project.task_queue or project.package.replace("_", "-"),
        description=project.description,
        entry_agent=project.entry_agent or next(iter(definition.agents)),
        definition_file=definition_file,
        agents=tuple(sorted(agents, key=lambda agent: agent.name)),
        tools=tuple(sorted(tools.values(), key=lambda tool: tool.name)),
    )
