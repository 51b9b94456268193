"""The workflow's approval book: which decisions the ``decide`` validator refuses, and what the
model is told about each outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError

from dagent_gen.runtime.approval import ApprovalPolicy, Approvals
from dagent_gen.runtime.messages import ApprovalDecision, ToolCall
from dagent_gen.runtime.tool_support import arguments_adapter


def send(to: str, subject: str = "hello", copies: int = 1) -> str:
    return f"{to} {subject} {copies}"


def book(*ids: str) -> tuple[Approvals, dict[str, ToolCall]]:
    approvals = Approvals({"send": ApprovalPolicy(arguments_adapter(send))})
    calls = {}
    for call_id in ids:
        calls[call_id] = ToolCall(id=call_id, name="send", arguments='{"to": "ann"}')
        approvals.ask(calls[call_id], {"to": "ann"}, "2026-01-01T00:00:00+00:00")
    return approvals, calls


def test_pending_requests_are_listed_in_order_until_decided() -> None:
    approvals, _ = book("a", "b")
    assert [(r.id, r.tool, r.arguments) for r in approvals.pending.values()] == [
        ("a", "send", {"to": "ann"}),
        ("b", "send", {"to": "ann"}),
    ]
    approvals.decide(ApprovalDecision(id="a", decision="approve"))
    assert list(approvals.pending) == ["b"] and approvals.is_decided("a")


@pytest.mark.parametrize(
    ("decision", "problem"),
    [
        (ApprovalDecision(id="x", decision="approve"), "no pending approval 'x'"),
        (ApprovalDecision(id="a", decision="edit"), "needs the new arguments"),
        (ApprovalDecision(id="a", decision="reject", arguments={}), "with decision 'edit' only"),
        (ApprovalDecision(id="a", decision="maybe"), "decision must be one of"),  # type: ignore[arg-type]
    ],
)
def test_decisions_that_cannot_apply_are_refused(decision: ApprovalDecision, problem: str) -> None:
    approvals, _ = book("a")
    with pytest.raises(ValueError, match=problem):
        approvals.check(decision)


@pytest.mark.parametrize(
    "arguments",
    [{"subject": "no recipient"}, {"to": "ann", "bcc": "eve"}, {"to": "ann", "copies": "many"}],
)
def test_edited_arguments_must_fit_the_tools_signature(arguments: dict[str, object]) -> None:
    approvals, _ = book("a")
    with pytest.raises(ApplicationError, match="invalid arguments for tool 'send'"):
        approvals.check(ApprovalDecision(id="a", decision="edit", arguments=arguments))
    approvals.check(ApprovalDecision(id="a", decision="edit", arguments={"to": "bob"}))


def test_a_second_decision_is_refused_and_says_who_took_the_first() -> None:
    approvals, _ = book("a", "b")
    approvals.decide(ApprovalDecision(id="a", decision="reject"))
    with pytest.raises(ValueError, match="'a' was decided already"):
        approvals.check(ApprovalDecision(id="a", decision="approve"))
    approvals.expire("b", timedelta(hours=1), "reject")
    with pytest.raises(ValueError, match="'b' was decided by its timeout"):
        approvals.check(ApprovalDecision(id="b", decision="approve"))


def test_the_model_is_told_what_happened() -> None:
    approvals, calls = book("a", "b", "c", "d", "e", "f")
    approvals.decide(ApprovalDecision(id="a", decision="approve"))
    approvals.decide(ApprovalDecision(id="b", decision="edit", arguments={"to": "bob"}))
    approvals.decide(ApprovalDecision(id="c", decision="reject", message="not today"))
    approvals.decide(ApprovalDecision(id="d", decision="reject"))
    approvals.expire("e", timedelta(minutes=90), "approve")
    approvals.expire("f", timedelta(seconds=2.5), "reject")
    assert approvals.outcome(calls["a"]) == (calls["a"], "")
    edited, note = approvals.outcome(calls["b"])
    assert edited is not None and edited.arguments == '{"to": "bob"}'
    assert note == 'Approved with edited arguments: {"to": "bob"}\n'
    assert approvals.outcome(calls["c"]) == (None, "The user rejected this call: not today")
    assert approvals.outcome(calls["d"]) == (None, "The user rejected this call.")
    assert approvals.outcome(calls["e"]) == (
        calls["e"],
        "No decision within 90m; approve by default.\n",
    )
    assert approvals.outcome(calls["f"]) == (
        None,
        "The call was not run. No decision within 2.5s; reject by default.",
    )
