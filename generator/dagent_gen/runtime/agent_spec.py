"""The model settings of one agent, as the generated ``agents.py`` declares them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .structured_output import OutputSpec


@dataclass(frozen=True)
class AgentSpec:
    """Model settings of one agent. API keys are named here, never stored: the worker reads them.

    The endpoint is the agent's own ``base_url``, else the worker's ``base_url_env`` variable,
    else the provider's ``default_base_url``; the defaults are the ``openai`` provider's.
    ``api_key_env`` ``None``: the endpoint needs no key.
    """

    name: str
    model: str
    tools: tuple[dict[str, Any], ...]
    base_url: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    temperature: float | None = None
    max_tokens: int | None = None
    base_url_env: str | None = "OPENAI_BASE_URL"
    default_base_url: str | None = "https://api.openai.com/v1"
    output: OutputSpec | None = None  # the final answer's model (structured output)
    stream: bool = False  # stream the completion, publishing its text as heartbeat details
