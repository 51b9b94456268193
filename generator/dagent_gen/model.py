"""Stage 3, model: the resolved project, everything the templates need and nothing else.

Built from the validated ``Definition`` and the introspected tool signatures. Names for
generated classes, modules and constants are decided here, once, so templates stay dumb.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagent_gen import providers
from dagent_gen.definition import AgentSection, Definition
from dagent_gen.introspect import ToolSignature
from dagent_gen.introspect.output_model import OutputSchema
from dagent_gen.limits import parse_duration
from dagent_gen.loop_vocabulary import LOOP_PROMPTS, WRITE_TODOS, WRITE_TODOS_TOOL, delegate_tool
from dagent_gen.mcp_model import McpServerModel, McpToolModel, mcp_servers
from dagent_gen.model_toolkit import (
    BuiltinToolModel,
    FilesystemModel,
    ShellModel,
    SkillModel,
    Toolkit,
    agent_toolkit,
)
from dagent_gen.names import activity_name, workflow_class_name
from dagent_gen.output_schema import response_format
from dagent_gen.providers import Endpoint
from dagent_gen.runtime.mcp_config import McpServerConfig, ToolInfo


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
    local: bool = False  # run as a local activity (workflow.execute_local_activity)
    approval: bool = False  # a human decides on each call before it runs
    approval_timeout: float | None = None  # None: wait for the decision as long as the run lives
    approval_default: str = "reject"  # the decision when approval_timeout expires

    impl_name = "tool_function"
    kind = "function"
    template = "package/tools/tool.py.j2"
    heartbeat_timeout: float | None = None

    @property
    def arguments_name(self) -> str:
        """The workflow's alias of the tool module's argument validator (``ARGUMENTS``)."""
        return f"{self.name.upper()}_ARGUMENTS"

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


AnyTool = ToolModel | BuiltinToolModel


@dataclass(frozen=True)
class SubagentRef:
    name: str
    class_name: str
    module_name: str
    description: str
    output: str | None = None  # the class name of the sub-agent's output model

    @property
    def const_name(self) -> str:
        return f"{self.name.upper()}_DELEGATE"

    @property
    def definition(self) -> dict[str, Any]:
        return delegate_tool(self.name, self.description, self.output)


@dataclass(frozen=True)
class OutputModel:
    """An agent's output model: the user's class, imported into ``agents.py`` as ``alias``."""

    module: str
    name: str
    alias: str
    response_format: dict[str, Any]  # sent with the calls that may give the final answer
    choices: tuple[str, ...]  # the tool_choice values of those calls

    @property
    def import_line(self) -> str:
        alias = "" if self.alias == self.name else f" as {self.alias}"
        return f"from {self.module} import {self.name}{alias}"


@dataclass(frozen=True)
class ContextModel:
    """``[agents.NAME.context]``: the conversation's token budget and what stays verbatim."""

    max_tokens: int
    keep_recent: int


@dataclass(frozen=True)
class PriceModel:
    input_per_million: float
    output_per_million: float


OPENAI_ENDPOINT = providers.resolve("openai:", None, None)


@dataclass(frozen=True)
class AgentModel:
    name: str
    description: str
    model: str
    system_prompt: str
    tools: tuple[AnyTool, ...]
    subagents: tuple[SubagentRef, ...]
    max_steps: int
    max_history_events: int
    planning: bool
    base_url: str | None
    api_key_env: str | None  # None: the provider's
    temperature: float | None
    max_tokens: int | None
    model_timeout: float
    model_retries: int
    filesystem: FilesystemModel | None = None
    shell: ShellModel | None = None
    skills: tuple[SkillModel, ...] = ()
    memory: tuple[str, ...] = ()

    @property
    def memory_root(self) -> str:
        return self.filesystem.root if self.filesystem is not None else "."

    mcp_tools: tuple[McpToolModel, ...] = ()  # build-time discovered, sorted by name
    context: ContextModel | None = None  # summarise older turns near a token budget
    conversational: bool = False
    idle_timeout: float = 3600.0
    endpoint: Endpoint | None = None  # None: the openai provider's, as given
    max_total_tokens: int | None = None
    max_cost_usd: float | None = None
    price: PriceModel | None = None  # of the agent's model, from [project.prices]

    @property
    def spec_endpoint(self) -> dict[str, str | None]:
        """The endpoint fields of this agent's ``AgentSpec`` that differ from its defaults
        (the ``openai`` provider's)."""
        default = OPENAI_ENDPOINT
        endpoint = self.endpoint or providers.resolve("openai:" + self.model, None, None)
        fields = {
            "base_url": endpoint.base_url,
            "api_key_env": endpoint.api_key_env,
            "base_url_env": endpoint.base_url_env,
            "default_base_url": endpoint.default_base_url,
        }
        return {name: value for name, value in fields.items() if value != getattr(default, name)}

    output: OutputModel | None = None  # the final answer's pydantic model (structured output)
    runtime_mcp: tuple[McpServerModel, ...] = ()  # servers listed when a run starts, by name
    stream: bool = False  # stream replies, the text so far as heartbeat details

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
        names += [tool.const_name for tool in self.mcp_tools]
        names += [sub.const_name for sub in self.subagents]
        return names

    @property
    def runs_tools(self) -> bool:
        return (
            self.planning
            or bool(self.tools)
            or bool(self.subagents)
            or bool(self.mcp_tools)
            or bool(self.runtime_mcp)
        )

    @property
    def continues_as_new(self) -> bool:
        """Long runs continue as new: between steps of the tool loop, or between turns."""
        return self.runs_tools or self.conversational

    @property
    def approval_tools(self) -> list[ToolModel]:
        """The tools whose calls wait for a human decision."""
        return [tool for tool in self.tools if isinstance(tool, ToolModel) and tool.approval]

    @property
    def offered_names(self) -> list[str]:
        names = [WRITE_TODOS] if self.planning else []
        names += [tool.name for tool in self.tools] + [tool.name for tool in self.mcp_tools]
        return names + [sub.name for sub in self.subagents]

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
        definitions += [tool.definition for tool in self.mcp_tools]
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
    builtin_tools: tuple[BuiltinToolModel, ...] = ()  # one per name some agent offers, sorted
    mcp_servers: tuple[McpServerModel, ...] = ()  # sorted by name; only servers some agent uses
    mcp_tools: tuple[McpToolModel, ...] = ()  # sorted by the name the model sees
    search_attributes: bool = False  # runs upsert DagentAgent / DagentStatus

    @property
    def uses_mcp(self) -> bool:
        return bool(self.mcp_servers)

    @property
    def runtime_mcp_servers(self) -> list[McpServerModel]:
        """The servers whose tools are listed when a run starts (``discover = "runtime"``)."""
        return [server for server in self.mcp_servers if server.runtime]

    @property
    def uses_planning(self) -> bool:
        return any(agent.planning for agent in self.agents)

    @property
    def uses_local_tools(self) -> bool:
        return any(tool.local for tool in self.tools)

    @property
    def write_todos_tool(self) -> dict[str, Any]:
        return WRITE_TODOS_TOOL

    @property
    def all_tools(self) -> list[AnyTool]:
        """Every tool module of the package (functions and built-ins), sorted by name."""
        tools: list[AnyTool] = [*self.tools, *self.builtin_tools]
        return sorted(tools, key=lambda tool: tool.name)

    @property
    def filesystem_agents(self) -> list[AgentModel]:
        return [agent for agent in self.agents if agent.filesystem is not None]

    @property
    def shell_agents(self) -> list[AgentModel]:
        return [agent for agent in self.agents if agent.shell is not None]

    @property
    def memory_agents(self) -> list[AgentModel]:
        return [agent for agent in self.agents if agent.memory]

    @property
    def uses_filesystem(self) -> bool:
        return bool(self.filesystem_agents or self.memory_agents)

    @property
    def uses_context(self) -> bool:
        return any(agent.context is not None for agent in self.agents)

    @property
    def uses_approval(self) -> bool:
        return any(tool.approval for tool in self.tools)

    @property
    def uses_conversation(self) -> bool:
        return any(agent.conversational for agent in self.agents)

    @property
    def output_agents(self) -> list[AgentModel]:
        return [agent for agent in self.agents if agent.output is not None]

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
    name: str,
    agent_section: AgentSection,
    tools: dict[str, ToolModel],
    definition: Definition,
    toolkit: Toolkit,
    mcp_tools: dict[str, McpToolModel],
    servers: dict[str, McpServerModel],
    output: OutputSchema | None = None,
) -> AgentModel:
    used = [*agent_section.tools, *toolkit.bundle_tools]
    agent_tools: list[AnyTool] = [tools[tool] for tool in used if tool in tools]
    endpoint = providers.resolve(
        agent_section.model, agent_section.base_url, agent_section.api_key_env
    )
    price = definition.project.prices.get(agent_section.model)
    return AgentModel(
        name=name,
        description=agent_section.description,
        model=agent_section.model.partition(":")[2],
        system_prompt=toolkit.system_prompt,
        tools=(*agent_tools, *toolkit.builtins),
        subagents=tuple(
            SubagentRef(
                name=sub,
                class_name=class_name(sub),
                module_name=sub,
                description=definition.agents[sub].description,
                output=_class_of(definition.agents[sub].output),
            )
            for sub in agent_section.subagents
        ),
        max_steps=agent_section.max_steps,
        max_history_events=agent_section.max_history_events,
        planning=agent_section.planning,
        base_url=agent_section.base_url,
        api_key_env=endpoint.api_key_env,
        temperature=float(agent_section.temperature)
        if agent_section.temperature is not None
        else None,
        max_tokens=agent_section.max_tokens,
        model_timeout=_seconds(agent_section.model_timeout),
        model_retries=agent_section.model_retries,
        filesystem=toolkit.filesystem,
        shell=toolkit.shell,
        skills=toolkit.skills,
        memory=tuple(agent_section.memory),
        mcp_tools=tuple(
            tool for tool in mcp_tools.values() if tool.server.name in agent_section.mcp
        ),
        stream=agent_section.stream,
        runtime_mcp=tuple(
            server
            for name, server in servers.items()
            if server.runtime and name in agent_section.mcp
        ),
        context=None
        if agent_section.context is None
        else ContextModel(agent_section.context.max_tokens, agent_section.context.keep_recent),
        conversational=agent_section.conversational,
        idle_timeout=_seconds(agent_section.idle_timeout),
        endpoint=endpoint,
        max_total_tokens=agent_section.max_total_tokens,
        max_cost_usd=None
        if agent_section.max_cost_usd is None
        else float(agent_section.max_cost_usd),
        price=None
        if price is None
        else PriceModel(float(price.input_per_million), float(price.output_per_million)),
        output=None if output is None else _output_model(name, agent_section, output),
    )


def _class_of(reference: str | None) -> str | None:
    return None if reference is None else reference.rpartition(":")[2]


def _output_model(name: str, agent: AgentSection, output: OutputSchema) -> OutputModel:
    # A planning agent answers in one tool_choice="none" call; a plain loop's answer is any
    # reply without tool calls ("auto"), and a re-ask for valid output is "none".
    return OutputModel(
        module=output.module,
        name=output.name,
        alias=class_name(name).removesuffix("Workflow") + "Output",
        response_format=response_format(output.name, output.json_schema, output.strict),
        choices=("none",) if agent.planning else ("auto", "none"),
    )


def build_model(
    definition: Definition,
    signatures: dict[str, ToolSignature],
    definition_file: str,
    project_dir: Path | None = None,
    mcp_configs: dict[str, McpServerConfig] | None = None,
    mcp_found: dict[str, list[ToolInfo]] | None = None,
    outputs: dict[str, OutputSchema] | None = None,
) -> ProjectModel:
    """``signatures`` holds one introspected signature per tool name used by some agent;
    ``project_dir`` (default: the working directory) is where skill folders are read;
    ``mcp_configs`` the servers some agent uses, ``mcp_found`` their build-time tools,
    ``outputs`` the introspected output models by agent name."""
    servers, mcp_tools = mcp_servers(mcp_configs or {}, mcp_found or {})
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
            local=section.local,
            approval=section.approval,
            approval_timeout=(
                None if section.approval_timeout is None else _seconds(section.approval_timeout)
            ),
            approval_default=section.approval_default,
        )
    agents: list[AgentModel] = []
    builtins: dict[str, BuiltinToolModel] = {}
    for name, agent_section in definition.agents.items():
        toolkit = agent_toolkit(definition, agent_section, project_dir or Path("."))
        builtins.update({tool.name: tool for tool in toolkit.builtins})
        output = (outputs or {}).get(name)
        agents.append(
            _agent_model(
                name, agent_section, tools, definition, toolkit, mcp_tools, servers, output
            )
        )
    project = definition.project
    return ProjectModel(
        package=project.package,
        task_queue=project.task_queue or project.package.replace("_", "-"),
        description=project.description,
        entry_agent=project.entry_agent or next(iter(definition.agents)),
        definition_file=definition_file,
        agents=tuple(sorted(agents, key=lambda agent: agent.name)),
        tools=tuple(sorted(tools.values(), key=lambda tool: tool.name)),
        builtin_tools=tuple(builtins[name] for name in sorted(builtins)),
        mcp_servers=tuple(servers.values()),
        mcp_tools=tuple(mcp_tools.values()),
        search_attributes=project.search_attributes,
    )
