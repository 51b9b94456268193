"""Live progress of an agent run, read from its workflow history as events arrive.

History is the source of truth (plan, tool calls, sub-agents), so the same view works for a run
started by anyone, and reading it adds nothing to the workflow. For an agent that streams, a
``TextPrinter`` prints each reply's text as it arrives (polled from ``describe``, see
``runtime/text_stream.py``) and, once the call completes, the rest of it from history.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from dagent_gen.loop_vocabulary import WRITE_TODOS
from dagent_gen.runtime.text_stream import TextPrinter

EXCERPT = 100


def _decode(payloads: Payloads) -> Any:
    if not payloads.payloads:
        return None
    try:
        return json.loads(payloads.payloads[0].data)
    except ValueError:
        return None


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


async def follow(
    client: Client,
    workflow_id: str,
    say: Callable[[str], None],
    depth: int = 0,
    printer: TextPrinter | None = None,
) -> None:
    """Print one line per step of the run (and of its sub-agents, indented) until it closes;
    with ``printer``, the text of each model reply instead of its "says" line."""
    pad = "  " * depth
    scheduled: dict[int, str] = {}
    children: list[asyncio.Task[None]] = []
    handle = client.get_workflow_handle(workflow_id)
    run_id = (await handle.describe()).run_id if printer is not None else ""
    activity_ids: dict[int, str] = {}  # scheduled event id -> activity id, of model calls
    try:
        async for event in handle.fetch_history_events(wait_new_event=True):
            line = _describe(event, scheduled)
            if printer is not None and _streamed_reply(event, activity_ids, printer, run_id):
                line = None if line and line.startswith("  says:") else line
            if line:
                say(pad + line)
            if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
                child = event.child_workflow_execution_started_event_attributes
                children.append(
                    asyncio.create_task(
                        follow(client, child.workflow_execution.workflow_id, say, depth + 1)
                    )
                )
            if event.event_type in _CLOSED:
                break
    finally:
        for task in children:
            task.cancel()


_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


def _describe(event: HistoryEvent, scheduled: dict[int, str]) -> str | None:
    kind = event.event_type
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        attrs = event.activity_task_scheduled_event_attributes
        name = attrs.activity_type.name
        scheduled[event.event_id] = name
        if name == "call_model":
            request = _decode(attrs.input) or {}
            step = sum(1 for kind in scheduled.values() if kind == "call_model")
            return f"· {request.get('agent', 'agent')} thinks (step {step})"
        return f"→ {name}({_excerpt(_decode(attrs.input))})"
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        attrs_done = event.activity_task_completed_event_attributes
        name = scheduled.get(attrs_done.scheduled_event_id, "")
        result = _decode(attrs_done.result)
        if name == "call_model":
            return _describe_reply(result or {})
        return f"← {name}: {_excerpt(result)}"
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        failed = event.activity_task_failed_event_attributes
        name = scheduled.get(failed.scheduled_event_id, "activity")
        error_type = failed.failure.application_failure_info.type
        message = (
            f"{error_type}: {failed.failure.message}" if error_type else failed.failure.message
        )
        return f"✗ {name} failed: {_excerpt(message)}"
    if kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        child = event.start_child_workflow_execution_initiated_event_attributes
        task = (_decode(child.input) or {}).get("task", "")
        return f"⇒ sub-agent {child.workflow_type.name}: {_excerpt(task)}"
    if kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        child_done = event.child_workflow_execution_completed_event_attributes
        answer = (_decode(child_done.result) or {}).get("answer", "")
        return f"⇐ sub-agent {child_done.workflow_type.name} answered: {_excerpt(answer)}"
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return f"✗ failed: {event.workflow_execution_failed_event_attributes.failure.message}"
    return None


def _streamed_reply(
    event: HistoryEvent, activity_ids: dict[int, str], printer: TextPrinter, run_id: str
) -> bool:
    """Hand a completed model call's text to ``printer``; False for any other event."""
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        attrs = event.activity_task_scheduled_event_attributes
        if attrs.activity_type.name == "call_model":
            activity_ids[event.event_id] = attrs.activity_id
        return False
    if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        return False
    done = event.activity_task_completed_event_attributes
    activity_id = activity_ids.get(done.scheduled_event_id)
    if activity_id is None:
        return False
    reply = _decode(done.result) or {}
    printer.final((run_id, activity_id), reply.get("content") or "")
    return True


def failure_chain(error: BaseException) -> list[str]:
    """A run's failure and its causes, outermost first: "Activity task failed (call_model)",
    then e.g. "ModelConfigurationError: OPENAI_API_KEY is not set in the worker's environment"."""
    from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

    lines: list[str] = []
    current: BaseException | None = error
    while current is not None and len(lines) < 10:
        if isinstance(current, ApplicationError) and current.type:
            lines.append(f"{current.type}: {current.message}")
        elif isinstance(current, ActivityError):
            lines.append(f"{current.message} ({current.activity_type})")
        elif isinstance(current, ChildWorkflowError):
            lines.append(f"{current.message} (sub-agent {current.workflow_type})")
        else:
            lines.append(str(current) or type(current).__name__)
        current = current.__cause__
    return lines


def _describe_reply(reply: dict[str, Any]) -> str | None:
    """A ``call_model`` result: ``{"content", "calls": [[id, name, arguments], ...], "usage"}``."""
    calls = [call for call in reply.get("calls") or [] if isinstance(call, list) and len(call) == 3]
    for _, name, arguments in calls:
        if name == WRITE_TODOS:
            try:
                todos = json.loads(arguments or "{}").get("todos", [])
            except (ValueError, AttributeError):
                todos = []
            items = [t.get("content", "") if isinstance(t, dict) else str(t) for t in todos]
            return "  plan: " + "; ".join(_excerpt(i) for i in items)
    if calls:
        return None  # the tool activities that follow describe themselves
    content = reply.get("content") or ""
    return f"  says: {_excerpt(content)}" if content else None
