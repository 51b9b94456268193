"""Deterministic helpers the agent workflows share: parsing tool arguments and plans.

Everything here runs inside workflows, so it does no I/O and reads no clock or randomness.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from temporalio.exceptions import ActivityError
from temporalio.exceptions import ApplicationError
from temporalio.exceptions import ChildWorkflowError
from temporalio.exceptions import FailureError

from .messages import TODO_STATUSES
from .messages import ChatMessage
from .messages import Todo
from .messages import TodoStatus
from .messages import ToolCall

WRITE_TODOS = "write_todos"  # the generator names it too; a test keeps the two equal


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


def with_unique_call_ids(reply: ChatMessage, taken: set[str]) -> ChatMessage:
    """``reply`` with each tool call id that is empty or already ``taken`` renamed.

    Some OpenAI-compatible servers send ``call_0`` on every reply; tool messages answer calls by
    id, so the conversation needs them unique. Deterministic: the same conversation and reply
    give the same ids, and a reply whose ids are unique is returned unchanged.
    """
    seen = set(taken)
    calls = []
    for call in reply.tool_calls:
        new_id, number = call.id, 1
        while not new_id or new_id in seen:
            number += 1
            new_id = f"{call.id or 'call'}~{number}"
        seen.add(new_id)
        calls.append(call if new_id == call.id else replace(call, id=new_id))
    if all(new is old for new, old in zip(calls, reply.tool_calls, strict=True)):
        return reply
    return replace(reply, tool_calls=calls)
