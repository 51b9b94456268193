"""The runtime's progress texts: tool-call labels, the current todo, the Web UI's details."""

from __future__ import annotations

from dagent_gen.runtime.messages import Progress, Todo, ToolCall, Usage
from dagent_gen.runtime.progress import ProgressBoard, call_label, current_details, current_todo


def test_a_label_is_the_name_and_short_arguments() -> None:
    assert call_label(ToolCall("1", "search", '{"q": "temporal", "limit": 3}')) == (
        'search(q="temporal", limit=3)'
    )
    assert call_label(ToolCall("1", "ls", "")) == "ls()"
    assert call_label(ToolCall("1", "f", "not json\n at all")) == "f(not json at all)"
    long = call_label(ToolCall("1", "write", '{"text": "' + "x" * 500 + '"}'))
    assert len(long) == 80 and long.endswith("…)")


def test_the_current_todo_is_the_one_in_progress_else_the_next() -> None:
    todos = [Todo("a", "completed"), Todo("b", "pending"), Todo("c", "in_progress")]
    assert current_todo(todos) == (3, todos[2])
    todos[2].status = "completed"
    assert current_todo(todos) == (2, todos[1])
    assert current_todo([Todo("a", "completed")]) is None
    assert current_todo([]) is None


def test_the_board_reports_steps_todo_tools_and_usage() -> None:
    board = ProgressBoard()
    usage = Usage(10, 5, 15)
    todos = [Todo("Fetch", "in_progress"), Todo("Sum up")]
    board.update("running_tools", [ToolCall("1", "get", '{"url": "u"}')])
    progress = board.progress(4, todos, usage, "done")
    assert progress == Progress(
        steps=4,
        todo="Fetch",
        todo_number=1,
        todo_count=2,
        tools=['get(url="u")'],
        usage=Usage(10, 5, 15),
        status="running_tools",
    )
    usage.add(Usage(1, 1, 2))
    assert progress.usage.total_tokens == 15  # a copy: a query answer never aliases state
    assert current_details(progress) == (
        '**running tools** · step 4 · 15 tokens\ntodo 1/2: Fetch\n- `get(url="u")`'
    )
    board.update("finished")
    finished = board.progress(9, [], Usage(0, 0, 1234), "max_steps")
    assert finished.tools == [] and finished.todo_number == 0
    assert current_details(finished) == "**finished (max_steps)** · step 9 · 1,234 tokens"
