# ruff: noqa: RUF001  (the docs write ranges with an en dash, e.g. 1s to 24h)
"""The agent definition as written by the user: the schema of ``dagent.toml``, and the one
declaration of every definition key.

These models mirror the file one to one (``extra="forbid"``: an unknown key is an error). The
option fields live in ``ProjectFields``/``AgentFields``/``ToolFields``; the file sections and
the Python form (``api.py``) both inherit them, so a key, its type, its default and its
documentation are written once, here. The Python form is converted to the same shape before
validation, so both forms go through one validator. Cross-references (tools, sub-agents,
cycles) are checked in ``validate.py``; the resolved, ready-to-render form lives in
``model.py``. docs/definition.md's key tables are generated from these fields (``key_table``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

DEFAULT_MODEL = "openai:gpt-4o-mini"


def key(
    default: Any, kind: str, meaning: str, *, shown: str | None = None, **constraints: Any
) -> Any:
    """A definition key: its default, its type as the docs name it, and what it means.

    ``shown`` replaces the default in the docs when it is computed (e.g. "the first agent");
    ``constraints`` are pydantic's (``ge=0, le=1``), reported as DG202 by ``schema_errors``.
    Typed ``Any`` so that type checkers read the call as a default, as they read ``= 20``.
    """
    extra: JsonDict = {"kind": kind, "shown": shown} if shown else {"kind": kind}
    if isinstance(default, list):
        return Field(
            default_factory=list, description=meaning, json_schema_extra=extra, **constraints
        )
    return Field(default, description=meaning, json_schema_extra=extra, **constraints)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PriceSection(_Strict):
    """``[project.prices."provider:model"]``: what one model costs, in USD."""

    input_per_million: float | int = key(0, "number, ≥ 0", "USD per million prompt tokens.", ge=0)
    output_per_million: float | int = key(
        0, "number, ≥ 0", "USD per million completion tokens.", ge=0
    )


class ProjectFields(_Strict):
    """The keys of ``[project]``."""

    package: str = Field(
        kw_only=False,  # Project("name", ...) in dagent.py
        description="Python package the code is generated into (a folder of that name next to "
        "the definition). An ASCII identifier of at most 64 characters, not a keyword, not a "
        "standard-library module (`json`, `typing`, …) and not a module the generated code "
        "imports (`temporalio`, `openai`, `pydantic`, …): such a package would hide that "
        "module. No tool module may have the package's name either.",
        json_schema_extra={"kind": "string, **required**"},
    )
    task_queue: str | None = key(
        None,
        "string",
        "Temporal task queue of the worker and the client.",
        shown="`package` with `_` → `-`",
    )
    description: str = key("", "string", "Goes into the package docstring and README.")
    entry_agent: str | None = key(
        None,
        "string",
        "The agent `python -m <package>.client` runs when `--agent` is not given.",
        shown="the first agent",
    )
    search_attributes: bool = key(
        False,
        "bool",
        "Each run upserts the search attributes `DagentAgent` (the agent's name) and "
        "`DagentStatus` (`running`, `waiting_approval`, `done`, `max_steps`, `cancelled`). "
        "They must be registered in the namespace first, else every run fails its workflow "
        "task (see [observability.md](observability.md)).",
    )
    prices: dict[str, PriceSection] = Field(
        default_factory=dict,
        description='Prices per model, keyed `"provider:model"` like an agent\'s `model` '
        "(see below): runs report their cost (`usage.cost_usd`) and `max_cost_usd` can "
        "end them.",
        json_schema_extra={"kind": "table of tables"},
    )


class FilesystemSection(_Strict):
    """``[agents.NAME.filesystem]``: the built-in filesystem tools of one agent."""

    root: str = key(
        ".", "path", "Folder the tools may not leave, relative to the worker's working directory."
    )
    tools: list[str] | None = key(
        None,
        "list of tool names",
        "The tools offered: a subset of ls, read_file, write_file, edit_file, glob, grep.",
        shown="all (without write_file and edit_file when read_only)",
    )
    read_only: bool = key(False, "bool", "Offer no write_file / edit_file, and refuse writes.")
    max_output_chars: int = key(20_000, "int", "The most characters one tool result returns.")


class ShellSection(_Strict):
    """``[agents.NAME.shell]``: the built-in ``execute(command)`` tool of one agent."""

    root: str = key(".", "path", "Working directory of every command, relative to the worker's.")
    timeout: str | int | float = key("120s", "duration, 1s–1h", "How long one command may run.")
    max_output_chars: int = key(20_000, "int", "Output cap (head and tail kept).")
    env: list[str] = key(
        [], "list of names", "Worker environment variables passed through to commands."
    )
    allow: list[str] | None = key(
        None, "list of program names", "Programs a command may start.", shown="any"
    )


class ContextSection(_Strict):
    """``[agents.NAME.context]``: summarise older turns when the conversation grows too long."""

    max_tokens: int = key(
        100_000,
        "int, 1,000–10,000,000",
        "The conversation's token budget: before a model call whose prompt would reach it "
        "(the tokens the model reported for the last call, plus about one per four characters "
        "added since), the older turns are replaced by a summary the model writes.",
        ge=1_000,
        le=10_000_000,
    )
    keep_recent: int = key(
        20,
        "int, 0–1,000",
        "Latest messages kept word for word (a tool call is never separated from its "
        "answers); the system message and the task are always kept.",
        ge=0,
        le=1_000,
    )


class SkillSection(_Strict):
    """``[skills.NAME]``: a bundle of a system-prompt fragment and tools, attachable to agents."""

    description: str = key("", "string", "What the skill is for.")
    prompt: str = key("", "string", "Text added to the agent's system prompt.")
    tools: list[str] = key([], "list of tool names", "Tools (`[tools.NAME]`) the skill gives.")


class AgentFields(_Strict):
    """The option keys of ``[agents.NAME]``; ``tools``, ``subagents`` and ``output`` are typed
    per form."""

    description: str = key(
        "",
        "string",
        "Docstrings, and the description of the delegation tool when this agent is a sub-agent.",
    )
    model: str = key(
        DEFAULT_MODEL,
        '`"provider:model"`',
        'Provider and model, e.g. `"anthropic:claude-sonnet-4-5"`. Providers: `openai`, '
        "`anthropic`, `gemini`, `ollama`, `openrouter`, `groq` and `openai-compatible` (needs "
        "`base_url`); each is reached through its OpenAI-compatible endpoint (see "
        "[providers.md](providers.md)).",
    )
    system_prompt: str = key("", "string", "The system message.")
    max_steps: int = key(
        20,
        "int, ≤ 10,000",
        "Maximum model calls of one run, the final answer included (≥ 3 with planning, ≥ 1 "
        "without). A long run continues as new (see `max_history_events`), so history stays "
        "bounded; the cap bounds cost and a conversation that only grows.",
    )
    max_history_events: int = key(
        8_000,
        "int, 1,000–9,000",
        "Between two steps, a run whose history has this many events continues as new "
        "(also when the server suggests it), carrying the conversation, plan and counters. "
        "Keeps every run under Temporal's 10,240-event warning.",
    )
    planning: bool = key(
        True, "bool", "Plan → work through todos → answer. `false`: a plain tool loop."
    )
    base_url: str | None = key(
        None,
        "http(s) URL",
        "OpenAI-compatible endpoint for this agent; wins over the provider's endpoint and its "
        "override variable (e.g. `OPENAI_BASE_URL`).",
        shown="the provider's",
    )
    api_key_env: str | None = key(
        None,
        "string",
        "Name of the environment variable **on the worker** that holds the API key. The key "
        "itself never appears in the definition, the generated code, workflow input or history.",
        shown="the provider's (`OPENAI_API_KEY`, …)",
    )
    temperature: float | int | None = key(None, "float, 0–2", "Sent when set.")
    max_tokens: int | None = key(
        None, "int, 1–1,000,000", "Sent as `max_completion_tokens` when set."
    )
    model_timeout: str | int | float = key(
        "120s", "duration, 1s–24h", "`start_to_close_timeout` of each model call."
    )
    model_retries: int = key(
        5,
        "int, 0–100",
        "Retries of a failed model call (HTTP 408/409/429/5xx and connection errors); other "
        "4xx are not retried.",
    )

    filesystem: FilesystemSection | None = key(
        None,
        "table",
        "Built-in filesystem tools (ls, read_file, …) confined to a root folder; see below.",
    )
    shell: ShellSection | None = key(
        None, "table", "The built-in shell tool `execute(command)`; opt-in; see below."
    )
    skills: list[str] = key(
        [],
        "list",
        'Skill bundle names (`[skills.NAME]`) and skill folders (`"skills/"`, with a `/`).',
    )
    memory: list[str] = key(
        [],
        "list of paths",
        "Files (relative to the filesystem root) added to the system prompt when a run starts.",
    )
    context: ContextSection | None = key(
        None,
        "table",
        "Context management, opt-in: summarise older turns near a token budget; see below.",
    )
    conversational: bool = key(
        False,
        "bool",
        "After an answer the run waits for the next message (the `send_message` update) and "
        "answers it too, keeping the conversation, until the `end` update or `idle_timeout`; "
        "see [steering.md](steering.md).",
    )
    idle_timeout: str | int | float = key(
        "1h",
        "duration, 1s–24h",
        "How long a conversational run waits for the next message before it completes with "
        "its last answer. Needs `conversational = true`.",
    )
    max_total_tokens: int | None = key(
        None,
        "int, 1–10¹²",
        "Token budget of one run, sub-agents included: once the run's total tokens reach it, "
        'the run ends with `stop_reason = "budget"` (see '
        "[usage-and-budgets.md](usage-and-budgets.md)). Not `max_tokens`, which caps one reply.",
        shown="none",
        ge=1,
        le=1_000_000_000_000,
    )
    max_cost_usd: float | int | None = key(
        None,
        "number, > 0",
        "Cost budget of one run in USD, sub-agents included, priced with `[project.prices]` "
        "(every model the run may use needs a price); ends the run like `max_total_tokens`.",
        shown="none",
    )
    stream: bool = key(
        False,
        "bool",
        "Stream each model reply: the text so far is published as the model activity's "
        "heartbeat details (not in history), which `client --follow` and `dagent-gen run` "
        "print as it arrives. Heartbeats are billable actions on Temporal Cloud; see "
        "[streaming.md](streaming.md).",
    )


class ToolFields(_Strict):
    """The option keys of ``[tools.NAME]``; ``function`` is typed per form."""

    description: str | None = key(
        None,
        "string",
        "Overrides the docstring summary as the tool description.",
        shown="docstring",
    )
    timeout: str | int | float = key(
        "60s", "duration, 1s–24h", "`start_to_close_timeout` of each call."
    )
    retries: int = key(
        3,
        "int, 0–100",
        "Retries when the function raises (attempts = retries + 1). After the last attempt the "
        "error becomes an observation for the model. Invalid arguments are never retried.",
    )
    non_retryable_errors: list[str] = key(
        [],
        "list of exception class names",
        'Exceptions not worth retrying (e.g. `["KeyError", "ValueError"]`): the model sees '
        "the error at once. Becomes the activity's `RetryPolicy.non_retryable_error_types`.",
    )
    max_output_chars: int = key(
        20_000,
        "int, 100–500,000",
        "Longer results are cut, with a note the model sees. Whatever this limit, a result is "
        "also cut to 1 MB as its payload encodes it (JSON escapes take 6 bytes per CJK "
        "character, 12 per emoji), so it never reaches Temporal's 2 MB payload limit.",
    )
    local: bool = key(
        False,
        "bool",
        "Run the tool as a Temporal *local activity*, inside the workflow's worker, instead of "
        "through the task queue: no queue round trip per call, but the result is recorded as a "
        "marker, retries run inside the workflow task, and the call is not an activity in the "
        "UI. For quick tools only (a few seconds); see the trade-offs below the table.",
    )
    approval: bool = key(
        False,
        "bool",
        "A human approves, edits or rejects each call before it runs; the run waits durably "
        "(see [approval.md](approval.md)).",
    )
    approval_timeout: str | int | float | None = key(
        None,
        "duration, 1s–30d",
        "How long a call waits for a decision before `approval_default` applies. Unset: it "
        "waits for as long as the run lives. Needs `approval = true`.",
        shown="none (wait)",
    )
    approval_default: Literal["approve", "reject"] = key(
        "reject",
        '`"approve"` or `"reject"`',
        "The decision when `approval_timeout` expires; the model is told it was not a human's.",
    )


class ProjectSection(ProjectFields):
    """``[project]``: where and how the code is generated."""


class AgentSection(AgentFields):
    """``[agents.NAME]``: one agent, generated as one workflow class."""

    tools: list[str] = key(
        [], "list of tool names", "Names of `[tools.*]` entries this agent may call."
    )
    subagents: list[str] = key(
        [],
        "list of agent names",
        "Agents this agent may delegate to; each is offered as a function tool named after it "
        "and runs as a child workflow. Cycles are errors.",
    )
    mcp: list[str] = key(
        [],
        "list of MCP server names",
        "Names of `[mcp.*]` servers whose tools this agent may call (see [mcp.md](mcp.md)).",
    )
    output: str | None = key(
        None,
        '`"module:Model"`',
        "A pydantic model (a module-level `BaseModel` class, importable from the project "
        "folder) the final answer must match: it is requested as JSON with that schema, "
        "validated, asked again when invalid, and returned as `output` (see "
        "[structured-output.md](structured-output.md)). In `dagent.py`, the class itself "
        "will do.",
    )


class ToolSection(ToolFields):
    """``[tools.NAME]``: one tool, generated as one activity."""

    function: str = Field(
        description="The Python function, importable from the project folder. Sync functions "
        "run in the worker's thread pool; async ones on its event loop.",
        json_schema_extra={"kind": '`"module:function"`, **required**'},
    )


class McpSection(_Strict):
    """``[mcp.NAME]``: one MCP server (see docs/mcp.md). Mirrors the runtime's
    ``McpServerConfig`` (which cannot import dagent_gen); a unit test keeps the field sets
    equal, and ``validate.py`` checks each section by building that model."""

    command: str | None = key(
        None, "string", "The program that runs a stdio server.", shown="one of `command`/`url`"
    )
    args: list[str] = key([], "list of strings", "Its arguments (no `${VAR}`).")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment of the server process; values may use `${VAR}`, read from "
        "the worker's environment at call time.",
        json_schema_extra={"kind": "table of strings"},
    )
    cwd: str | None = key(None, "string", "Working directory of the server process.")
    url: str | None = key(
        None,
        "http(s) URL",
        "A streamable-HTTP endpoint; may use `${VAR}`.",
        shown="one of `command`/`url`",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="HTTP headers sent with every request; values may use `${VAR}`.",
        json_schema_extra={"kind": "table of strings"},
    )
    tools: list[str] | None = key(
        None,
        "list of glob patterns",
        "Allow-list of the server's tool names the agents may use.",
        shown="all tools",
    )
    deny: list[str] = key([], "list of glob patterns", "Tools never offered; wins over `tools`.")
    prefix: str = key("", "string", "Put before every tool name the model sees.")
    discover: Literal["build", "runtime"] = key(
        "build",
        '`"build"` or `"runtime"`',
        "`build`: `dagent-gen build` lists the tools and records them in the lock; `runtime`: "
        "the workflow lists them when it starts.",
    )
    connect_timeout: float | int = key(
        30, "seconds, ≤ 600", "To start/connect and finish the MCP handshake."
    )
    call_timeout: float | int = key(120, "seconds, ≤ 3600", "For one list or call request.")
    max_output_chars: int = key(
        20_000, "int, 1,000–1,000,000", "Longest result the model sees; longer ones are cut."
    )


class Definition(_Strict):
    """A whole definition file."""

    project: ProjectSection
    agents: dict[str, AgentSection] = Field(default_factory=dict)
    tools: dict[str, ToolSection] = Field(default_factory=dict)
    skills: dict[str, SkillSection] = Field(
        default_factory=dict, description="Skill bundles, attached with agents.NAME.skills."
    )
    mcp: dict[str, McpSection] = Field(default_factory=dict)
