"""The model settings of one agent, as the generated ``agents.py`` declares them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AgentSpec:
    """Model settings of one agent. API keys are named here, never stored: the worker reads them."""

    name: str
    model: str
    tools: tuple[dict[str, Any], ...]
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = False  # stream the completion, publishing its text as heartbeat details
