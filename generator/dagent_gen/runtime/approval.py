"""Human approval of tool calls: the workflow's book of pending requests and decisions.

A tool with ``approval = true`` runs only after a ``decide`` update approves (or edits) its
call; ``pending_approvals`` lists what waits. Everything here runs inside workflows (no I/O,
no clock: the workflow passes ``workflow.now()`` in), and the update validator calls
``check``, so a bad decision is refused to its caller and never enters history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pydantic

from .messages import DECISIONS
from .messages import ApprovalDecision
from .messages import ApprovalRequest
from .messages import Decision
from .messages import ToolCall
from .tool_support import validate_arguments


@dataclass(frozen=True)
class ApprovalPolicy:
    """How one tool is approved: its argument validator, and what a timeout decides."""

    arguments: pydantic.TypeAdapter[Any]  # the tool activity's own validator (``ARGUMENTS``)
    timeout: timedelta | None = None  # None: wait as long as the run lives
    default: Decision = "reject"  # the decision when ``timeout`` expires


class Approvals:
    """Pending requests by id (the tool call id), and the decisions taken on them."""

    def __init__(self, policies: dict[str, ApprovalPolicy]) -> None:
        self.policies = policies
        self.pending: dict[str, ApprovalRequest] = {}
        self.decisions: dict[str, ApprovalDecision] = {}
        self.timed_out: set[str] = set()

    def ask(self, call: ToolCall, arguments: dict[str, Any], now: str) -> None:
        self.pending[call.id] = ApprovalRequest(call.id, call.name, arguments, now)

    def check(self, decision: ApprovalDecision) -> None:
        """Refuse a decision that cannot apply (raises ``ValueError``; the update is rejected)."""
        if decision.id in self.decisions:
            taken = "by its timeout" if decision.id in self.timed_out else "already"
            raise ValueError(f"approval {decision.id!r} was decided {taken}")
        request = self.pending.get(decision.id)
        if request is None:
            known = ", ".join(sorted(self.pending)) or "none"
            raise ValueError(f"no pending approval {decision.id!r} (pending: {known})")
        if decision.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
        if decision.decision != "edit":
            if decision.arguments is not None:
                raise ValueError("arguments go with decision 'edit' only")
            return
        if decision.arguments is None:
            raise ValueError("an edit needs the new arguments, a JSON object")
        if not isinstance(decision.arguments, dict):
            raise TypeError("an edit's arguments must be a JSON object")
        policy = self.policies[request.tool]
        validate_arguments(request.tool, policy.arguments, decision.arguments)

    def decide(self, decision: ApprovalDecision) -> str:
        self.pending.pop(decision.id, None)
        self.decisions[decision.id] = decision
        return f"{decision.decision}: {decision.id}"

    def is_decided(self, call_id: str) -> bool:
        return call_id in self.decisions

    def expire(self, call_id: str, timeout: timedelta, default: Decision) -> None:
        """No decision within ``timeout``: ``default`` applies, and the model is told so."""
        self.timed_out.add(call_id)
        note = f"No decision within {_duration(timeout)}; {default} by default."
        self.decide(ApprovalDecision(id=call_id, decision=default, message=note))

    def outcome(self, call: ToolCall) -> tuple[ToolCall | None, str]:
        """The call to run (None: rejected) and the note the model sees before its result."""
        decision = self.decisions[call.id]
        by = "" if call.id in self.timed_out else "The user"
        if decision.decision == "reject":
            if by:
                reason = f": {decision.message}" if decision.message else "."
                return None, f"The user rejected this call{reason}"
            return None, f"The call was not run. {decision.message}"
        if decision.decision == "edit" and decision.arguments is not None:
            edited = json.dumps(decision.arguments, ensure_ascii=False, sort_keys=True)
            note = f"Approved with edited arguments: {edited}"
            if decision.message:
                note += f"\n{by} said: {decision.message}"
            return replace(call, arguments=edited), note + "\n"
        if decision.message:
            said = f"Approved. {by} said: {decision.message}" if by else decision.message
            return call, said + "\n"
        return call, ""


def _duration(timeout: timedelta) -> str:
    seconds = int(timeout.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{timeout.total_seconds():g}s"
