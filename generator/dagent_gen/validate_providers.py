"""The checks of an agent's provider, its prices and its budgets (beside ``validate.py``)."""

from __future__ import annotations

import math
from typing import Any

from dagent_gen.codes import Code
from dagent_gen.definition import AgentSection, Definition
from dagent_gen.load import KeyPath
from dagent_gen.providers import PROVIDERS, suggestion


def check_model(add: Any, agent: AgentSection, path: KeyPath) -> None:
    """``model`` names a known provider; ``openai-compatible`` comes with a ``base_url``."""
    provider, _, model = agent.model.partition(":")
    if not model:
        add(
            Code.INVALID_MODEL,
            f"model {agent.model!r} does not name its provider",
            (*path, "model"),
            f'write it as provider:model, e.g. "openai:{agent.model or "gpt-4o-mini"}"',
        )
    elif provider not in PROVIDERS:
        add(
            Code.INVALID_MODEL,
            model_problem(provider, agent.model),
            (*path, "model"),
            provider_hint(provider),
        )
    elif PROVIDERS[provider].base_url is None and agent.base_url is None:
        add(
            Code.INVALID_MODEL,
            f"model {agent.model!r}: the {provider} provider needs the agent's base_url",
            (*path, "model"),
            'add base_url = "http://HOST:PORT/v1" (and api_key_env if the server wants a key)',
        )


def model_problem(provider: str, model: str) -> str:
    return f"model {model!r}: unknown provider {provider!r} (supported: {', '.join(PROVIDERS)})"


def provider_hint(provider: str) -> str:
    close = suggestion(provider)
    if close is not None:
        return f"did you mean {close!r}?"
    return (
        'for another OpenAI-compatible server use model = "openai-compatible:MODEL" with '
        "base_url (and api_key_env)"
    )


def check_prices(add: Any, definition: Definition) -> None:
    """Each ``[project.prices]`` key is a ``provider:model`` of a known provider."""
    for name in definition.project.prices:
        provider, _, model = name.partition(":")
        path: KeyPath = ("project", "prices", name)
        if not model:
            add(
                Code.INVALID_MODEL,
                f"price {name!r} does not name its provider",
                path,
                f'key prices by the agents\' model, e.g. "openai:{name or "gpt-4o"}"',
            )
        elif provider not in PROVIDERS:
            add(
                Code.INVALID_MODEL,
                f"price {name!r}: unknown provider",
                path,
                provider_hint(provider),
            )


def check_budget(add: Any, definition: Definition, agent: AgentSection, path: KeyPath) -> None:
    """``max_cost_usd`` > 0 (``max_total_tokens`` has its range in its declaration), with a price for every model the run
    may use (the agent's and its sub-agents', transitively)."""
    cost = agent.max_cost_usd
    if cost is None:
        return
    if not (math.isfinite(cost) and cost > 0):
        add(
            Code.INVALID_VALUE,
            f"max_cost_usd must be a positive number of dollars, not {cost}",
            (*path, "max_cost_usd"),
        )
        return
    unpriced = [
        model for model in _models(definition, agent) if model not in definition.project.prices
    ]
    if unpriced:
        add(
            Code.INVALID_VALUE,
            f"max_cost_usd needs a price for every model the run may use; none for "
            f"{', '.join(repr(model) for model in unpriced)}",
            (*path, "max_cost_usd"),
            f'add [project.prices."{unpriced[0]}"] with input_per_million and '
            "output_per_million (USD)",
        )


def _models(definition: Definition, agent: AgentSection) -> list[str]:
    """The models of ``agent`` and every agent it may delegate to, each once, in order."""
    models: list[str] = []
    seen: set[int] = set()
    pending = [agent]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue  # a cycle (reported elsewhere)
        seen.add(id(current))
        if current.model not in models:
            models.append(current.model)
        pending += [definition.agents[sub] for sub in current.subagents if sub in definition.agents]
    return models
