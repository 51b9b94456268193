"""Any ``dagent.py`` (valid Python that builds Project/Agent/Tool from hostile values, prints,
raises or exits) ends ``dagent-gen check --format json`` with a JSON verdict: success or
located diagnostics, never a traceback, and nothing written to the project.

Each example runs the real CLI in a subprocess (the definition's code may end the process it
runs in), so the example counts are small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import snapshot

CHECK_TIMEOUT = 120.0
TOOLS_MODULE = '''
def probe(what: str) -> str:
    """Probe something.

    Args:
        what: The thing to probe.
    """
    return what
'''
HEADER = "import os\nimport sys\n\nfrom dagent_gen import Agent, Project, Tool\nfrom tools_mod import probe\n\n"

VALID_PROJECT = (
    "project = Project('prop_agent', agents=[Agent('prober', 'You probe.', tools=[probe], "
    "planning=False)])"
)

# Python expressions for values: hostile strings (any code point, lone surrogates included:
# repr() escapes them), huge and negative numbers, wrong types.
STRINGS = st.one_of(
    st.text(max_size=30).map(repr),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3).map(
        repr
    ),
    st.sampled_from(
        [
            "'prop_agent'",
            "'prober'",
            "'tools_mod:probe'",
            "'tools_mod:nope'",
            "'openai:gpt-4o'",
            "'x' * 100_000",
            "'class'",
            "'10s'",
        ]
    ),
)
VALUES = st.one_of(
    STRINGS,
    st.sampled_from(
        [
            "None",
            "10**100",
            "-(10**100)",
            "-1",
            "0",
            "float('nan')",
            "float('inf')",
            "True",
            "b'bytes'",
            "object()",
            "lambda: 1",
            "[]",
            "{}",
            "probe",
            "print",
            "Tool(function=probe)",
        ]
    ),
)


@st.composite
def projects(draw: st.DrawFn) -> str:
    """``Project(...)`` with an agent and a tool, each argument valid or hostile."""

    def arg(name: str, valid: str) -> str:
        return f"{name}={draw(VALUES) if draw(st.booleans()) else valid}"

    tool = f"Tool({arg('function', 'probe')}, {arg('timeout', repr('30s'))})"
    agent = (
        f"Agent({arg('name', repr('prober'))}, {arg('system_prompt', repr('You probe.'))}, "
        f"tools=[{tool}], {arg('max_steps', '5')}, {arg('planning', 'False')})"
    )
    return f"project = Project({arg('package', repr('prop_agent'))}, agents=[{agent}])"


STATEMENTS = st.one_of(
    projects(),
    VALUES.map(lambda v: f"print({v}, file=sys.stderr)"),
    st.tuples(
        st.sampled_from(
            ["ValueError", "RuntimeError", "KeyError", "RecursionError", "MemoryError", "Exception"]
        ),
        STRINGS,
    ).map(lambda t: f"raise {t[0]}({t[1]})"),
    st.sampled_from(["None", "0", "1", "3", "'bye'", "-1"]).map(lambda v: f"sys.exit({v})"),
    st.just("import dagent_gen_no_such_module"),
    st.just("def local_tool(x: int) -> int:\n    return x\n\nTool(function=local_tool)"),
)


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DAGENT")}
    return subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "check", "--format", "json", str(root)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        check=False,
    )


def assert_verdict(body: str) -> dict[str, Any]:
    """Run check on a project whose ``dagent.py`` is ``body``; the property, then the verdict."""
    with tempfile.TemporaryDirectory(prefix="dagent-prop-") as folder:
        root = Path(folder)
        (root / "tools_mod.py").write_text(TOOLS_MODULE, encoding="utf-8")
        (root / "dagent.py").write_text(HEADER + body + "\n", encoding="utf-8")
        before = snapshot(root)
        result = run_check(root)
        after = snapshot(root)
    output = f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr, output
    assert result.returncode in (0, 1, 3), output  # ok / definition error / not built yet
    verdict: dict[str, Any] = json.loads(result.stdout)
    errors = [d for d in verdict["diagnostics"] if d["severity"] == "error"]
    if result.returncode == 1:
        assert errors, output
    assert all(d["file"] for d in errors), output
    assert after == before, "check wrote to the project folder"
    return verdict


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(STATEMENTS, min_size=1, max_size=4))
def test_any_definition_code_is_built_or_reported(statements: list[str]) -> None:
    assert_verdict("\n".join(statements))


def test_definition_printing_to_stdout_keeps_the_json_verdict_parseable() -> None:
    assert_verdict(f"print('prop_agent')\n{VALID_PROJECT}")


@pytest.mark.parametrize("code", ["os._exit(0)", "os._exit(3)"])
def test_definition_ending_the_process_is_reported(code: str) -> None:
    verdict = assert_verdict(code)
    assert verdict["status"] == "definition-error"
