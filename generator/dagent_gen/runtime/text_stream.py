"""Follow what a run's model writes, as it writes it (the client's ``--follow``).

An agent with ``stream = true`` publishes the text of its current model call as the
``call_model`` activity's heartbeat details; the server keeps the latest details of each
pending activity (not in history) and ``describe`` returns them. :func:`follow_text` polls
``describe`` for them and prints each call's text as it grows (only the new part), then, when
the call completes, the rest of it from the activity's result in history (the last heartbeat
may be up to one throttle interval behind). A call that finished between two polls, or an agent
that does not stream, is printed whole when it completes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError

from .messages import ModelReply

POLL_EVERY = timedelta(seconds=0.25)
MODEL_ACTIVITY = "call_model"
CallKey = tuple[str, str]
"""A model call: (run id, activity id); activity ids restart in a run continued as new."""

_CLOSED = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    }
)


class TextPrinter:
    """Prints the text of each model call once, as it grows; a newline ends each call."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._shown: dict[CallKey, str] = {}
        self._done: set[CallKey] = set()
        self._open: CallKey | None = None  # the call whose text ends the output so far

    def partial(self, call: CallKey, text: str) -> None:
        """The text of a call in progress (a heartbeat)."""
        if call not in self._done:
            self._show(call, text)

    def final(self, call: CallKey, text: str) -> None:
        """The whole text of a completed call."""
        if call in self._done:
            return
        self._show(call, text)
        self._done.add(call)
        if self._open == call:
            self._write("\n")
            self._open = None

    def _show(self, call: CallKey, text: str) -> None:
        shown = self._shown.get(call, "")
        if text.startswith(shown):
            new = text[len(shown) :]
        elif shown.startswith(text):
            return  # a retried attempt, not yet past what the first one wrote
        else:
            new = "\n" + text  # a retried attempt that wrote something else
        if not new:
            return
        if self._open is not None and self._open != call:
            self._write("\n")
        self._write(new)
        self._open = call
        self._shown[call] = text


async def poll_streamed_text(
    client: Client, workflow_id: str, printer: TextPrinter, every: timedelta = POLL_EVERY
) -> None:
    """Pass the text of the run's pending model call to ``printer`` until cancelled."""
    handle = client.get_workflow_handle(workflow_id)
    while True:
        try:
            description = await handle.describe()
        except RPCError:  # a transient error: the next poll tries again
            await asyncio.sleep(every.total_seconds())
            continue
        for pending in description.raw_description.pending_activities:
            details = pending.heartbeat_details.payloads
            if pending.activity_type.name == MODEL_ACTIVITY and details:
                [text] = await client.data_converter.decode(details[:1], [str])
                printer.partial((description.run_id, pending.activity_id), text)
        await asyncio.sleep(every.total_seconds())


async def print_completed_text(client: Client, workflow_id: str, printer: TextPrinter) -> None:
    """Pass each completed model call's text to ``printer`` until the workflow closes,
    following continue-as-new."""
    run_id = (await client.get_workflow_handle(workflow_id).describe()).run_id
    while run_id:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        scheduled: dict[int, str] = {}  # event id -> activity id, of model calls
        next_run = ""
        async for event in handle.fetch_history_events(wait_new_event=True):
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attributes = event.activity_task_scheduled_event_attributes
                if attributes.activity_type.name == MODEL_ACTIVITY:
                    scheduled[event.event_id] = attributes.activity_id
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                done = event.activity_task_completed_event_attributes
                activity_id = scheduled.get(done.scheduled_event_id)
                if activity_id is not None and done.result.payloads:
                    [reply] = await client.data_converter.decode(
                        done.result.payloads[:1], [ModelReply]
                    )
                    printer.final((run_id, activity_id), reply.content or "")
            elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                continued = event.workflow_execution_continued_as_new_event_attributes
                next_run = continued.new_execution_run_id
                break
            elif kind in _CLOSED:
                break
        run_id = next_run


async def follow_text(
    client: Client, workflow_id: str, write: Callable[[str], None], every: timedelta = POLL_EVERY
) -> None:
    """Print what the run's model writes until the workflow closes (sub-agents not included)."""
    printer = TextPrinter(write)
    poller = asyncio.create_task(poll_streamed_text(client, workflow_id, printer, every))
    try:
        await print_completed_text(client, workflow_id, printer)
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
