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

from typing import Any

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


class AgentFields(_Strict):
    """The option keys of ``[agents.NAME]``; ``tools`` and ``subagents`` are typed per form."""

    description: str = key(
        "",
        "string",
        "Docstrings, and the description of the delegation tool when this agent is a sub-agent.",
    )
    model: str = key(
        DEFAULT_MODEL,
        '`"provider:model"`',
        "Provider and model. The provider is `openai`, which covers every OpenAI-compatible "
        "endpoint (Ollama, vLLM, LiteLLM) through `base_url`.",
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
        "OpenAI-compatible endpoint for this agent (overrides `OPENAI_BASE_URL`).",
    )
    api_key_env: str = key(
        "OPENAI_API_KEY",
        "string",
        "Name of the environment variable **on the worker** that holds the API key. The key "
        "itself never appears in the definition, the generated code, workflow input or history.",
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


class ToolSection(ToolFields):
    """``[tools.NAME]``: one tool, generated as one activity."""

    function: str = Field(
        description="The Python function, importable from the project folder. Sync functions "
        "run in the worker's thread pool; async ones on its event loop.",
        json_schema_extra={"kind": '`"module:function"`, **required**'},
    )


class Definition(_Strict):
    """A whole definition file."""

    project: ProjectSection
    agents: dict[str, AgentSection] = Field(default_factory=dict)
    tools: dict[str, ToolSection] = Field(default_factory=dict)
