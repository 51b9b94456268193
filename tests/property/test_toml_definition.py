"""Any ``dagent.toml`` (random text, bytes, or TOML documents with hostile values) is either
built or reported as located diagnostics: never a traceback, and the check writes nothing.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import check_in_process, snapshot

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TOOLS_MODULE = '''
def probe(what: str) -> str:
    """Probe something.

    Args:
        what: The thing to probe.
    """
    return what
'''

# Strings a definition might hold, from plain to hostile: any unicode (but no lone
# surrogates: they cannot be written as UTF-8, see the escapes below), control characters,
# quotes and TOML syntax, names that nearly fit, very long text.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "probe",
            "tools_mod:probe",
            "tools_mod:missing",
            "tools_mod:",
            ":probe",
            "os:getcwd",
            "openai:gpt-4o",
            "nope:model",
            "10s",
            "-5s",
            "1e999s",
            "class",
            "write_todos",
            "a" * 10_000,
            '"""',
            "'''",
            "\\",
            "\x00",
            "\u202e",
            "\U0001f600",
            "ä" * 300,
        ]
    ),
)
INTEGERS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 1, 2**63 - 1, -(2**63)]),
)
SCALARS = st.one_of(
    HOSTILE_TEXT,
    INTEGERS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)


def _toml_values(depth: int) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
        ),
        max_leaves=depth,
    )


VALUES = _toml_values(12)


# -- a small TOML writer: what tomli-w does, plus deliberately invalid literals -----------------


def _string(value: str) -> str:
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{_string(k)} = {_value(v)}" for k, v in value.items()) + "}"


def dump_toml(document: dict[str, Any]) -> str:
    """Top-level tables as ``[section]`` headers, everything inside as inline values."""
    lines = []
    for key, value in document.items():
        if isinstance(value, dict):
            lines.append(f"[{_string(key)}]")
            lines.extend(f"{_string(k)} = {_value(v)}" for k, v in value.items())
        else:
            lines.insert(0, f"{_string(key)} = {_value(value)}")
    return "\n".join(lines) + "\n"


# -- documents shaped like a definition, with hostile values -----------------------------------

KEYS = {
    "project": ["package", "description", "task_queue", "entry_agent", "unknown"],
    "agent": [
        "system_prompt",
        "model",
        "tools",
        "subagents",
        "max_steps",
        "planning",
        "temperature",
        "max_tokens",
        "model_timeout",
        "model_retries",
        "base_url",
        "typo_key",
    ],
    "tool": ["function", "timeout", "retries", "max_output_chars", "non_retryable_errors"],
}
VALID = {
    "package": "prop_agent",
    "system_prompt": "You probe.",
    "tools": ["probe"],
    "planning": False,
    "function": "tools_mod:probe",
}


@st.composite
def _table(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A table of ``kind``: valid values where known, each key hostile with some probability."""
    table = {}
    for key in draw(st.lists(st.sampled_from(KEYS[kind]), unique=True)):
        hostile = key not in VALID or draw(st.booleans())
        table[key] = draw(VALUES) if hostile else VALID[key]
    return table


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    agent_names = draw(st.lists(st.one_of(st.just("prober"), HOSTILE_TEXT), max_size=3))
    tool_names = draw(st.lists(st.one_of(st.just("probe"), HOSTILE_TEXT), max_size=2))
    document: dict[str, Any] = {
        "project": draw(_table("project")),
        "agents": {name: draw(_table("agent")) for name in agent_names},
        "tools": {name: draw(_table("tool")) for name in tool_names},
    }
    if draw(st.booleans()):
        document[draw(HOSTILE_TEXT)] = draw(VALUES)
    return document


# -- the property --------------------------------------------------------------------------------


def _check(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="dagent-prop-") as folder:
        root = Path(folder)
        (root / "tools_mod.py").write_text(TOOLS_MODULE, encoding="utf-8")
        definition = root / "dagent.toml"
        if isinstance(content, bytes):
            definition.write_bytes(content)
        else:
            definition.write_text(content, encoding="utf-8")
        before = snapshot(root)
        check_in_process(root)
        assert snapshot(root) == before, "check wrote to the project folder"


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_is_built_or_reported(content: str) -> None:
    _check(content)


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_are_built_or_reported(content: bytes) -> None:
    _check(content)


@SETTINGS
@given(st.dictionaries(HOSTILE_TEXT, VALUES, max_size=5))
def test_any_toml_document_is_built_or_reported(document: dict[str, Any]) -> None:
    _check(dump_toml(document))


@SETTINGS
@given(definitions())
def test_definition_shaped_documents_are_built_or_reported(document: dict[str, Any]) -> None:
    _check(dump_toml(document))


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["\\uD800", "\\uDFFF", "\\U00110000", "\\uZZZZ", "\\x41", "\\"]),
    st.integers(min_value=1, max_value=40),
    st.sampled_from(["", "9" * 30, "-" + "9" * 30, "0x" + "f" * 20]),
)
def test_invalid_escapes_depth_and_huge_ints_are_reported(
    escape: str, depth: int, huge: str
) -> None:
    """Literals TOML forbids (surrogate escapes, ints past 64 bits) and deep nesting."""
    nested = "[" * depth + "1" + "]" * depth
    text = (
        f'[project]\npackage = "prop_agent"\ndescription = "{escape}"\n'
        f"[agents.prober]\nmax_steps = {huge or nested}\nsystem_prompt = {json.dumps(escape)}\n"
    )
    _check(text)


@pytest.mark.parametrize(
    "text",
    ['[project]\npackage = "x"\nname = ', '[project]\npackage = "x"\nname = "unterminated'],
)
def test_syntax_errors_at_the_end_of_the_text_name_a_line(tmp_path: Path, text: str) -> None:
    (tmp_path / "dagent.toml").write_text(text, encoding="utf-8")
    prepared = check_in_process(tmp_path)
    [problem] = prepared.problems
    assert problem.code == "DG102"
    assert problem.location is not None
    assert problem.location.line == 3
