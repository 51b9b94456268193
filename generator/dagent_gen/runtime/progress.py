"""What an agent run is doing now: the ``progress`` query and the Web UI's current details.

Runs inside workflows, so it does no I/O and reads no clock or randomness. The text the loop
passes to ``workflow.set_current_details`` is workflow metadata, served by the built-in
``__temporal_workflow_metadata`` query (the Web UI's "Current Details"): setting it adds no
event to history.
"""

from __future__ import annotations

import json

from .messages import Progress
from .messages import ProgressStatus
from .messages import StopReason
from .messages import Todo
from .messages import ToolCall
from .messages import Usage

LABEL_CHARS = 80  # a tool call's label: its name and the start of its arguments


def call_label(call: ToolCall, max_chars: int = LABEL_CHARS) -> str:
    """A tool call in one short line: ``search(q="temporal", limit=3)``."""
    try:
        arguments = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        arguments = None
    if isinstance(arguments, dict):
        inner = ", ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items()
        )
    else:
        inner = call.arguments
    label = f"{call.name}({' '.join(inner.split())})"
    return label if len(label) <= max_chars else label[: max_chars - 2] + "…)"


def current_todo(todos: list[Todo]) -> tuple[int, Todo] | None:
    """The todo being worked on (or next), with its number from 1; None without a plan."""
    for wanted in ("in_progress", "pending"):
        for number, todo in enumerate(todos, 1):
            if todo.status == wanted:
                return number, todo
    return None


class ProgressBoard:
    """The state of one run the loop reports: its status and the tool calls it runs."""

    def __init__(self) -> None:
        self.status: ProgressStatus = "starting"
        self.tools: list[str] = []

    def update(self, status: ProgressStatus, calls: list[ToolCall] | None = None) -> None:
        self.status = status
        self.tools = [call_label(call) for call in calls or []]

    def progress(
        self, steps: int, todos: list[Todo], usage: Usage, stop_reason: StopReason
    ) -> Progress:
        """The answer of the ``progress`` query."""
        found = current_todo(todos)
        number, todo = found if found is not None else (0, Todo(content=""))
        return Progress(
            steps=steps,
            todo=todo.content,
            todo_number=number,
            todo_count=len(todos),
            tools=list(self.tools),
            usage=Usage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
            status=self.status,
            stop_reason=stop_reason,
        )


def current_details(progress: Progress) -> str:
    """The Web UI's "Current Details" (Temporal markdown): status, step, todo, tools, tokens."""
    status = {
        "starting": "starting",
        "thinking": "calling the model",
        "running_tools": "running tools",
        "finished": f"finished ({progress.stop_reason})",
    }[progress.status]
    lines = [f"**{status}** · step {progress.steps} · {progress.usage.total_tokens:,} tokens"]
    if progress.todo_number:
        lines.append(f"todo {progress.todo_number}/{progress.todo_count}: {progress.todo}")
    lines += [f"- `{tool}`" for tool in progress.tools]
    return "\n".join(lines)
