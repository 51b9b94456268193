"""The scripted server refuses ``response_format`` requests as the real API does.

The schemas the generator makes from pydantic models (``output_schema.strict_schema``) must
pass; hand-written schemas that break one strict rule each must not.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

import openai
import pytest
from pydantic import BaseModel, Field

from dagent_gen.output_schema import response_format, strict_schema
from dagent_gen.testing import ScriptedModelServer, text
from dagent_gen.testing._chat_validation import RequestError, validate_chat_request

MESSAGES = [{"role": "user", "content": "Report."}]
GOOD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "item": {"$ref": "#/$defs/Item"},
    },
    "required": ["title", "tags", "note", "item"],
    "additionalProperties": False,
    "$defs": {
        "Item": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        }
    },
}


def request(schema: Any, *, strict: bool = True, name: str = "Report") -> dict[str, Any]:
    json_schema: dict[str, Any] = {"name": name, "strict": strict}
    if schema is not None:
        json_schema["schema"] = schema
    return {
        "model": "m",
        "messages": MESSAGES,
        "response_format": {"type": "json_schema", "json_schema": json_schema},
    }


def refused(body: dict[str, Any]) -> RequestError:
    with pytest.raises(RequestError) as caught:
        validate_chat_request(body)
    return caught.value


def changed(path: tuple[str, ...], value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    schema = copy.deepcopy(GOOD)
    node = schema
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return schema


def test_a_strict_schema_that_keeps_the_rules_is_accepted() -> None:
    validate_chat_request(request(GOOD))


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        (changed(("additionalProperties",), delete=True), "'additionalProperties' is required"),
        (changed(("$defs", "Item", "additionalProperties"), True), "context=('$defs', 'Item')"),
        (changed(("required",), ["title", "tags", "item"]), "Missing 'note'"),
        (changed(("required",), delete=True), "Missing 'title'"),
        (changed(("properties", "title", "default"), "x"), "'default' is not permitted"),
        (changed(("properties", "title", "minLength"), 1), "'minLength' is not permitted"),
        (changed(("properties", "note"), {"oneOf": [{"type": "string"}]}), "'oneOf'"),
        (changed(("properties", "item", "description"), "d"), "'$ref' cannot have keywords"),
        (changed(("properties", "item", "$ref"), "#/$defs/Nope"), "does not resolve"),
        (changed(("properties", "title", "format"), "uri"), "format 'uri'"),
        (changed(("properties", "title", "type"), "text"), "type 'text'"),
        (changed(("properties", "title"), {"description": "no type"}), "must have a 'type'"),
        (changed(("type",), "array"), "'type: \"object\"'"),
        ({"anyOf": [GOOD]}, "'type: \"object\"'"),
        (None, "must be supplied as a JSON object"),
    ],
)
def test_a_strict_schema_that_breaks_a_rule_is_refused(schema: Any, says: str) -> None:
    error = refused(request(schema))
    assert says in error.message
    assert error.message.startswith("Invalid schema for response_format 'Report'")
    assert error.status == 400 and error.param == "response_format"


def test_objects_nested_too_deep_are_refused() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(11):
        schema = {
            "type": "object",
            "properties": {"inner": schema},
            "required": ["inner"],
            "additionalProperties": False,
        }
    assert "at most 10 levels" in refused(request(schema)).message
    validate_chat_request(request(schema["properties"]["inner"]))  # 10 levels: fine


def test_a_non_strict_schema_is_not_held_to_the_strict_rules() -> None:
    validate_chat_request(request({"type": "object", "additionalProperties": True}, strict=False))


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "dot.ted"])
def test_the_schema_name_must_match_the_pattern(name: str) -> None:
    error = refused(request(GOOD, name=name))
    assert error.param == "response_format.json_schema.name"


@pytest.mark.parametrize(
    "response_format",
    [
        {"type": "json_schema"},
        {"type": "json_schema", "json_schema": {"schema": GOOD}},
        {"type": "json_schema", "json_schema": {"name": "x", "strict": "yes"}},
        {"type": "xml"},
    ],
)
def test_the_shape_of_response_format_is_checked(response_format: dict[str, Any]) -> None:
    refused({"model": "m", "messages": MESSAGES, "response_format": response_format})


def test_json_object_needs_the_word_json_in_the_messages() -> None:
    body = {"model": "m", "messages": MESSAGES, "response_format": {"type": "json_object"}}
    assert "the word 'json'" in refused(body).message
    body["messages"] = [{"role": "user", "content": "Answer in JSON."}]
    validate_chat_request(body)


class Part(BaseModel):
    name: str = Field(min_length=1, description="What it is called.")
    count: int = 1


class Kind(BaseModel):
    kind: Literal["a", "b"]


class Report(BaseModel):
    """A report."""

    title: str
    parts: list[Part]
    main: Part = Field(description="The main part.")
    note: str | None = None
    kinds: list[Kind] = []
    tree: Report | None = None


def test_the_generators_strict_schemas_are_accepted() -> None:
    schema, problems = strict_schema(Report.model_json_schema())
    assert problems == []
    body = {
        "model": "m",
        "messages": MESSAGES,
        "response_format": response_format("Report", schema, True),
    }
    validate_chat_request(body)


def test_pydantics_own_schema_is_refused_when_strict() -> None:
    """Why the generator converts: pydantic's schema breaks the strict rules."""
    assert "additionalProperties" in refused(request(Part.model_json_schema())).message
    root_ref = Report.model_json_schema()  # recursive: {"$ref": ..., "$defs": ...}
    assert "'type: \"object\"'" in refused(request(root_ref)).message


def test_through_the_real_client_the_refusal_is_a_400_and_a_violation() -> None:
    with ScriptedModelServer([text('{"title": "t"}')]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "Report."}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": "Report",
                        "schema": Report.model_json_schema(),
                        "strict": True,
                    },
                },
            )
        assert caught.value.status_code == 400
        assert len(server.violations) == 1
        schema, _ = strict_schema(Report.model_json_schema())
        reply = client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "Report."}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "Report", "schema": schema, "strict": True},
            },
        )
        assert reply.choices[0].message.content == '{"title": "t"}'
        assert server.requests[-1]["response_format"]["json_schema"]["strict"] is True


class Colour(Enum):
    RED = "red"


class Wide(BaseModel):
    when: datetime
    day: date
    colour: Colour = Colour.RED
    ratio: float = Field(gt=0, lt=1)
    tags: set[str] = set()
    nested: list[list[Part]] = []
    either: int | str | None = None


@pytest.mark.parametrize("model", [Part, Kind, Report, Wide])
def test_whenever_the_generator_finds_no_problem_the_server_agrees(
    model: type[BaseModel],
) -> None:
    schema, problems = strict_schema(model.model_json_schema())
    assert problems == []
    body = {
        "model": "m",
        "messages": MESSAGES,
        "response_format": response_format(model.__name__, schema, True),
    }
    validate_chat_request(body)
