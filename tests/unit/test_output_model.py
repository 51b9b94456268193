"""Build time of structured output: the strict schema, resolving ``output = "module:Model"``
in both definition forms, and what the generated code receives."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, create_model

from dagent_gen.diagnostics import Location
from dagent_gen.introspect.output_model import introspect_output
from dagent_gen.output_schema import MAX_DEPTH, response_format, schema_name, strict_schema
from dagent_gen.pipeline import generate


class Part(BaseModel):
    name: str = Field(min_length=1, description="What it is called.")
    count: int = 1


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]


class Report(BaseModel):
    """A report."""

    title: str = "untitled"
    parts: list[Part]
    main: Part = Field(description="The main part.")
    note: str | None = None
    pet: Cat | Dog = Field(discriminator="kind")


def walk(schema: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        found.append(schema)
        for value in schema.values():
            found += walk(value)
    elif isinstance(schema, list):
        for value in schema:
            found += walk(value)
    return found


def test_every_object_is_closed_and_lists_every_property() -> None:
    schema, problems = strict_schema(Report.model_json_schema())
    assert problems == []
    objects = [node for node in walk(schema) if node.get("type") == "object"]
    assert len(objects) >= 4  # Report, Part, Cat, Dog
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])


def test_keywords_the_api_refuses_are_dropped_and_oneof_becomes_anyof() -> None:
    schema, _ = strict_schema(Report.model_json_schema())
    keys = {key for node in walk(schema) for key in node}
    assert not keys & {"default", "minLength", "oneOf", "discriminator"}
    assert schema["properties"]["pet"]["anyOf"]
    # a $ref with a sibling description is inlined, the description kept
    main = schema["properties"]["main"]
    assert "$ref" not in main and main["description"] == "The main part."
    assert main["properties"]["name"]["description"] == "What it is called."


@pytest.mark.parametrize(
    ("annotation", "says"),
    [
        (dict[str, int], "`field` is a free-form mapping"),
        (dict[str, Any], "`field` is a free-form mapping"),
        (tuple[int, str], "`field` uses prefixItems"),
        (Any, "`field` has no type"),
        (list[Any], "`field[]` has no type"),
    ],
)
def test_what_cannot_be_strict_is_reported(annotation: Any, says: str) -> None:
    model = create_model("M", field=(annotation, ...))
    _, problems = strict_schema(model.model_json_schema())
    assert any(says in problem for problem in problems), problems


def test_objects_nested_deeper_than_the_limit_are_not_strict() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(MAX_DEPTH + 1):
        schema = {"type": "object", "properties": {"inner": schema}}
    _, problems = strict_schema(schema)
    assert any(f"more than {MAX_DEPTH} deep" in problem for problem in problems)


def test_the_schema_name_fits_the_api_pattern() -> None:
    assert schema_name("Report") == "Report"
    assert schema_name("Caf\u00e9 Report") == "Caf__Report"
    assert len(schema_name("X" * 100)) == 64
    assert response_format("Report", {}, True)["json_schema"]["strict"] is True


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


MODELS = """
from pydantic import BaseModel


class Summary(BaseModel):
    verdict: str
    score: int = 0


class Loose(BaseModel):
    counts: dict[str, int]
"""


def test_a_resolved_model_gives_module_name_and_strict_schema(tmp_path: Path) -> None:
    write(tmp_path, "som_models.py", MODELS)
    where = Location("dagent.toml", 5, 1)
    output, problems = introspect_output("som_models:Summary", search_path=tmp_path, location=where)
    assert problems == [] and output is not None
    assert (output.module, output.name, output.strict) == ("som_models", "Summary", True)
    assert output.json_schema["required"] == ["verdict", "score"]
    loose, warnings = introspect_output("som_models:Loose", search_path=tmp_path, location=where)
    assert loose is not None and loose.strict is False
    assert "additionalProperties" in loose.json_schema["properties"]["counts"]  # pydantic's
    assert [(w.code, w.severity, w.location) for w in warnings] == [("DG343", "warning", where)]
    assert "`counts` is a free-form mapping" in warnings[0].message


DEFINITION_TOML = """
[project]
package = "som_pkg"

[agents.planner]
output = "som_models:Summary"

[agents.looper]
planning = false
output = "som_models:Summary"
"""

DEFINITION_PY = """
from dagent_gen import Agent, Project
from som_models import Summary

project = Project(
    "som_pkg",
    agents=[
        Agent("planner", output=Summary),
        Agent("looper", planning=False, output="som_models:Summary"),
    ],
)
"""


@pytest.mark.parametrize(
    ("file", "text"), [("dagent.toml", DEFINITION_TOML), ("dagent.py", DEFINITION_PY)]
)
def test_both_forms_build_the_output_into_the_agents(tmp_path: Path, file: str, text: str) -> None:
    write(tmp_path, "som_models.py", MODELS)
    write(tmp_path, file, text)
    generation, problems = generate(tmp_path)
    assert problems == [] and generation is not None
    agents = {agent.name: agent for agent in generation.model.agents}
    planner, looper = agents["planner"].output, agents["looper"].output
    assert planner is not None and looper is not None
    assert planner.import_line == "from som_models import Summary as PlannerOutput"
    assert planner.choices == ("none",)  # a planning agent answers in one tool-less call
    assert looper.choices == ("auto", "none")  # a plain loop's answer is any tool-less reply
    assert planner.response_format["json_schema"]["name"] == "Summary"
    files = {file.path: file.content for file in generation.files}
    spec = files["som_pkg/agents.py"]
    assert "from som_models import Summary as PlannerOutput" in spec
    assert 'output=OutputSpec(PlannerOutput, PLANNER_OUTPUT_FORMAT, ("none",))' in spec
    assert "answer = await self._valid_output(answer)" in files["som_pkg/workflows/planner.py"]


def test_agents_without_output_get_none_of_it(tmp_path: Path) -> None:
    write(tmp_path, "dagent.toml", '[project]\npackage = "som_pkg"\n\n[agents.main]\n')
    generation, problems = generate(tmp_path)
    assert problems == [] and generation is not None
    files = {file.path: file.content for file in generation.files}
    assert "OutputSpec" not in files["som_pkg/agents.py"]
    workflow = files["som_pkg/workflows/main.py"]
    assert "_valid_output" not in workflow and "_invalid" not in workflow
