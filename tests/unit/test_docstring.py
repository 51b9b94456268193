"""Docstring parsing: the model's only explanation of a tool and its arguments."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path

import pytest

from dagent_gen.diagnostics import Location
from dagent_gen.introspect import ParsedDocstring, describe_function, parse_docstring


def test_empty_and_missing_docstrings_give_empty_parts() -> None:
    assert parse_docstring(None) == ParsedDocstring()
    assert parse_docstring("") == ParsedDocstring()
    assert parse_docstring("   \n  ") == ParsedDocstring("", "", {})


def test_one_line_docstring() -> None:
    parsed = parse_docstring("Search the web.")
    assert parsed.summary == "Search the web."
    assert parsed.description == "Search the web."
    assert parsed.params == {}


def test_google_style_full() -> None:
    doc = """Search the web for pages
    matching a query.

    Results are ranked by relevance.
    Only public pages are returned.

    Args:
        query (str): What to search for.
        limit (int, optional): How many results
            to return at most.
        site: Restrict to one site,
            e.g. ``example.com``.

    Returns:
        list[str]: The URLs.

    Raises:
        ValueError: If the query is empty.
    """
    parsed = parse_docstring(doc)
    assert parsed.summary == "Search the web for pages matching a query."
    assert parsed.description == (
        "Search the web for pages\nmatching a query.\n\n"
        "Results are ranked by relevance.\nOnly public pages are returned."
    )
    assert parsed.params == {
        "query": "What to search for.",
        "limit": "How many results to return at most.",
        "site": "Restrict to one site, e.g. ``example.com``.",
    }


def test_section_header_synonyms() -> None:
    for header in ("Args:", "Arguments:", "Parameters:", "Keyword Args:"):
        parsed = parse_docstring(f"Do it.\n\n{header}\n    x: The x.\n")
        assert parsed.params == {"x": "The x."}, header
        assert parsed.description == "Do it."


def test_ignored_sections_do_not_leak_into_params_or_description() -> None:
    doc = """Add numbers.

    Example:
        >>> add(a=1, b=2)
        3

    Args:
        a: First.
        b: Second.

    Returns:
        c: not a parameter.

    Note:
        d: not a parameter either.
    """
    parsed = parse_docstring(doc)
    assert parsed.description == "Add numbers."
    assert parsed.params == {"a": "First.", "b": "Second."}


def test_type_with_nested_parentheses_and_colons() -> None:
    doc = """Do it.

    Args:
        mapping (dict(str, int)): Counts: per word.
        when (Literal["a:b"]): A time (local).
    """
    assert parse_docstring(doc).params == {
        "mapping": "Counts: per word.",
        "when": "A time (local).",
    }


def test_description_on_following_lines_and_blank_continuations() -> None:
    doc = """Do it.

    Args:
        query:
            The text to find.

            Case-insensitive.
        *args: Extra words.
        **kwargs: Options.
    """
    assert parse_docstring(doc).params == {
        "query": "The text to find. Case-insensitive.",
        "args": "Extra words.",
        "kwargs": "Options.",
    }


def test_docstring_starting_with_a_section_has_no_summary() -> None:
    parsed = parse_docstring("Args:\n    x: The x.")
    assert parsed.summary == ""
    assert parsed.description == ""
    assert parsed.params == {"x": "The x."}


def test_text_with_colons_is_not_a_section() -> None:
    parsed = parse_docstring("Note: this is prose.\n\nMore prose: still prose.")
    assert parsed.summary == "Note: this is prose."
    assert parsed.description == "Note: this is prose.\n\nMore prose: still prose."
    assert parsed.params == {}


def test_rest_fields() -> None:
    doc = """Fetch a URL.

    :param url: The address
        to fetch.
    :param int timeout: Seconds to wait.
    :type url: str
    :returns: The body.
    """
    parsed = parse_docstring(doc)
    assert parsed.description == "Fetch a URL."
    assert parsed.params == {"url": "The address to fetch.", "timeout": "Seconds to wait."}


def test_numpy_parameters_section() -> None:
    doc = """Fetch a URL.

    Parameters
    ----------
    url : str
        The address
        to fetch.
    retries : int, optional
        How often to retry.

    Returns
    -------
    str
        The body.
    """
    parsed = parse_docstring(doc)
    assert parsed.description == "Fetch a URL."
    assert parsed.params == {"url": "The address to fetch.", "retries": "How often to retry."}


def test_numpy_entry_naming_several_parameters_documents_each() -> None:
    doc = (
        "Move.\n\nParameters\n----------\nx, y : int\n    Coordinates.\nspeed : float\n    Fast.\n"
    )
    parsed = parse_docstring(doc)
    assert parsed.params == {"x": "Coordinates.", "y": "Coordinates.", "speed": "Fast."}
    assert parsed.param_lines == {"x": 4, "y": 4, "speed": 6}


def test_first_description_wins_on_duplicates() -> None:
    doc = "Do it.\n\nArgs:\n    x: Google.\n\n:param x: reST.\n"
    assert parse_docstring(doc).params == {"x": "Google."}


def test_unindented_first_line_with_indented_rest() -> None:
    # The usual layout of a function docstring: text right after the quotes.
    doc = "Summary here.\n\n        Args:\n            x: The x.\n        "
    parsed = parse_docstring(doc)
    assert parsed.summary == "Summary here."
    assert parsed.params == {"x": "The x."}


def test_bare_section_followed_by_another_section() -> None:
    doc = "Args:\n    x: The x.\n    y: The y.\nReturns:\n    z: not a parameter.\n"
    assert parse_docstring(doc).params == {"x": "The x.", "y": "The y."}


def test_param_lines_point_at_each_entry_in_every_style() -> None:
    google = "Do it.\n\nArgs:\n    x: The x.\n        more.\n    y: The y.\n"
    rest = "Do it.\n\n:param x: The x.\n:param int y: The y.\n"
    numpy = "Do it.\n\nParameters\n----------\nx : int\n    The x.\ny : str\n    The y.\n"
    bare = "Args:\n    x: The x.\n    y: The y.\n"
    assert parse_docstring(google).param_lines == {"x": 3, "y": 5}
    assert parse_docstring(rest).param_lines == {"x": 2, "y": 3}
    assert parse_docstring(numpy).param_lines == {"x": 4, "y": 6}
    assert parse_docstring(bare).param_lines == {"x": 1, "y": 2}


@pytest.mark.parametrize(
    "docstring",
    [
        '"""Search.\n\n    Args:\n        query: Text.\n        limt: A typo.\n    """',
        '"""Search.\n\n    :param query: Text.\n    :param limt: A typo.\n    """',
        '"""\n    Search.\n\n    Parameters\n    ----------\n    query : str\n        Text.\n'
        '    limt : int\n        A typo.\n    """',
    ],
)
def test_entry_for_a_missing_parameter_is_a_warning_at_its_line(
    tmp_path: Path, docstring: str
) -> None:
    name = f"dgdoc_{uuid.uuid4().hex[:12]}"
    source = f"def tool(query: str, limit: int = 5) -> str:\n    {docstring}\n    return query\n"
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        signature, diagnostics = describe_function(importlib.import_module(name).tool)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    assert signature is not None, "a warning must not stop the build"
    assert [(d.code, d.severity) for d in diagnostics] == [("DG311", "warning")]
    assert "`limt`" in diagnostics[0].message
    typo_line = next(i for i, line in enumerate(source.splitlines(), 1) if "limt" in line)
    assert diagnostics[0].location == Location(str(path), typo_line)
    assert "description" not in signature.parameters_schema["properties"]["limit"]
