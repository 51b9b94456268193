"""The child interpreter that runs the user's code: what the build's own process keeps clean,
and how a result that cannot be trusted is reported."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from dagent_gen.diagnostics import Location
from dagent_gen.pipeline import generate
from dagent_gen.user_code import TIMEOUT_ENV, import_timeout, inspect_in_child
from dagent_gen.user_code.wire import Inspection, Message, Stage

TOML = """
[project]
package = "agents"

[agents.main]
tools = ["ping"]

[tools.ping]
function = "dgu_tools:ping"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def ping_module(doc: str) -> str:
    return f'def ping(text: str) -> str:\n    """{doc}"""\n    return text\n'


def test_the_build_process_never_imports_user_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    write(tmp_path, "dagent.toml", TOML)
    write(tmp_path, "dgu_tools.py", ping_module("Echo."))
    path_before = list(sys.path)
    generation, problems = generate(tmp_path)
    assert generation is not None and problems == []
    assert "dgu_tools" not in sys.modules
    assert sys.path == path_before
    assert not (tmp_path / "__pycache__").exists()  # no byte-code left in the user's project


def test_a_second_build_sees_the_edited_tool_module(tmp_path: Path) -> None:
    write(tmp_path, "dagent.toml", TOML)
    write(tmp_path, "dgu_tools.py", ping_module("First."))
    first, _ = generate(tmp_path)
    write(tmp_path, "dgu_tools.py", ping_module("Second."))
    second, _ = generate(tmp_path)
    assert first is not None and second is not None
    assert first.model.tools[0].description == "First."
    assert second.model.tools[0].description == "Second."


def test_the_result_round_trips_through_json(tmp_path: Path) -> None:
    write(tmp_path, "dagent.toml", TOML.replace("tools = [", "temperature = 0.5\ntools = ["))
    write(tmp_path, "dgu_tools.py", ping_module("Echo."))
    inspection, problems = inspect_in_child(tmp_path / "dagent.toml")
    assert inspection is not None and problems == []
    assert inspection.definition is not None
    assert inspection.definition.agents["main"].temperature == 0.5
    assert list(inspection.signatures["ping"].parameters_schema["properties"]) == ["text"]
    line = Message(result=inspection).model_dump_json()
    assert Message.model_validate_json(line).result == inspection


@pytest.mark.parametrize(
    ("value", "seconds", "ok"),
    [("", 60.0, True), ("2.5", 2.5, True), ("0", 60.0, False), ("x", 60.0, False)],
)
def test_import_timeout_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: float, ok: bool
) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, value)
    timeout, problem = import_timeout(Location("dagent.toml"))
    assert timeout == seconds and (problem is None) == ok


def test_a_garbled_result_is_not_trusted() -> None:
    from dagent_gen.user_code import _read_channel

    stage = Stage(doing="importing `t:f` for tool `f`", location=Location("d.toml", 7, 12))
    good = Message(result=Inspection(definition=None, signatures={}, diagnostics=[]))
    channel = f"{Message(stage=stage).model_dump_json()}\n{good.model_dump_json()[:-5]}\n"
    assert _read_channel(channel) == (stage, None, True)
    assert _read_channel(good.model_dump_json() + "\n") == (None, good.result, False)


def test_an_internal_error_is_a_diagnostic_that_asks_for_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.user_code import child

    def broken(data: object, source: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(child, "validate", broken)
    path = write(tmp_path, "dagent.toml", TOML)
    stages: list[Stage] = []
    result = child.inspect_safely(path, stages.append)
    assert [s.doing for s in stages] == ["reading dagent.toml"]
    assert result.definition is None
    [problem] = result.diagnostics
    assert problem.code == "DG105" and problem.location == Location(str(path))
    assert "KeyError: 'oops'" in problem.message and "Traceback" in problem.message
    assert problem.hint is not None and "dagent-gen bug" in problem.hint


def test_warnings_cross_the_process_boundary_and_do_not_stop_the_build(tmp_path: Path) -> None:
    write(tmp_path, "dagent.toml", TOML)
    tools = write(
        tmp_path, "dgu_tools.py", "def ping(text: str = None) -> bytes:\n    return b''\n"
    )
    generation, problems = generate(tmp_path)
    assert generation is not None
    assert [(p.code, p.severity, p.location) for p in problems] == [
        ("DG309", "warning", Location(str(tools), 1, 1)),
        ("DG308", "warning", Location(str(tools), 1, 10)),
    ]  # in file order
    schema = generation.model.tools[0].parameters_schema["properties"]["text"]
    assert schema["anyOf"] == [{"type": "string"}, {"type": "null"}]
