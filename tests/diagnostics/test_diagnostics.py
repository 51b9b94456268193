"""The diagnostics corpus: definitions that must fail, and exactly what the user sees.

Each folder in ``cases/`` is one case: a definition (``dagent.toml`` or ``dagent.py``), any
files it needs (a tools module, ...), and ``expected.txt``, the expected stderr of
``dagent-gen build`` line by line:

* ``{dir}`` stands for the case folder (the build gets an absolute path);
* a line ending in ``...`` only has to be a prefix of the actual line;
* ``# exit: N`` sets the expected exit code (default 1); other ``#`` lines are comments.

Every case runs through the real command line on a copy in ``tmp_path`` and must exit with the
expected code, print exactly the expected lines, never a traceback, and write nothing. Cases
run in this process through typer's ``CliRunner`` (the build imports user code in a child
interpreter, so nothing carries over between cases); a few also run as ``python -m dagent_gen.cli`` in a fresh interpreter.

To add a case: create ``cases/NAME/`` with the definition, run ``dagent-gen build`` on it,
check each line of the output reads well and points at the right place, and save it (with the
folder replaced by ``{dir}``) as ``cases/NAME/expected.txt``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dagent_gen.cli import app

CASES = Path(__file__).parent / "cases"
EXPECTED = "expected.txt"
# Importing a project's tool modules may leave byte-code caches; they are not build output.
IGNORED = {"__pycache__"}


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / EXPECTED).is_file())


def expectations(name: str) -> tuple[int, list[str]]:
    code = 1
    lines: list[str] = []
    for line in (CASES / name / EXPECTED).read_text(encoding="utf-8").splitlines():
        exit_line = re.fullmatch(r"#\s*exit:\s*(\d+)\s*", line)
        if exit_line:
            code = int(exit_line.group(1))
        elif line.strip() and not line.startswith("#"):
            lines.append(line)
    return code, lines


def copy_case(name: str, tmp_path: Path) -> Path:
    folder = tmp_path.resolve() / name
    shutil.copytree(CASES / name, folder, ignore=shutil.ignore_patterns(EXPECTED, *IGNORED))
    return folder


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below ``folder`` (folders map to None), byte-cache excluded."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if IGNORED & set(relative.parts):
            continue
        found[relative.as_posix()] = path.read_bytes() if path.is_file() else None
    return found


def run_build(folder: Path) -> Outcome:
    """``dagent-gen build folder`` in this process (fast): the CLI's own code path."""
    result = CliRunner().invoke(app, ["build", str(folder)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"the build raised instead of reporting a diagnostic:\n{trace}")
    return Outcome(result.exit_code, result.stdout, result.stderr)


def run_build_process(folder: Path) -> Outcome:
    """``python -m dagent_gen.cli build folder`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "build", str(folder)],
        cwd=folder.parent,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def line_matches(expected: str, actual: str) -> bool:
    if expected.endswith("..."):
        return actual.startswith(expected[:-3])
    return actual == expected


def assert_lines(expected: list[str], actual: list[str]) -> None:
    mismatch = len(expected) != len(actual) or not all(
        line_matches(e, a) for e, a in zip(expected, actual, strict=False)
    )
    assert not mismatch, (
        "stderr differs from expected.txt\n--- expected\n"
        + "\n".join(expected)
        + "\n--- actual\n"
        + "\n".join(actual)
    )


def check_case(name: str, tmp_path: Path, run: Callable[[Path], Outcome]) -> None:
    code, expected = expectations(name)
    folder = copy_case(name, tmp_path)
    before = snapshot(folder)

    outcome = run(folder)

    output = outcome.stdout + outcome.stderr
    assert "Traceback" not in output, output
    assert outcome.code == code, output
    actual = outcome.stderr.replace(str(folder), "{dir}").splitlines()
    assert_lines(expected, actual)
    assert snapshot(folder) == before, "a failed build must not write anything"


@pytest.mark.parametrize("name", case_names())
def test_case(name: str, tmp_path: Path) -> None:
    check_case(name, tmp_path, run_build)


@pytest.mark.parametrize(
    "name", ["toml_syntax_unterminated_string", "tool_module_raises", "py_definition_raises"]
)
def test_case_in_a_fresh_interpreter(name: str, tmp_path: Path) -> None:
    """The installed entry point behaves the same: exit code, stderr, nothing written."""
    check_case(name, tmp_path, run_build_process)


def test_corpus_is_not_empty_and_every_case_has_expectations() -> None:
    folders = sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name[0].isalnum())
    assert len(folders) >= 40
    assert folders == case_names(), "every case folder needs an expected.txt"
    for name in folders:
        code, lines = expectations(name)
        assert code != 0 and lines, f"{name}: a corpus case must fail with diagnostics"


def test_expected_lines_name_a_location_and_a_code() -> None:
    """Every diagnostic in the corpus says where (file:line[:col]) and what (error[DGxxx]).
    Indented lines belong to the diagnostic above: its hint, or what user code printed."""
    diagnostic = re.compile(r"^\{dir\}((/[\w.-]+)+(:\d+){1,2})?: error\[DG\d{3}\]: .+")
    continuation = re.compile(r"^  (hint: |output:$|  )")
    for name in case_names():
        for line in expectations(name)[1]:
            if not continuation.match(line):
                assert diagnostic.match(line), f"{name}: {line!r}"


def test_several_errors_are_reported_in_one_run(tmp_path: Path) -> None:
    folder = copy_case("several_errors", tmp_path)
    outcome = run_build(folder)
    errors = [line for line in outcome.stderr.splitlines() if ": error[" in line]
    codes = {re.search(r"error\[(DG\d+)\]", line).group(1) for line in errors}  # type: ignore[union-attr]
    assert outcome.code == 1
    assert len(errors) >= 9, outcome.stderr
    assert codes >= {"DG202", "DG203", "DG205", "DG207", "DG208", "DG209", "DG211"}
    lines = [int(line.split(":")[1]) for line in errors]
    assert lines == sorted(lines), "diagnostics come in file order"


def test_schema_errors_do_not_hide_the_other_checks(tmp_path: Path) -> None:
    """A section with a wrong type is reported, and the rest is still checked; references to
    the broken section are not reported as unknown."""
    folder = copy_case("partial_schema_errors_still_checked", tmp_path)
    outcome = run_build(folder)
    assert "unknown tool 'missing_tool'" in outcome.stderr
    assert "max_steps must be at least 3" in outcome.stderr
    assert "planning in [agents.helper]" in outcome.stderr
    assert "unknown agent 'helper'" not in outcome.stderr
    assert "unknown tool 'search'" not in outcome.stderr


def test_a_failed_build_keeps_existing_generated_code(tmp_path: Path) -> None:
    """Breaking the definition of a project that was built before changes nothing on disk."""
    folder = copy_case("unknown_tool_reference", tmp_path)
    definition = folder / "dagent.toml"
    broken = definition.read_text(encoding="utf-8")
    definition.write_text(broken.replace('"serch",', "").replace('"translate",', ""), "utf-8")
    first = run_build(folder)
    assert first.code == 0, first.stderr
    assert (folder / "agents" / "workflows" / "main.py").is_file()
    definition.write_text(broken, encoding="utf-8")
    before = snapshot(folder)
    second = run_build(folder)
    assert second.code == 1
    assert "unknown tool 'serch'" in second.stderr
    assert snapshot(folder) == before
