"""Strict validation of Chat Completions request bodies, modelled on the real OpenAI API.

The *shapes* (which keys exist, their types, the message kinds per role, tool and tool-call
objects, ``tool_choice``) are checked against the request types the installed ``openai``
package ships (``CompletionCreateParamsNonStreaming``, ``CompletionCreateParamsStreaming`` when
``stream`` is true, and ``ChatCompletionMessageParam``, TypedDicts validated by pydantic with
unknown keys forbidden), so they follow the API as ``openai`` is upgraded instead of drifting
from a hand-kept key list.

What the types cannot say stays here, written by hand on purpose:

* rules across messages: every ``tool_calls`` entry answered by exactly one tool message,
  no tool message without a preceding call, unique tool-call ids;
* rules across fields: ``tool_choice`` / ``parallel_tool_calls`` need ``tools``, a named
  ``tool_choice`` must be one of them, ``stream_options`` needs ``stream``, ``top_logprobs``
  needs ``logprobs``;
* values the API documents but the types leave open: numeric ranges, non-empty arrays, the
  tool-name pattern, unique tool names, ``parameters`` being an object schema, an assistant
  message having content or tool calls;
* ``response_format``: the schema name's pattern and what a strict schema may be
  (``_response_format.py``).

Every violation raises :class:`RequestError`, which carries an OpenAI-style ``message`` /
``param`` / ``code``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from openai.types.chat import ChatCompletionMessageParam
from openai.types.chat.completion_create_params import (
    CompletionCreateParamsNonStreaming,
    CompletionCreateParamsStreaming,
)
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from dagent_gen.testing._errors import RequestError
from dagent_gen.testing._response_format import check_response_format

__all__ = ["RequestError", "validate_chat_request"]


# pydantic refuses a config on a TypedDict itself, so the TypedDicts are wrapped in a list;
# the config reaches every nested TypedDict. strict: the API does not turn "0.5" into 0.5.
_STRICT = ConfigDict(extra="forbid", strict=True)
_REQUEST = TypeAdapter(list[CompletionCreateParamsNonStreaming], config=_STRICT)
_STREAMING_REQUEST = TypeAdapter(list[CompletionCreateParamsStreaming], config=_STRICT)
# The request type lists messages as a plain union; picking the member by ``role`` gives one
# precise error instead of one per role.
_MESSAGES = TypeAdapter(
    list[Annotated[ChatCompletionMessageParam, Field(discriminator="role")]], config=_STRICT
)

_TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Documented limits the types leave open: name -> (lowest, highest or None).
_RANGES: dict[str, tuple[float, float | None]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "frequency_penalty": (-2, 2),
    "presence_penalty": (-2, 2),
    "max_tokens": (1, None),
    "max_completion_tokens": (1, None),
    "n": (1, 128),
    "top_logprobs": (0, 20),
}
# Request fields that must not be sent together with an empty array.
_NON_EMPTY = ("messages", "tools")


def validate_chat_request(body: Any) -> None:
    """Raise :class:`RequestError` if ``body`` is not a valid Chat Completions request."""
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    _check_shapes(body)
    _check_values(body)
    _check_messages(body["messages"])
    tool_names = _check_tools(body.get("tools"))
    _check_tool_options(body, tool_names)
    check_response_format(body)


# --- shapes: the openai package's request types ----------------------------------------------


def _check_shapes(body: dict[str, Any]) -> None:
    """Validate ``body`` against the ``openai`` request types, reporting the first error."""
    for name in _NON_EMPTY:
        if body.get(name) == []:
            raise RequestError(
                f"Invalid '{name}': empty array. Expected an array with minimum length 1.",
                param=name,
                code="empty_array",
            )
    if "messages" in body and not isinstance(body["messages"], list):
        # A string is an ``Iterable`` too; the API wants a JSON array.
        raise RequestError("Invalid type for 'messages': expected an array.", param="messages")
    try:
        adapter = _STREAMING_REQUEST if body.get("stream") is True else _REQUEST
        request = adapter.validate_python([body])[0]
        # The messages are checked below, one role at a time.
        _force({k: v for k, v in request.items() if k != "messages"}, ())
    except _LazyError as lazy:
        raise _shape_error(body, lazy.error, lazy.path) from None
    except ValidationError as exc:
        raise _shape_error(body, exc.errors()[0], (), skip_first=True) from None
    try:
        _force(_MESSAGES.validate_python(body["messages"]), ("messages",))
    except _LazyError as lazy:
        raise _shape_error(body, lazy.error, lazy.path) from None
    except ValidationError as exc:
        raise _shape_error(body, exc.errors()[0], ("messages",)) from None


class _LazyError(Exception):
    """A validation error raised while consuming an ``Iterable`` field, with its place."""

    def __init__(self, error: ErrorDetails, path: tuple[str | int, ...]) -> None:
        super().__init__(error["msg"])
        self.error, self.path = error, path


def _force(value: Any, path: tuple[str | int, ...]) -> None:
    """Consume the iterators pydantic returns for ``Iterable[...]`` fields.

    The openai types declare arrays as ``Iterable``, which pydantic validates lazily: an item
    is only checked when it is read. Reading them all here makes the check complete.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            _force(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _force(item, (*path, index))
    elif hasattr(value, "__next__"):
        try:
            items = list(value)
        except ValidationError as exc:
            raise _LazyError(exc.errors()[0], path) from None
        for index, item in enumerate(items):
            _force(item, (*path, index))


def _shape_error(
    body: dict[str, Any],
    error: ErrorDetails,
    path: tuple[str | int, ...],
    *,
    skip_first: bool = False,
) -> RequestError:
    """An OpenAI-style error for one pydantic error at ``path`` + its location."""
    loc = error["loc"][1:] if skip_first else error["loc"]  # [0]: the wrapping list's index
    param = _param_path(body, (*path, *loc))
    kind = error["type"]
    if kind == "extra_forbidden" and "." not in param and "[" not in param:
        return RequestError(f"Unrecognized request argument supplied: {param}", param=param)
    if kind == "extra_forbidden":
        return RequestError(f"Unrecognized parameter '{param}'.", param=param)
    if kind == "union_tag_not_found":  # only messages are told apart by a tag: ``role``
        param, kind = f"{param}.role", "missing"
    if kind == "missing":
        return RequestError(f"Missing required parameter: '{param}'.", param=param)
    if kind == "union_tag_invalid":
        return RequestError(
            f"Invalid value for '{param}.role': {error['msg']}",
            param=f"{param}.role",
            code="invalid_value",
        )
    return RequestError(
        f"Invalid value for '{param}': {error['msg']} (got {error.get('input')!r}).",
        param=param,
        code="invalid_value",
    )


def _param_path(body: Any, loc: Sequence[str | int]) -> str:
    """``messages[2].content`` for a pydantic location, without the union-member labels.

    pydantic puts the name of the union member it tried (a TypedDict class name, or the
    discriminator value) into the location; those are the parts that are not keys of the
    input at that point, except a key missing from an object at the very end.
    """
    text, current = "", body
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int) and isinstance(current, list) and part < len(current):
            text, current = f"{text}[{part}]", current[part]
        elif isinstance(current, dict) and isinstance(part, str) and (part in current or last):
            text = f"{text}.{part}" if text else part
            current = current.get(part) if isinstance(current, dict) else None
    return text


# --- values the types leave open ------------------------------------------------------------


def _check_values(body: dict[str, Any]) -> None:
    for name, (low, high) in _RANGES.items():
        value = body.get(name)
        if value is not None and (value < low or (high is not None and value > high)):
            expected = f"between {low} and {high}" if high is not None else f">= {low}"
            raise RequestError(
                f"Invalid value for '{name}': expected a number {expected}, got {value!r}.",
                param=name,
                code="invalid_value",
            )
    stop = body.get("stop")
    if isinstance(stop, list) and not 1 <= len(stop) <= 4:
        raise RequestError(
            "Invalid value for 'stop': expected a string or 1 to 4 strings.", param="stop"
        )
    if body.get("stream_options") is not None and body.get("stream") is not True:
        raise RequestError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    if body.get("top_logprobs") is not None and body.get("logprobs") is not True:
        raise RequestError(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true.",
            param="top_logprobs",
        )


# --- rules across messages ------------------------------------------------------------------


def _check_messages(messages: list[dict[str, Any]]) -> None:
    """Pair every tool call with exactly one tool message right after its assistant message."""
    expected: set[str] | None = None  # tool_call ids still to be answered
    answered: set[str] = set()
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        _check_message_values(message, path)
        if message["role"] == "tool":
            _check_tool_answer(message["tool_call_id"], expected, answered, path)
            continue
        _check_all_answered(expected, answered, index)
        expected = None
        if message["role"] == "assistant" and message.get("tool_calls"):
            expected = _tool_call_ids(message["tool_calls"], f"{path}.tool_calls")
            answered = set()
    _check_all_answered(expected, answered, len(messages))


def _check_message_values(message: dict[str, Any], path: str) -> None:
    content = message.get("content")
    if (
        message["role"] == "assistant"
        and content is None
        and not (message.get("tool_calls") or message.get("function_call"))
    ):
        raise RequestError(
            f"Missing required parameter: '{path}.content'.", param=f"{path}.content"
        )
    for name in ("content", "tool_calls"):
        if message.get(name) == []:
            raise RequestError(
                f"Invalid '{path}.{name}': empty array. Expected an array with minimum length 1.",
                param=f"{path}.{name}",
                code="empty_array",
            )


def _tool_call_ids(tool_calls: list[dict[str, Any]], path: str) -> set[str]:
    ids: set[str] = set()
    for index, tool_call in enumerate(tool_calls):
        call_id = tool_call["id"]
        if not call_id or call_id in ids:
            raise RequestError(
                f"Invalid '{path}[{index}].id': empty or duplicate tool_call id {call_id!r}.",
                param=f"{path}[{index}].id",
            )
        ids.add(call_id)
    return ids


def _check_tool_answer(
    call_id: str, expected: set[str] | None, answered: set[str], path: str
) -> None:
    if expected is None or call_id not in expected:
        raise RequestError(
            "Invalid parameter: messages with role 'tool' must be a response to a "
            f"preceeding message with 'tool_calls' (no tool call with id {call_id!r}).",
            param=f"{path}.role",
        )
    if call_id in answered:
        raise RequestError(
            f"Invalid parameter: tool_call_id {call_id!r} is answered more than once.",
            param=f"{path}.tool_call_id",
        )
    answered.add(call_id)


def _check_all_answered(expected: set[str] | None, answered: set[str], index: int) -> None:
    if expected is None:
        return
    missing = sorted(expected - answered)
    if missing:
        raise RequestError(
            "An assistant message with 'tool_calls' must be followed by tool messages "
            "responding to each 'tool_call_id'. The following tool_call_ids did not have "
            f"response messages: {', '.join(missing)}",
            param=f"messages[{index}].role" if index else "messages",
        )


# --- tools and the options that refer to them ----------------------------------------------


def _check_tools(tools: list[dict[str, Any]] | None) -> list[str] | None:
    """Check names and parameter schemas; return the declared tool names (None: no tools)."""
    if tools is None:
        return None
    names: list[str] = []
    for index, tool in enumerate(tools):
        path = f"tools[{index}].{tool['type']}"
        definition = tool[tool["type"]]
        name = definition["name"]
        if not _TOOL_NAME_RE.match(name):
            raise RequestError(
                f"Invalid '{path}.name': string does not match pattern. Expected a string that "
                f"matches the pattern '^[a-zA-Z0-9_-]{{1,64}}$' (got {name!r}).",
                param=f"{path}.name",
                code="invalid_value",
            )
        if name in names:
            raise RequestError(f"Invalid 'tools': duplicate function name {name!r}.", param=path)
        names.append(name)
        parameters = definition.get("parameters")
        if "parameters" in definition and parameters.get("type") != "object":
            raise RequestError(
                f"Invalid schema for function {name!r}: schema must be a JSON Schema of "
                f"'type: \"object\"', got 'type: \"{parameters.get('type')}\"'.",
                param=f"{path}.parameters",
                code="invalid_function_parameters",
            )
    return names


def _check_tool_options(body: dict[str, Any], tool_names: list[str] | None) -> None:
    for option in ("tool_choice", "parallel_tool_calls"):
        if body.get(option) is not None and tool_names is None:
            raise RequestError(
                f"Invalid value for '{option}': '{option}' is only allowed when 'tools' are "
                "specified.",
                param=option,
            )
    choice = body.get("tool_choice")
    if not isinstance(choice, dict) or choice.get("type") not in ("function", "custom"):
        return
    name = choice[choice["type"]]["name"]
    if tool_names is not None and name not in tool_names:
        raise RequestError(
            f"Invalid value for 'tool_choice': function {name!r} is not one of the provided "
            "'tools'.",
            param="tool_choice",
        )
