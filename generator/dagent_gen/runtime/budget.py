"""Usage, cost and budget of an agent run, sub-agents included.

Each workflow module declares its agent's ``BUDGET``: the price of its model (for the cost) and
the run's limits. The loop charges every model reply with ``charge``, adds each sub-agent's
output with ``add_child_usage`` and calls ``check`` around its model calls: once the run's
tokens or cost reach a limit, ``check`` raises ``BudgetExhausted`` and the workflow ends the run
with ``stop_reason = "budget"`` and the latest answer, without another (paid) model call.

Pure and deterministic (no I/O, no clock): workflow code runs it, and replays run it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import AgentOutput
from .messages import Usage


class BudgetExhausted(Exception):
    """The run's token or cost budget is used up (raised by ``Budget.check``)."""


@dataclass(frozen=True)
class Price:
    """What a model costs, in USD per million tokens."""

    input_per_million: float = 0.0
    output_per_million: float = 0.0

    def cost(self, usage: Usage) -> float:
        """The cost of ``usage``'s prompt and completion tokens."""
        return (
            usage.prompt_tokens * self.input_per_million
            + usage.completion_tokens * self.output_per_million
        ) / 1_000_000


@dataclass(frozen=True)
class Budget:
    """One agent's price and its run's limits, sub-agents included; each is optional.

    ``max_total_tokens`` counts total tokens (prompt + completion); ``max_cost_usd`` the cost
    of the calls whose model has a price.
    """

    max_total_tokens: int | None = None
    max_cost_usd: float | None = None
    price: Price | None = None

    def charge(self, total: Usage, by_agent: dict[str, Usage], agent: str, call: Usage) -> None:
        """Add one model call of ``agent`` (priced when a price is set) to the run's usage."""
        priced = Usage(
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            total_tokens=call.total_tokens or call.prompt_tokens + call.completion_tokens,
            cost_usd=self.price.cost(call) if self.price is not None else call.cost_usd,
        )
        total.add(priced)
        by_agent.setdefault(agent, Usage()).add(priced)

    def exhausted(self, usage: Usage) -> str | None:
        """Which limit ``usage`` has reached, in words; ``None`` while within budget."""
        if self.max_total_tokens is not None and usage.total_tokens >= self.max_total_tokens:
            return f"{usage.total_tokens} of {self.max_total_tokens} tokens used"
        if self.max_cost_usd is not None and usage.cost_usd >= self.max_cost_usd:
            return f"${usage.cost_usd:.6f} of ${self.max_cost_usd} spent"
        return None

    def check(self, usage: Usage) -> None:
        """Raise ``BudgetExhausted`` once ``usage`` has reached a limit."""
        reached = self.exhausted(usage)
        if reached is not None:
            raise BudgetExhausted(reached)


def add_child_usage(
    total: Usage, by_agent: dict[str, Usage], name: str, output: AgentOutput
) -> None:
    """Add a sub-agent run's usage (and its own sub-agents') to the parent run's usage.

    An output without ``usage_by_agent`` (a sub-agent of older generated code) counts as
    ``name``'s own.
    """
    total.add(output.usage)
    parts = output.usage_by_agent or {name: output.usage}
    for agent, usage in parts.items():
        by_agent.setdefault(agent, Usage()).add(usage)
