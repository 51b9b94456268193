"""runtime/structured_output.py: validating an answer against the output model, and the reply
field that carries what is wrong back to the workflow."""

from __future__ import annotations

import json
from datetime import date

from pydantic import BaseModel, Field, field_validator
from temporalio.converter import default as default_converter

from dagent_gen.runtime.messages import ChatMessage, ModelReply
from dagent_gen.runtime.structured_output import (
    MAX_ERRORS,
    OutputSpec,
    output_problem,
    parse_output,
)


class Item(BaseModel):
    name: str
    price: float = Field(ge=0)


class Report(BaseModel):
    title: str
    items: list[Item]
    note: str | None = None

    @field_validator("title")
    @classmethod
    def not_shouting(cls, value: str) -> str:
        if value.isupper():
            raise ValueError("the title must not be all capitals")
        return value


VALID = '{"title": "Prices", "items": [{"name": "tea", "price": 2.5}], "note": null}'


def test_a_valid_answer_has_no_problem_and_parses_to_its_object() -> None:
    assert output_problem(Report, VALID) is None
    assert parse_output(VALID) == json.loads(VALID)


def test_validation_errors_name_the_path_and_what_is_wrong() -> None:
    answer = '{"title": "x", "items": [{"name": "tea", "price": -1}, {"price": 1}]}'
    problem = output_problem(Report, answer)
    assert problem is not None
    assert problem.startswith("Your answer is not a valid Report object. ")
    assert "The answer has 2 validation errors:" in problem  # a missing note is no error
    assert "- items[0].price: Input should be greater than or equal to 0" in problem
    assert "- items[1].name: Field required" in problem
    assert problem.endswith("Answer again with only the corrected Report JSON object.")


def test_the_models_own_validators_run() -> None:
    problem = output_problem(Report, '{"title": "LOUD", "items": []}')
    assert problem is not None and "the title must not be all capitals" in problem


def test_json_mode_validation_accepts_what_json_spells() -> None:
    class Dated(BaseModel):
        day: date

    assert output_problem(Dated, '{"day": "2024-05-01"}') is None


def test_not_json_not_an_object_and_empty_answers_are_problems() -> None:
    not_json = output_problem(Report, "Here is the report: {")
    assert not_json is not None and "not valid JSON" in not_json
    array = output_problem(Report, "[1, 2]")
    assert array is not None and "not an object (a list)" in array
    for empty in (None, "", "  \n"):
        problem = output_problem(Report, empty)
        assert problem is not None and "The answer is empty." in problem


def test_many_errors_are_cut_to_a_readable_list() -> None:
    class Many(BaseModel):
        values: list[int]

    problem = output_problem(Many, json.dumps({"values": ["x"] * 50}))
    assert problem is not None
    assert problem.count("\n- ") == MAX_ERRORS + 1
    assert f"... and {50 - MAX_ERRORS} more" in problem


def test_parse_output_gives_none_for_anything_but_an_object() -> None:
    assert parse_output(None) is None
    assert parse_output("nope") is None
    assert parse_output("[1]") is None


def test_the_spec_is_requested_only_for_its_choices() -> None:
    spec = OutputSpec(Report, {"type": "json_schema"}, ("none",))
    assert spec.requested("none")
    assert not spec.requested("auto") and not spec.requested("write_todos")
    assert spec.problem(VALID) is None


def test_the_reply_carries_the_problem_to_the_workflow() -> None:
    converter = default_converter().payload_converter
    message = ChatMessage(role="assistant", content="{}")
    reply = ModelReply.of(message, None, "Your answer is not valid.")
    payload = converter.to_payloads([reply])[0]
    decoded = converter.from_payloads([payload], [ModelReply])[0]
    assert decoded.invalid == "Your answer is not valid."
    assert decoded.message() == message
    old = converter.from_payloads([converter.to_payloads([{"content": "x"}])[0]], [ModelReply])
    assert old[0].invalid is None  # replies recorded before the field existed
