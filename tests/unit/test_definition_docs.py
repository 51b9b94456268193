"""docs/definition.md's key tables are generated from definition.py and must not go stale."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from dagent_gen.definition import AgentFields, McpSection, ProjectFields, ToolFields
from dagent_gen.definition_docs import SECTIONS, key_table, with_tables

DOC = Path(__file__).parents[2] / "docs" / "definition.md"


def test_the_key_tables_in_the_docs_are_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert with_tables(text) == text, (
        "docs/definition.md is stale: run "
        "`uv run --frozen python -m dagent_gen.definition_docs docs/definition.md`"
    )
    for section in SECTIONS:
        assert f"<!-- keys: {section} -->" in text


def test_every_key_has_a_description_and_a_documented_type() -> None:
    for model in SECTIONS.values():
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description="
            extra = info.json_schema_extra
            assert isinstance(extra, dict) and extra.get("kind"), f"{name}: no kind"


def test_a_new_field_appears_in_the_table() -> None:
    class Section(AgentFields):
        a_key_added_later: float | None = None

    assert "| `a_key_added_later` |" in key_table(Section)
    assert "| `a_key_added_later` |" not in key_table(SECTIONS["agents"])


def test_the_python_form_offers_every_key_with_the_same_default() -> None:
    from dagent_gen import Agent, McpServer, Project, Tool

    pairs: list[tuple[type[BaseModel], type[BaseModel]]] = [
        (Agent, AgentFields),
        (Tool, ToolFields),
        (Project, ProjectFields),
        (McpServer, McpSection),
    ]
    for api, fields in pairs:
        for name, info in fields.model_fields.items():
            assert name in api.model_fields
            assert api.model_fields[name].get_default(call_default_factory=True) == (
                info.get_default(call_default_factory=True)
            )
