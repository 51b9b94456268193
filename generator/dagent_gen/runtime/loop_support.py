"""Deterministic helpers the agent workflows share: parsing tool arguments and plans.

Everything here runs inside workflows, so it does no I/O and reads no clock or randomness.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

from temporalio import workflow
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ActivityError
from temporalio.exceptions import ApplicationError
from temporalio.exceptions import ChildWorkflowError
from temporalio.exceptions import FailureError

from .messages import TODO_STATUSES
from .messages import ChatMessage
from .messages import Continuation
from .messages import Todo
from .messages import TodoStatus
from .messages import ToolCall
from .messages import pack_messages

WRITE_TODOS = "write_todos"  # the generator names it too; a test keeps the two equal
# The continuation is one payload (Temporal refuses payloads over 2 MB) and the first event of
# the next run's history: keep it well under the limit.
CONTINUATION_MAX_BYTES = 1_500_000
ELIDED_KEEP_CHARS = 2_000  # what stays of an old tool result shortened to fit a continuation


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` once this run's cancellation has been requested.

    An activity awaited with ``WAIT_CANCELLATION_COMPLETED`` that completes anyway returns its
    result instead of raising: a model call that ends before its first heartbeat never hears
    of the cancellation. Called after such an await, this stops the run there instead of
    letting it run the reply's tools and call the model again.
    """
    if workflow.cancellation_reason() is not None:
        raise asyncio.CancelledError("the run was cancelled")


def parse_arguments(call: ToolCall) -> dict[str, Any] | str:
    """The call's arguments as a dict, or an error text for the model."""
    try:
        arguments = json.loads(call.arguments or "{}")
    except json.JSONDecodeError as err:
        return (
            f"Error: the arguments of {call.name!r} are not valid JSON ({err.msg} at "
            f"position {err.pos}). Call the tool again with a JSON object."
        )
    if not isinstance(arguments, dict):
        return f"Error: the arguments of {call.name!r} must be a JSON object."
    return arguments


def parse_todos(arguments: dict[str, Any]) -> list[Todo] | str:
    """The todo list written by ``write_todos``, or an error text for the model."""
    usage = (
        f'Error: call {WRITE_TODOS} with {{"todos": [{{"content": "...", "status": "pending"}}]}}; '
        f"status is one of {', '.join(TODO_STATUSES)}."
    )
    items = arguments.get("todos")
    if not isinstance(items, list) or not items:
        return usage
    todos: list[Todo] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            todos.append(Todo(content=item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("content"), str):
            status = _status(item.get("status", "pending"))
            if status is None:
                return usage
            todos.append(Todo(content=item["content"], status=status))
        else:
            return usage
    return todos


def _status(value: object) -> TodoStatus | None:
    return next((status for status in TODO_STATUSES if status == value), None)


def describe_todos(todos: list[Todo]) -> str:
    lines = [f"{number}. [{todo.status}] {todo.content}" for number, todo in enumerate(todos, 1)]
    return "Todo list updated:\n" + "\n".join(lines)


def failure_text(name: str, err: FailureError) -> str:
    """What the model sees when a tool activity or a sub-agent failed for good."""
    cause: BaseException = err
    while isinstance(cause, (ActivityError, ChildWorkflowError)) and cause.cause is not None:
        cause = cause.cause
    kind = "sub-agent" if isinstance(err, ChildWorkflowError) else "tool"
    detail = str(cause)
    if isinstance(cause, ApplicationError) and cause.type:
        detail = f"{cause.type}: {cause.message}"
    return f"Error: {kind} {name!r} failed: {detail}"


def tool_call_ids(messages: Iterable[ChatMessage]) -> set[str]:
    """The ids of every tool call in ``messages``."""
    return {call.id for message in messages for call in message.tool_calls}


def with_unique_call_ids(reply: ChatMessage, taken: AbstractSet[str]) -> ChatMessage:
    """``reply`` with each tool call id that is empty or already ``taken`` renamed.

    Some OpenAI-compatible servers send ``call_0`` on every reply; tool messages answer calls by
    id, so the conversation needs them unique. Deterministic: the same conversation and reply
    give the same ids, and a reply whose ids are unique is returned unchanged. ``taken`` is
    only read (it may be a long conversation's set, kept between steps).
    """
    seen: set[str] = set()
    calls = []
    for call in reply.tool_calls:
        new_id, number = call.id, 1
        while not new_id or new_id in taken or new_id in seen:
            number += 1
            new_id = f"{call.id or 'call'}~{number}"
        seen.add(new_id)
        calls.append(call if new_id == call.id else replace(call, id=new_id))
    if all(new is old for new, old in zip(calls, reply.tool_calls, strict=True)):
        return reply
    return replace(reply, tool_calls=calls)


def last_reply_text(messages: list[ChatMessage]) -> str:
    """The content of the model's latest reply that has any (what a cancelled run returns)."""
    for message in reversed(messages):
        if message.role == "assistant" and message.content:
            return message.content
    return ""


def fitted_continuation(
    state: Continuation,
    converter: PayloadConverter,
    max_bytes: int = CONTINUATION_MAX_BYTES,
) -> Continuation:
    """``state`` as the next run gets it: its conversation packed (``pack_messages``), with
    its oldest long tool results shortened (each keeps its first ``ELIDED_KEEP_CHARS``
    characters and a note) until it encodes in ``max_bytes``.

    Old observations are the bulk of a long conversation and the part the model needs least.
    When shortening them is not enough, the run fails with ``ConversationTooLarge`` instead
    of writing a payload the server refuses (that would fail every workflow task, forever).
    """
    messages = state.conversation()
    fitted = _packed(state, messages)
    size = _encoded_size(fitted, converter)
    first = 0  # messages before this one are shortened already, or not worth it
    margin = 1.1
    while size > max_bytes:
        # How much text to cut, at the compression the conversation gets as a whole; each
        # round that falls short cuts twice as generously, so few rounds ever run.
        text = sum(_text_size(message.content) for message in messages)
        ratio = len(fitted.packed_messages) / max(1, text)
        to_cut = (size - max_bytes) * margin / max(ratio, 1e-6)
        margin *= 2
        cut, first = _elide_oldest(messages, first, to_cut)
        if not cut:
            raise ApplicationError(
                f"the conversation takes {size} bytes, more than the {max_bytes} a continued "
                "run can carry, even with its old tool results shortened",
                type="ConversationTooLarge",
                non_retryable=True,
            )
        fitted = _packed(state, messages)
        size = _encoded_size(fitted, converter)
    return fitted


def _packed(state: Continuation, messages: list[ChatMessage]) -> Continuation:
    return replace(state, messages=[], packed_messages=pack_messages(messages))


def _elide_oldest(messages: list[ChatMessage], first: int, to_cut: float) -> tuple[int, int]:
    """Shorten long tool results from ``first`` on, in place, until about ``to_cut``
    characters are gone: (characters cut, where the next round starts)."""
    cut = 0
    for index in range(first, len(messages)):
        if cut >= to_cut:
            return cut, index
        message = messages[index]
        content = message.content
        if message.role != "tool" or content is None or len(content) <= ELIDED_KEEP_CHARS:
            continue
        elided = len(content) - ELIDED_KEEP_CHARS
        short = (
            f"{content[:ELIDED_KEEP_CHARS]}\n[elided when the run continued as new: "
            f"{elided} more characters]"
        )
        messages[index] = replace(message, content=short)
        cut += _text_size(content) - _text_size(short)
    return cut, len(messages)


def _text_size(text: str | None) -> int:
    """Characters of the text as ``pack_messages`` writes it (JSON, ASCII escapes)."""
    return len(json.dumps(text)) if text else 0


def _encoded_size(value: object, converter: PayloadConverter) -> int:
    return len(converter.to_payloads([value])[0].data)
