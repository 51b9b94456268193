"""The diagnostic-code registry (dagent_gen.codes) against the docs and the generator's source.

docs/diagnostics.md's table is the registry's rendering (``python -m dagent_gen.codes``), and
no source file outside the registry spells a code as a bare string.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from dagent_gen.codes import Code, Severity, table, table_row
from dagent_gen.diagnostics import Diagnostic, error, exit_code_of, warning
from dagent_gen.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "diagnostics.md"
SOURCE = ROOT / "generator" / "dagent_gen"
# runtime/ is copied verbatim into generated packages and cannot import dagent_gen.
NOT_CONVERTED = (SOURCE / "codes.py", SOURCE / "runtime")
ROW = re.compile(r'^\| (?:<a id="[^"]*"></a>)?(?P<code>DG\d{3}) \| ')
CODE_LITERAL = re.compile(r"DG\d{3}")
ERROR_CALLS = {"error", "add", "check_range"}  # validate's add and limits' check_range: errors


def _doc_rows() -> list[str]:
    return [line for line in DOCS.read_text(encoding="utf-8").splitlines() if ROW.match(line)]


def _sources() -> list[Path]:
    return [
        path
        for path in sorted(SOURCE.rglob("*.py"))
        if not any(path == skip or skip in path.parents for skip in NOT_CONVERTED)
    ]


def test_every_code_has_exactly_one_docs_row_with_its_stage_and_title() -> None:
    rows = _doc_rows()
    by_code = Counter(ROW.match(row)["code"] for row in rows)  # type: ignore[index]
    for member in Code:
        assert by_code[member.code] == 1, f"{member.code} ({member.name}) rows: {by_code}"
        [row] = [r for r in rows if ROW.match(r)["code"] == member.code]  # type: ignore[index]
        assert row == table_row(member), f"docs row differs from the registry for {member.name}"


def test_no_docs_row_without_a_registry_entry() -> None:
    known = {member.code for member in Code}
    for row in _doc_rows():
        assert ROW.match(row)["code"] in known, f"docs row with no registry entry: {row}"  # type: ignore[index]


def test_the_docs_table_is_the_registry_rendering() -> None:
    assert table() in DOCS.read_text(encoding="utf-8"), (
        "docs/diagnostics.md's table is out of date: paste `uv run python -m dagent_gen.codes`"
    )


def test_registry_codes_are_unique_and_well_formed() -> None:
    codes = [member.code for member in Code]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"DG\d{3}", code) for code in codes)
    assert all(member.title and member.stages for member in Code)
    assert all(Code.of(member.code) is member for member in Code)


def test_no_code_string_literal_outside_the_registry() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in _sources()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and CODE_LITERAL.fullmatch(node.value)
    ]
    assert not found, "use a dagent_gen.codes.Code member instead of:\n" + "\n".join(found)


def _code_arguments(call: ast.Call) -> list[str]:
    return [
        arg.attr
        for arg in call.args
        if isinstance(arg, ast.Attribute)
        and isinstance(arg.value, ast.Name)
        and arg.value.id == "Code"
    ]


def test_each_call_reports_a_code_with_the_registry_severity() -> None:
    wrong = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == "warning":
                allowed = {Severity.WARNING, Severity.EITHER}
            elif node.func.id in ERROR_CALLS:
                allowed = {Severity.ERROR, Severity.EITHER}
            else:
                continue
            for name in _code_arguments(node):
                if Code[name].severity not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id} {name}")
    assert not wrong, "severity differs from dagent_gen/codes.py:\n" + "\n".join(wrong)


def test_diagnostics_keep_the_code_string() -> None:
    made = error(Code.INVALID_VALUE, "bad", hint="fix it")
    assert made.code == "DG202"
    assert made.render() == "error[DG202]: bad\n  hint: fix it"
    assert made.to_json()["code"] == "DG202"
    assert warning(Code.INTERRUPTED_BUILD, "x").render() == "warning[DG510]: x"


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["DG504"], ExitCode.EDITED_MANAGED),
        (["DG505"], ExitCode.CONFLICT),
        (["DG506"], ExitCode.CONFLICT),
        (["DG509"], ExitCode.WRITE_FAILED),
        (["DG508"], ExitCode.DEFINITION_ERROR),
        (["DG999"], ExitCode.DEFINITION_ERROR),  # no entry: still a failure
        (["DG504", "DG509", "DG505"], ExitCode.WRITE_FAILED),
        (["DG509", "DG202"], ExitCode.DEFINITION_ERROR),
        ([], ExitCode.OK),
    ],
)
def test_exit_code_comes_from_the_registry(codes: list[str], expected: ExitCode) -> None:
    problems = [Diagnostic(code, "x") for code in codes]
    problems.append(Diagnostic("DG509", "only a warning", severity="warning"))
    assert exit_code_of(problems) is expected


def test_warning_only_codes_imply_no_exit_code() -> None:
    for member in Code:
        assert (member.exit_code is None) == (member.severity is Severity.WARNING)
