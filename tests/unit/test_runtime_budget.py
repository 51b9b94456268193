"""The runtime's usage, cost and budget arithmetic (``runtime/budget.py``)."""

from __future__ import annotations

import pytest

from dagent_gen.runtime.budget import Budget, BudgetExhausted, Price, add_child_usage
from dagent_gen.runtime.messages import AgentOutput, Usage


def test_a_price_costs_prompt_and_completion_tokens_per_million() -> None:
    price = Price(input_per_million=2.5, output_per_million=10)
    assert price.cost(Usage(prompt_tokens=1_000_000, completion_tokens=0)) == 2.5
    assert price.cost(Usage(prompt_tokens=2_000, completion_tokens=500)) == pytest.approx(0.01)


def test_charge_adds_a_priced_call_to_the_total_and_to_its_agent() -> None:
    budget = Budget(price=Price(input_per_million=1, output_per_million=2))
    total, by_agent = Usage(), dict[str, Usage]()
    budget.charge(total, by_agent, "main", Usage(250_000, 125_000, 375_000))
    budget.charge(total, by_agent, "main", Usage(250_000, 0, 0))  # no total reported: summed
    assert total == Usage(500_000, 125_000, 625_000, cost_usd=0.75)
    assert by_agent == {"main": total}
    assert by_agent["main"] is not total


def test_charge_without_a_price_counts_tokens_only() -> None:
    total, by_agent = Usage(), dict[str, Usage]()
    Budget().charge(total, by_agent, "main", Usage(10, 5, 15))
    assert total == Usage(10, 5, 15, cost_usd=0.0)


def test_child_usage_adds_into_the_parent_per_agent() -> None:
    total = Usage(10, 5, 15, 0.5)
    by_agent = {"lead": Usage(10, 5, 15, 0.5)}
    child = AgentOutput(
        answer="x",
        usage=Usage(30, 10, 40, 0.25),
        usage_by_agent={"helper": Usage(20, 5, 25, 0.125), "leaf": Usage(10, 5, 15, 0.125)},
    )
    add_child_usage(total, by_agent, "helper", child)
    add_child_usage(total, by_agent, "helper", child)  # a second run of the same sub-agent
    assert total == Usage(70, 25, 95, 1.0)
    assert by_agent == {
        "lead": Usage(10, 5, 15, 0.5),
        "helper": Usage(40, 10, 50, 0.25),
        "leaf": Usage(20, 10, 30, 0.25),
    }
    assert by_agent["helper"] is not child.usage_by_agent["helper"]  # child's output unchanged
    assert child.usage_by_agent["helper"] == Usage(20, 5, 25, 0.125)


def test_an_older_childs_output_counts_as_its_own() -> None:
    total, by_agent = Usage(), dict[str, Usage]()
    add_child_usage(total, by_agent, "helper", AgentOutput(answer="x", usage=Usage(1, 2, 3)))
    assert by_agent == {"helper": Usage(1, 2, 3)}


@pytest.mark.parametrize(
    ("budget", "usage", "reached"),
    [
        (Budget(), Usage(10**9, 10**9, 2 * 10**9, 10**6), None),
        (Budget(max_total_tokens=100), Usage(60, 39, 99), None),
        (Budget(max_total_tokens=100), Usage(60, 40, 100), "100 of 100 tokens used"),
        (Budget(max_cost_usd=0.5), Usage(cost_usd=0.4999), None),
        (Budget(max_cost_usd=0.5), Usage(cost_usd=0.75), "$0.750000 of $0.5 spent"),
    ],
)
def test_check_raises_once_a_limit_is_reached(
    budget: Budget, usage: Usage, reached: str | None
) -> None:
    assert budget.exhausted(usage) == reached
    if reached is None:
        budget.check(usage)
    else:
        with pytest.raises(BudgetExhausted, match=reached.replace("$", r"\$")):
            budget.check(usage)
