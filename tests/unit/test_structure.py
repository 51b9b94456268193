"""Tests for the libcst-based structure checks used after a regeneration merge."""

from __future__ import annotations

from dagent_gen.diagnostics import Location
from dagent_gen.merge import (
    SequenceChange,
    TemporalCall,
    command_sequence_changes,
    enclosing_scopes,
    merge3,
    parse_error,
    temporal_calls,
)

WORKFLOW = '''\
"""Generated researcher agent."""

import asyncio
from datetime import timedelta

from temporalio import workflow

from .activities import call_model

TIMEOUT = timedelta(minutes=5)


@workflow.defn
class ResearcherWorkflow:
    """Searches, thinks, then hands off to the writer."""

    max_steps = 3

    @workflow.run
    async def run(self, question: str) -> str:
        notes = await self._search(question)
        await workflow.sleep(timedelta(seconds=1))
        answer = await self._think(notes)
        return await workflow.execute_child_workflow(WriterWorkflow.run, answer, id="writer")

    async def _search(self, question: str) -> str:
        return await workflow.execute_activity(
            "web_search", question, start_to_close_timeout=TIMEOUT
        )

    async def _think(self, notes: str) -> str:
        def prompt() -> str:
            return f"Think about {notes}"

        await asyncio.sleep(0.5)
        return await workflow.execute_activity(call_model, prompt(), start_to_close_timeout=TIMEOUT)


def helper() -> int:
    return 42
'''


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- parse_error ---------------------------------------------------------------------------


def test_parse_error_is_none_for_valid_python() -> None:
    assert parse_error(WORKFLOW, filename="researcher.py") is None
    assert parse_error("", filename="empty.py") is None


def test_parse_error_reports_location_and_code() -> None:
    diagnostic = parse_error("x = 1\ndef f(:\n    pass\n", filename="agents/researcher.py")
    assert diagnostic is not None
    assert diagnostic.code == "DG503"
    assert diagnostic.severity == "error"
    assert diagnostic.location == Location("agents/researcher.py", 2, 7)
    assert diagnostic.render().startswith("agents/researcher.py:2:7: error[DG503]: ")
    assert "syntax" in diagnostic.message


def test_parse_error_points_at_unclosed_bracket() -> None:
    diagnostic = parse_error("def f():\n    x = (1,\n    y = 2\n", filename="f.py")
    assert diagnostic is not None
    assert diagnostic.location is not None and diagnostic.location.line == 2
    assert "never closed" in diagnostic.message


def test_parse_error_on_conflict_markers_says_so() -> None:
    merged = merge3("x = 1\n", "x = 2\n", "x = 3\n").text
    diagnostic = parse_error(merged, filename="w.py")
    assert diagnostic is not None
    assert diagnostic.location == Location("w.py", 1, 1)
    assert diagnostic.hint is not None and "conflict markers" in diagnostic.hint


# --- enclosing_scopes ----------------------------------------------------------------------


def test_enclosing_scopes_for_methods_nested_functions_and_module() -> None:
    lines = {
        "search": _line_of(WORKFLOW, "await self._search(question)"),
        "web": _line_of(WORKFLOW, '"web_search", question'),
        "nested": _line_of(WORKFLOW, 'return f"Think about'),
        "class_attr": _line_of(WORKFLOW, "max_steps = 3"),
        "decorator": _line_of(WORKFLOW, "@workflow.run"),
        "import": _line_of(WORKFLOW, "import asyncio"),
        "helper": _line_of(WORKFLOW, "return 42"),
    }
    scope = {name: enclosing_scopes(WORKFLOW, [line]) for name, line in lines.items()}
    assert scope == {
        "search": ["ResearcherWorkflow.run"],
        "web": ["ResearcherWorkflow._search"],
        "nested": ["ResearcherWorkflow._think.prompt"],
        "class_attr": ["ResearcherWorkflow"],
        "decorator": ["ResearcherWorkflow.run"],
        "import": ["<module>"],
        "helper": ["helper"],
    }


def test_enclosing_scopes_deduplicates_in_order_of_first_appearance() -> None:
    run = _line_of(WORKFLOW, "await self._search(question)")
    think = _line_of(WORKFLOW, "await asyncio.sleep(0.5)")
    assert enclosing_scopes(WORKFLOW, [think, run, think + 1, 1, run + 1, 10_000, 0]) == [
        "ResearcherWorkflow._think",
        "ResearcherWorkflow.run",
        "<module>",
    ]


def test_enclosing_scopes_falls_back_to_module_when_nothing_parses() -> None:
    assert enclosing_scopes("def broken(:\n    pass\n", [1, 2]) == ["<module>"]


def test_enclosing_scopes_on_text_with_inline_conflict_markers() -> None:
    ours = WORKFLOW.replace("seconds=1", "seconds=2")
    theirs = WORKFLOW.replace("seconds=1", "seconds=3")
    result = merge3(WORKFLOW, ours, theirs)
    (conflict,) = result.conflicts
    assert parse_error(result.text, filename="w.py") is not None
    lines = range(conflict.start_line, conflict.end_line + 1)
    assert enclosing_scopes(result.text, lines) == ["ResearcherWorkflow.run"]
    # Marker lines alone name the block's scope too, and lines after the block map back.
    assert enclosing_scopes(result.text, [conflict.start_line]) == ["ResearcherWorkflow.run"]
    after = _line_of(result.text, "await self._think(notes)")
    assert after > conflict.end_line
    assert enclosing_scopes(result.text, [after]) == ["ResearcherWorkflow.run"]
    helper_line = _line_of(result.text, "return 42")
    assert enclosing_scopes(result.text, [helper_line]) == ["helper"]


def test_enclosing_scopes_reports_functions_touched_on_each_side() -> None:
    # The user renamed a helper while the generator changed its body: the conflict touches
    # "helper" (base, newly generated) and "tuned_helper" (on disk).
    ours = WORKFLOW.replace("def helper() -> int:", "def tuned_helper() -> int:")
    theirs = WORKFLOW.replace(
        "def helper() -> int:\n    return 42", "def helper() -> int:\n    return 7"
    )
    result = merge3(WORKFLOW, ours, theirs)
    (conflict,) = result.conflicts
    scopes = enclosing_scopes(result.text, range(conflict.start_line, conflict.end_line + 1))
    assert scopes == ["tuned_helper", "helper"]


# --- temporal_calls ------------------------------------------------------------------------


def test_temporal_calls_on_a_realistic_workflow() -> None:
    calls = temporal_calls(WORKFLOW)
    assert calls == [
        TemporalCall(
            "timer",
            "timedelta(seconds=1)",
            "ResearcherWorkflow.run",
            _line_of(WORKFLOW, "workflow.sleep("),
        ),
        TemporalCall(
            "child_workflow",
            "WriterWorkflow.run",
            "ResearcherWorkflow.run",
            _line_of(WORKFLOW, "execute_child_workflow"),
        ),
        TemporalCall(
            "activity",
            "web_search",
            "ResearcherWorkflow._search",
            _line_of(WORKFLOW, "return await workflow.execute_activity("),
        ),
        TemporalCall(
            "timer", "0.5", "ResearcherWorkflow._think", _line_of(WORKFLOW, "asyncio.sleep")
        ),
        TemporalCall(
            "activity",
            "call_model",
            "ResearcherWorkflow._think",
            _line_of(WORKFLOW, "execute_activity(call_model"),
        ),
    ]
    assert [call.item for call in calls] == [
        "timer",
        "child_workflow:WriterWorkflow.run",
        "activity:web_search",
        "timer",
        "activity:call_model",
    ]


def test_temporal_calls_resolves_imports_aliases_and_keywords() -> None:
    source = """\
import temporalio.workflow as wf
from temporalio.workflow import continue_as_new, execute_activity as run_activity
from temporalio.workflow import start_local_activity, wait_condition

async def step(self):
    await run_activity("fetch")
    await wf.execute_activity_method(Tools.lookup, 1)
    start_local_activity(activity=tidy)
    await wf.start_child_workflow(workflow="Child", arg=1)
    await wait_condition(lambda: self.done)
    await wait_condition(lambda: self.done, timeout=LIMIT)
    await asyncio.sleep(delay=3)
    unrelated.sleep(1)
    execute_activity_elsewhere("nope")
    continue_as_new(self.state, workflow=NextWorkflow.run)
"""
    got = [(call.kind, call.target, call.function) for call in temporal_calls(source)]
    assert got == [
        ("activity", "fetch", "step"),
        ("activity", "Tools.lookup", "step"),
        ("local_activity", "tidy", "step"),
        ("child_workflow", "Child", "step"),
        ("wait_condition", "LIMIT", "step"),
        ("timer", "3", "step"),
        ("continue_as_new", "NextWorkflow.run", "step"),
    ]
    assert temporal_calls(source)[4].item == "timer"


def test_temporal_calls_on_unparsable_text_is_empty() -> None:
    assert temporal_calls("def f(:\n") == []


# --- command_sequence_changes --------------------------------------------------------------


def test_no_sequence_change_for_comments_formatting_and_plain_code() -> None:
    edited = (
        WORKFLOW.replace(
            "        notes = await self._search(question)\n",
            "        # look things up first\n        question = question.strip()\n"
            "        notes = await self._search(  question  )\n",
        )
        .replace('"web_search", question,', "'web_search',\n            question,")
        .replace("return 42", "return 43  # tuned")
        .replace("seconds=1", "seconds=10")
    )
    assert edited != WORKFLOW
    assert parse_error(edited, filename="w.py") is None
    assert command_sequence_changes(WORKFLOW, edited) == []


def test_sequence_change_detects_added_activity() -> None:
    new = WORKFLOW.replace(
        "        answer = await self._think(notes)\n",
        "        answer = await self._think(notes)\n"
        '        answer = await workflow.execute_activity("summarize", answer)\n',
    )
    (change,) = command_sequence_changes(WORKFLOW, new)
    assert change == SequenceChange(
        function="ResearcherWorkflow.run",
        before=("timer", "child_workflow:WriterWorkflow.run"),
        after=("timer", "activity:summarize", "child_workflow:WriterWorkflow.run"),
        description="ResearcherWorkflow.run: activity 'summarize' added",
    )


def test_sequence_change_detects_an_activity_made_local_and_back() -> None:
    """``local = true`` on a tool changes its command: replay of a run that scheduled the
    activity fails against code that runs it locally, and the other way round."""
    local = WORKFLOW.replace(
        "return await workflow.execute_activity(\n",
        "return await workflow.execute_local_activity(\n",
    )
    assert local != WORKFLOW
    (change,) = command_sequence_changes(WORKFLOW, local)
    assert change.after == ("local_activity:web_search",)
    assert change.description == (
        "ResearcherWorkflow._search: activity 'web_search' replaced by local activity 'web_search'"
    )
    (back,) = command_sequence_changes(local, WORKFLOW)
    assert back.before == ("local_activity:web_search",)


def test_sequence_change_detects_removed_child_workflow() -> None:
    new = WORKFLOW.replace(
        '        return await workflow.execute_child_workflow(WriterWorkflow.run, answer, id="writer")',
        "        return answer",
    )
    (change,) = command_sequence_changes(WORKFLOW, new)
    assert change.after == ("timer",)
    assert change.description == (
        "ResearcherWorkflow.run: child workflow 'WriterWorkflow.run' removed"
    )


def test_sequence_change_detects_reorder_and_rename() -> None:
    reordered = WORKFLOW.replace(
        "        await asyncio.sleep(0.5)\n        return await workflow.execute_activity(call_model",
        "        result = await workflow.execute_activity(call_model",
    ).replace(
        "start_to_close_timeout=TIMEOUT)\n\n\ndef helper",
        "start_to_close_timeout=TIMEOUT)\n        await asyncio.sleep(0.5)\n        return result\n\n\ndef helper",
    )
    (change,) = command_sequence_changes(WORKFLOW, reordered)
    assert change.function == "ResearcherWorkflow._think"
    assert change.before == ("timer", "activity:call_model")
    assert change.after == ("activity:call_model", "timer")
    assert "reordered" in change.description

    renamed = WORKFLOW.replace('"web_search"', '"bing_search"')
    (change,) = command_sequence_changes(WORKFLOW, renamed)
    assert change.description == (
        "ResearcherWorkflow._search: activity 'web_search' replaced by activity 'bing_search'"
    )


def test_sequence_change_for_added_and_removed_functions() -> None:
    extra = """
    async def _publish(self) -> None:
        await workflow.execute_activity("publish")
"""
    new = WORKFLOW.replace("\n\ndef helper", extra + "\n\ndef helper")
    assert command_sequence_changes(WORKFLOW, new) == [
        SequenceChange(
            "ResearcherWorkflow._publish",
            (),
            ("activity:publish",),
            "ResearcherWorkflow._publish: new function issuing activity 'publish'",
        )
    ]
    (removed,) = command_sequence_changes(new, WORKFLOW)
    assert removed.function == "ResearcherWorkflow._publish"
    assert removed.after == ()
    assert removed.description == (
        "ResearcherWorkflow._publish: function removed (it issued activity 'publish')"
    )
    # A function that exists on both sides but gains its first command is not "new".
    gained = WORKFLOW.replace(
        "    return 42", '    workflow.start_activity("audit")\n    return 42'
    )
    (change,) = command_sequence_changes(WORKFLOW, gained)
    assert change.description == "helper: activity 'audit' added"


def test_sequence_changes_empty_when_a_side_does_not_parse() -> None:
    conflicted = merge3(WORKFLOW, WORKFLOW.replace("0.5", "1"), WORKFLOW.replace("0.5", "2")).text
    assert command_sequence_changes(WORKFLOW, conflicted) == []
    assert command_sequence_changes(conflicted, WORKFLOW) == []


# --- paths, not text order (issue 10 item 3) -------------------------------------------------

DISPATCH = """\
from temporalio import workflow


class AgentWorkflow:
    @workflow.run
    async def run(self, task: str) -> str:
        PLAN
        await self._call_model()
        return "done"

    async def _plan(self) -> None:
        await self._call_model()

    async def _call_model(self) -> None:
        await workflow.execute_activity("call_model")

    async def _run_tool(self, name: str) -> str:
        match name:
            CASES
            case _:
                return "no such tool"

    async def _delegate(self, run: object) -> str:
        return await workflow.execute_child_workflow(run)
"""
CASES = {
    "search": 'case "search":\n                return await workflow.execute_activity("search")',
    "add": 'case "add":\n                return await workflow.execute_activity("add")',
    "echo": 'case "echo":\n                return await workflow.execute_activity("echo")',
    "helper": 'case "helper":\n                return await self._delegate(Helper.run)',
    "writer": 'case "writer":\n                return await self._delegate(Writer.run)',
    "todos": 'case "todos":\n                return "noted"',
}


def _dispatch(*tools: str, plan: bool = True) -> str:
    cases = "\n            ".join(CASES[tool] for tool in tools)
    return DISPATCH.replace("CASES", cases).replace(
        "PLAN", "await self._plan()" if plan else "pass"
    )


def test_reordered_match_cases_are_no_change() -> None:
    old = _dispatch("search", "add", "helper", "todos")
    assert command_sequence_changes(old, _dispatch("todos", "helper", "add", "search")) == []


def test_a_new_case_for_a_new_tool_or_sub_agent_is_no_change() -> None:
    old = _dispatch("search", "helper")
    assert command_sequence_changes(old, _dispatch("search", "echo", "helper")) == []
    assert command_sequence_changes(old, _dispatch("search", "helper", "writer")) == []


def test_a_removed_case_that_issued_commands_is_a_change() -> None:
    (change,) = command_sequence_changes(_dispatch("search", "add"), _dispatch("search"))
    assert change.function == "AgentWorkflow._run_tool"
    assert "activity 'add' removed" in change.description


def test_a_dropped_self_call_that_issues_commands_is_a_change() -> None:
    """The planning flip: ``run`` issues no command itself, but through ``self._plan()``."""
    (change,) = command_sequence_changes(_dispatch("search"), _dispatch("search", plan=False))
    assert change.function == "AgentWorkflow.run"
    assert change.description == "AgentWorkflow.run: self._plan() removed"


def test_a_command_made_conditional_is_a_change() -> None:
    old = _dispatch("search")
    new = old.replace(
        "        await self._call_model()\n        return",
        "        if task:\n            await self._call_model()\n        return",
    )
    (change,) = command_sequence_changes(old, new)
    assert change.function == "AgentWorkflow.run"
    assert "branches or loops" in change.description
