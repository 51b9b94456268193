"""Golden-output tests: the generated code of each case matches ``expected/`` byte for byte.

Regenerate with ``uv run python tests/golden/regenerate.py`` after an intended change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.regenerate import HERE, generated_files

CASES = sorted(path.name for path in (HERE / "cases").iterdir())


@pytest.mark.parametrize("case", CASES)
def test_generated_code_matches_golden(case: str) -> None:
    expected_dir = HERE / "expected" / case
    expected = {
        path.relative_to(expected_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(expected_dir.rglob("*"))
        if path.is_file()
        and not any(
            part.startswith((".", "__pycache__")) for part in path.relative_to(expected_dir).parts
        )
    }
    actual = generated_files(HERE / "cases" / case)
    assert sorted(actual) == sorted(expected), "files differ; run tests/golden/regenerate.py"
    for path, content in actual.items():
        assert content == expected[path], f"{case}/{path} differs; run tests/golden/regenerate.py"


@pytest.mark.parametrize("example", ["01_research_agent", "02_planner_subagents"])
def test_examples_are_up_to_date(example: str) -> None:
    """The checked-in examples are exactly what `dagent-gen check` expects (CI fails if stale)."""
    from typer.testing import CliRunner

    from dagent_gen.cli import app

    folder = Path(__file__).resolve().parents[2] / "examples" / example
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output
