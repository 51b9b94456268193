"""Tool activities: arguments validated (defaults materialised), results always text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import pydantic
import pytest
from temporalio.converter import default as default_converter
from temporalio.exceptions import ApplicationError

from dagent_gen.runtime import tool_support
from dagent_gen.runtime.conversation import CACHE, text_digest
from dagent_gen.runtime.tool_support import arguments_adapter, to_observation, validate_arguments


class Colour(Enum):
    RED = "red"


class Box(pydantic.BaseModel):
    size: int


@dataclass
class Point:
    x: int


def typed(colour: Colour, box: Box, point: Point, count: int = 2) -> str:
    return f"{colour!r} {box!r} {point!r} {count}"


def test_arguments_are_validated_against_the_signature() -> None:
    adapter = arguments_adapter(typed)
    values = validate_arguments(
        "tool", adapter, {"colour": "red", "box": {"size": 3}, "point": {"x": 1}}
    )
    assert values == {"colour": Colour.RED, "box": Box(size=3), "point": Point(x=1)}
    with pytest.raises(ApplicationError) as raised:
        validate_arguments("tool", adapter, {"colour": "blue", "box": {}, "extra": 1})
    assert raised.value.non_retryable and raised.value.type == "InvalidArguments"
    for problem in ("colour:", "box.size: Field required", "point: Field required", "extra:"):
        assert problem in raised.value.message


def with_field_defaults(
    n: int = pydantic.Field(default=3, ge=1),
    tags: list[str] = pydantic.Field(default_factory=list),  # noqa: B008 (the case under test)
    s: str = None,  # type: ignore[assignment]  # noqa: RUF013 (the case under test)
    k: int | None = None,
) -> str:
    return f"{n} {tags} {s} {k}"


def test_omitted_arguments_get_their_pydantic_defaults() -> None:
    adapter = arguments_adapter(with_field_defaults)
    values = validate_arguments("tool", adapter, {})
    assert with_field_defaults(**values) == "3 [] None None"  # not a FieldInfo
    assert validate_arguments("tool", adapter, {"n": 5})["n"] == 5
    with pytest.raises(ApplicationError, match="n: Input should be greater than or equal to 1"):
        validate_arguments("tool", adapter, {"n": 0})


def test_null_is_accepted_where_the_default_is_none() -> None:
    adapter = arguments_adapter(with_field_defaults)
    values = validate_arguments("tool", adapter, {"s": None, "k": None})
    assert with_field_defaults(**values) == "3 [] None None"
    assert validate_arguments("tool", adapter, {"s": "text"})["s"] == "text"


def test_observations_are_text_and_capped() -> None:
    assert to_observation("plain") == "plain"
    assert to_observation(None) == "(no output)"
    assert to_observation([Box(size=1), Point(x=2), Colour.RED]) == '[{"size":1},{"x":2},"red"]'
    cut = to_observation("z" * 150, 100)
    assert cut.startswith("z" * 100) and cut.endswith("[output truncated: 50 more characters]")


@pytest.mark.parametrize("char", ["z", "\u00e9", "\u4e2d", "\U0001f600", "\x00"])
def test_any_result_at_the_largest_limit_fits_one_payload(char: str) -> None:
    converter = default_converter().payload_converter
    text = to_observation(char * 600_000, 500_000)  # max_output_chars allows up to 500,000
    assert len(converter.to_payloads([text])[0].data) <= 1_000_000  # Temporal's limit: 2 MB
    assert text.startswith(char * 1000) and "[output truncated: " in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"caf\xc3\xa9", "café"),
        (b"\x80\xff", "\ufffd\ufffd"),
        (bytearray(b"ok"), "ok"),
        ({"when": object}, '{"when":"<class \'object\'>"}'),
    ],
)
def test_any_result_becomes_text(value: Any, expected: str) -> None:
    assert to_observation(value) == expected


def test_a_result_that_cannot_become_text_fails_without_retry() -> None:
    with pytest.raises(ApplicationError) as raised:
        to_observation({"data": b"\x80"})
    assert raised.value.non_retryable and raised.value.type == "UnserializableResult"


def test_observations_are_remembered_for_the_next_model_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remembered: list[str] = []
    monkeypatch.setattr(CACHE, "remember_text", remembered.append)
    text = tool_support.to_observation("z" * 150, 100)
    assert remembered == [text] and text_digest(text)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_a_result_whose_str_raises_fails_without_retry() -> None:
    with pytest.raises(ApplicationError) as raised:
        to_observation([Unprintable()])
    assert raised.value.non_retryable and "no text for you" in raised.value.message
