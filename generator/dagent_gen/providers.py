"""The model providers an agent's ``model = "provider:model"`` may name: the one table.

Every provider is reached through its OpenAI-compatible Chat Completions endpoint, so the
generated code has one client for all of them; the build resolves the prefix into an endpoint,
the environment variable that may override it on the worker and the variable that holds the API
key (``AgentSpec`` in the generated ``agents.py``). docs/providers.md's table is generated from
``PROVIDERS``: ``uv run python -m dagent_gen.providers docs/providers.md`` (a test fails while it
is stale).
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

NO_KEY = "no-key"
"""The API key sent to an endpoint that needs none (the client requires one); the generated
runtime (``llm.py``) repeats it."""


@dataclass(frozen=True)
class Provider:
    """One ``provider:`` prefix."""

    name: str
    base_url: str | None
    """The endpoint; ``None``: the agent must set ``base_url``."""
    api_key_env: str | None
    """The worker's variable holding the key; ``None``: no key (``NO_KEY`` is sent)."""
    base_url_env: str | None
    """The worker's variable that overrides ``base_url`` (the agent's own ``base_url`` wins)."""
    note: str = ""


PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        Provider(
            "openai",
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "The default.",
        ),
        Provider(
            "anthropic",
            "https://api.anthropic.com/v1/",
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_BASE_URL",
            "Anthropic's OpenAI SDK compatibility layer.",
        ),
        Provider(
            "gemini",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "GEMINI_API_KEY",
            "GEMINI_BASE_URL",
            "Google's OpenAI-compatible Gemini API.",
        ),
        Provider(
            "ollama",
            "http://localhost:11434/v1",
            None,
            "OLLAMA_BASE_URL",
            "A local Ollama; no key (set `api_key_env` for a server behind one).",
        ),
        Provider(
            "openrouter",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            "OPENROUTER_BASE_URL",
            'Model names keep their own slashes and colons: `"openrouter:meta-llama/llama-3.1-8b-instruct"`.',
        ),
        Provider(
            "groq",
            "https://api.groq.com/openai/v1",
            "GROQ_API_KEY",
            "GROQ_BASE_URL",
            "Groq's OpenAI-compatible API.",
        ),
        Provider(
            "openai-compatible",
            None,
            None,
            None,
            "Any other OpenAI-compatible server (vLLM, LiteLLM, LM Studio, …): `base_url` is "
            "required; no key unless `api_key_env` names one.",
        ),
    )
}


@dataclass(frozen=True)
class Endpoint:
    """Where one agent's model calls go, as the generated ``AgentSpec`` declares it."""

    model: str
    """The model name sent to the API (the part after the first colon)."""
    base_url: str | None
    """The agent's own ``base_url``: wins over ``base_url_env``."""
    default_base_url: str | None
    """The provider's endpoint, used when neither ``base_url`` nor ``base_url_env`` is set."""
    base_url_env: str | None
    api_key_env: str | None


def resolve(model: str, base_url: str | None, api_key_env: str | None) -> Endpoint:
    """The endpoint of an agent whose (validated) keys are ``model``, ``base_url`` and
    ``api_key_env`` (each of the last two ``None`` when unset)."""
    prefix, _, name = model.partition(":")
    provider = PROVIDERS[prefix]
    return Endpoint(
        model=name,
        base_url=base_url,
        default_base_url=provider.base_url,
        base_url_env=provider.base_url_env,
        api_key_env=api_key_env if api_key_env is not None else provider.api_key_env,
    )


def suggestion(prefix: str) -> str | None:
    """The known provider closest to a misspelt ``prefix``, if one is close."""
    close = difflib.get_close_matches(prefix.lower(), list(PROVIDERS), n=1, cutoff=0.7)
    return close[0] if close else None


def table() -> str:
    """docs/providers.md's table, one row per provider."""
    rows = [
        "| prefix | endpoint | API key variable | endpoint override variable | notes |",
        "|---|---|---|---|---|",
    ]
    for provider in PROVIDERS.values():
        endpoint = f"`{provider.base_url}`" if provider.base_url else "`base_url` (required)"
        key = f"`{provider.api_key_env}`" if provider.api_key_env else "none"
        override = f"`{provider.base_url_env}`" if provider.base_url_env else "—"
        rows.append(f"| `{provider.name}:` | {endpoint} | {key} | {override} | {provider.note} |")
    return "\n".join(rows) + "\n"


_BLOCK = re.compile(r"(<!-- providers -->\n).*?(<!-- /providers -->)", re.DOTALL)


def with_table(text: str) -> str:
    """``text`` (docs/providers.md) with its table regenerated."""
    return _BLOCK.sub(lambda match: match.group(1) + table() + match.group(2), text)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
