"""Strict validation of Chat Completions request bodies, modelled on the real OpenAI API.

The checks follow the rules the hosted service enforces (unknown arguments, message
shapes per role, tool-call/tool-message pairing, tool definitions, ``tool_choice``, and
the types and ranges of the common sampling parameters). Every violation raises
:class:`RequestError`, which carries an OpenAI-style ``message`` / ``param`` / ``code``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["RequestError", "validate_chat_request"]


class RequestError(Exception):
    """A request the real API would reject; rendered as an OpenAI error body."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


_TOP_LEVEL_KEYS = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "parallel_tool_calls",
        "n",
        "stop",
        "seed",
        "user",
        "response_format",
        "metadata",
        "store",
        "stream",
        "stream_options",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "reasoning_effort",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "prompt_cache_options",
        "moderation",
        "functions",
        "function_call",
        "modalities",
        "audio",
        "prediction",
        "verbosity",
        "web_search_options",
    }
)

_COMMON_FIELDS = frozenset({"role", "content", "name"})
_ROLE_FIELDS: dict[str, frozenset[str]] = {
    "system": _COMMON_FIELDS,
    "developer": _COMMON_FIELDS,
    "user": _COMMON_FIELDS,
    "assistant": _COMMON_FIELDS | {"tool_calls", "refusal", "audio", "function_call"},
    "tool": frozenset({"role", "content", "tool_call_id"}),
}
_PART_TYPES: dict[str, frozenset[str]] = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "user": frozenset({"text", "image_url", "input_audio", "file"}),
    "assistant": frozenset({"text", "refusal"}),
    "tool": frozenset({"text"}),
}
_TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TOOL_CHOICE_MODES = ("none", "auto", "required")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_in(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: _is_number(v) and low <= v <= high


def _int_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: _is_int(v) and low <= v <= high


def _one_of(*values: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and v in values


def _is_stop(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (
        isinstance(value, list)
        and 1 <= len(value) <= 4
        and all(isinstance(item, str) for item in value)
    )


def _is_metadata(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _is_response_format(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    kind = value.get("type")
    if kind == "json_schema":
        return isinstance(value.get("json_schema"), dict)
    return kind in ("text", "json_object")


# name -> (check, human description of the expected value). ``null`` is always allowed.
_SCALARS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_number_in(0, 2), "a number between 0 and 2"),
    "top_p": (_number_in(0, 1), "a number between 0 and 1"),
    "frequency_penalty": (_number_in(-2, 2), "a number between -2 and 2"),
    "presence_penalty": (_number_in(-2, 2), "a number between -2 and 2"),
    "max_tokens": (_int_in(1, 10**9), "an integer >= 1"),
    "max_completion_tokens": (_int_in(1, 10**9), "an integer >= 1"),
    "n": (_int_in(1, 128), "an integer between 1 and 128"),
    "seed": (_is_int, "an integer"),
    "top_logprobs": (_int_in(0, 20), "an integer between 0 and 20"),
    "parallel_tool_calls": (lambda v: isinstance(v, bool), "a boolean"),
    "store": (lambda v: isinstance(v, bool), "a boolean"),
    "stream": (lambda v: isinstance(v, bool), "a boolean"),
    "logprobs": (lambda v: isinstance(v, bool), "a boolean"),
    "user": (lambda v: isinstance(v, str), "a string"),
    "safety_identifier": (lambda v: isinstance(v, str), "a string"),
    "prompt_cache_key": (lambda v: isinstance(v, str), "a string"),
    "prompt_cache_retention": (_one_of("in_memory", "24h"), "one of 'in_memory', '24h'"),
    "stop": (_is_stop, "a string or a list of 1 to 4 strings"),
    "metadata": (_is_metadata, "an object mapping strings to strings"),
    "response_format": (_is_response_format, "a valid response_format object"),
    "stream_options": (lambda v: isinstance(v, dict), "an object"),
    "logit_bias": (lambda v: isinstance(v, dict), "an object"),
    "reasoning_effort": (
        _one_of("none", "minimal", "low", "medium", "high", "xhigh", "max"),
        "one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'",
    ),
    "service_tier": (
        _one_of("auto", "default", "flex", "scale", "priority", "fast"),
        "one of 'auto', 'default', 'flex', 'scale', 'priority', 'fast'",
    ),
    "verbosity": (_one_of("low", "medium", "high"), "one of 'low', 'medium', 'high'"),
}


def validate_chat_request(body: Any) -> None:
    """Raise :class:`RequestError` if ``body`` is not a valid Chat Completions request."""
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    for key in body:
        if key not in _TOP_LEVEL_KEYS:
            raise RequestError(f"Unrecognized request argument supplied: {key}", param=key)
    if "model" not in body:
        raise RequestError("Missing required parameter: 'model'.", param="model")
    if not isinstance(body["model"], str) or not body["model"]:
        raise RequestError("Invalid type for 'model': expected a non-empty string.", param="model")
    _validate_messages(body.get("messages"))
    for name, (check, expected) in _SCALARS.items():
        value = body.get(name)
        if value is not None and not check(value):
            raise RequestError(
                f"Invalid value for '{name}': expected {expected}, got {value!r}.",
                param=name,
                code="invalid_value",
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
    tool_names = _validate_tools(body.get("tools"))
    _validate_tool_choice(body.get("tool_choice"), tool_names)
    if body.get("parallel_tool_calls") is not None and tool_names is None:
        raise RequestError(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed "
            "when 'tools' are specified.",
            param="parallel_tool_calls",
        )


def _validate_messages(messages: Any) -> None:
    if messages is None:
        raise RequestError("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list):
        raise RequestError("Invalid type for 'messages': expected an array.", param="messages")
    if not messages:
        raise RequestError(
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            param="messages",
            code="empty_array",
        )
    expected: set[str] | None = None  # tool_call ids still to be answered
    answered: set[str] = set()
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        _validate_message(message, path)
        role = message["role"]
        if role == "tool":
            call_id = message["tool_call_id"]
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
            continue
        _check_all_answered(expected, answered, index)
        expected = None
        if role == "assistant" and message.get("tool_calls"):
            expected = {tc["id"] for tc in message["tool_calls"]}
            answered = set()
    _check_all_answered(expected, answered, len(messages))


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


def _validate_message(message: Any, path: str) -> None:
    if not isinstance(message, dict):
        raise RequestError(f"Invalid type for '{path}': expected an object.", param=path)
    role = message.get("role")
    if role is None:
        raise RequestError(f"Missing required parameter: '{path}.role'.", param=f"{path}.role")
    if role not in _ROLE_FIELDS:
        raise RequestError(
            f"Invalid value: {role!r}. Supported values are: 'system', 'developer', 'user', "
            "'assistant', and 'tool'.",
            param=f"{path}.role",
            code="invalid_value",
        )
    for key in message:
        if key not in _ROLE_FIELDS[role]:
            raise RequestError(
                f"Unrecognized parameter '{path}.{key}' for a message with role '{role}'.",
                param=f"{path}.{key}",
            )
    if "name" in message and not isinstance(message["name"], str):
        raise RequestError(
            f"Invalid type for '{path}.name': expected a string.", param=f"{path}.name"
        )
    has_calls = role == "assistant" and (
        message.get("tool_calls") is not None or message.get("function_call") is not None
    )
    content = message.get("content")
    if content is None and not has_calls:
        raise RequestError(
            f"Missing required parameter: '{path}.content'.", param=f"{path}.content"
        )
    if content is not None:
        _validate_content(content, f"{path}.content", _PART_TYPES[role])
    if role == "tool":
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise RequestError(
                f"Missing or invalid required parameter: '{path}.tool_call_id'.",
                param=f"{path}.tool_call_id",
            )
    if role == "assistant" and message.get("tool_calls") is not None:
        _validate_tool_calls(message["tool_calls"], f"{path}.tool_calls")


def _validate_content(content: Any, path: str, part_types: frozenset[str]) -> None:
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise RequestError(
            f"Invalid type for '{path}': expected a string or an array of content parts.",
            param=path,
        )
    if not content:
        raise RequestError(
            f"Invalid '{path}': empty array. Expected an array with minimum length 1.",
            param=path,
            code="empty_array",
        )
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in part_types:
            raise RequestError(
                f"Invalid value for '{part_path}.type': {kind!r}. Supported values are: "
                + ", ".join(repr(t) for t in sorted(part_types))
                + ".",
                param=f"{part_path}.type",
                code="invalid_value",
            )
        if kind in ("text", "refusal") and not isinstance(part.get(kind), str):
            raise RequestError(
                f"Missing or invalid '{part_path}.{kind}': expected a string.",
                param=f"{part_path}.{kind}",
            )


def _validate_tool_calls(tool_calls: Any, path: str) -> None:
    if not isinstance(tool_calls, list):
        raise RequestError(f"Invalid type for '{path}': expected an array.", param=path)
    if not tool_calls:
        raise RequestError(
            f"Invalid '{path}': empty array. Expected an array with minimum length 1.",
            param=path,
            code="empty_array",
        )
    seen: set[str] = set()
    for index, tool_call in enumerate(tool_calls):
        tc_path = f"{path}[{index}]"
        if not isinstance(tool_call, dict):
            raise RequestError(f"Invalid type for '{tc_path}': expected an object.", param=tc_path)
        extra = set(tool_call) - {"id", "type", "function"}
        if extra:
            raise RequestError(
                f"Unrecognized parameter '{tc_path}.{sorted(extra)[0]}'.", param=tc_path
            )
        call_id = tool_call.get("id")
        if not isinstance(call_id, str) or not call_id:
            raise RequestError(
                f"Missing or invalid required parameter: '{tc_path}.id'.", param=f"{tc_path}.id"
            )
        if call_id in seen:
            raise RequestError(f"Duplicate tool_call id {call_id!r}.", param=f"{tc_path}.id")
        seen.add(call_id)
        if tool_call.get("type") != "function":
            raise RequestError(
                f"Invalid value for '{tc_path}.type': expected 'function'.",
                param=f"{tc_path}.type",
                code="invalid_value",
            )
        function = tool_call.get("function")
        if (
            not isinstance(function, dict)
            or set(function) - {"name", "arguments"}
            or not isinstance(function.get("name"), str)
            or not isinstance(function.get("arguments"), str)
        ):
            raise RequestError(
                f"Invalid '{tc_path}.function': expected an object with string 'name' and "
                "string 'arguments'.",
                param=f"{tc_path}.function",
            )


def _validate_tools(tools: Any) -> list[str] | None:
    """Validate ``tools``; return the declared function names (``None`` when absent)."""
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise RequestError("Invalid type for 'tools': expected an array.", param="tools")
    if not tools:
        raise RequestError(
            "Invalid 'tools': empty array. Expected an array with minimum length 1.",
            param="tools",
            code="empty_array",
        )
    names: list[str] = []
    for index, tool in enumerate(tools):
        path = f"tools[{index}]"
        if not isinstance(tool, dict) or set(tool) - {"type", "function"}:
            raise RequestError(
                f"Invalid '{path}': expected an object with keys 'type' and 'function'.",
                param=path,
            )
        if tool.get("type") != "function":
            raise RequestError(
                f"Invalid value for '{path}.type': {tool.get('type')!r}. Supported values "
                "are: 'function'.",
                param=f"{path}.type",
                code="invalid_value",
            )
        function = tool.get("function")
        if not isinstance(function, dict):
            raise RequestError(
                f"Missing required parameter: '{path}.function'.", param=f"{path}.function"
            )
        _validate_function_definition(function, f"{path}.function")
        name = function["name"]
        if name in names:
            raise RequestError(
                f"Invalid 'tools': duplicate function name {name!r}.", param=f"{path}.function"
            )
        names.append(name)
    return names


def _validate_function_definition(function: Mapping[str, Any], path: str) -> None:
    extra = set(function) - {"name", "description", "parameters", "strict"}
    if extra:
        raise RequestError(
            f"Unrecognized parameter '{path}.{sorted(extra)[0]}'.",
            param=f"{path}.{sorted(extra)[0]}",
        )
    name = function.get("name")
    if not isinstance(name, str) or not _TOOL_NAME_RE.match(name):
        raise RequestError(
            f"Invalid '{path}.name': string does not match pattern. Expected a string that "
            f"matches the pattern '^[a-zA-Z0-9_-]{{1,64}}$' (got {name!r}).",
            param=f"{path}.name",
            code="invalid_value",
        )
    if "description" in function and not isinstance(function["description"], str):
        raise RequestError(
            f"Invalid type for '{path}.description': expected a string.",
            param=f"{path}.description",
        )
    if "strict" in function and not isinstance(function["strict"], bool | None):
        raise RequestError(
            f"Invalid type for '{path}.strict': expected a boolean.", param=f"{path}.strict"
        )
    if "parameters" in function:
        parameters = function["parameters"]
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            got = parameters.get("type") if isinstance(parameters, dict) else type(parameters)
            raise RequestError(
                f"Invalid schema for function {name!r}: schema must be a JSON Schema of "
                f"'type: \"object\"', got 'type: \"{got}\"'.",
                param=f"{path}.parameters",
                code="invalid_function_parameters",
            )


def _validate_tool_choice(choice: Any, tool_names: list[str] | None) -> None:
    if choice is None:
        return
    if tool_names is None:
        raise RequestError(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            param="tool_choice",
        )
    if isinstance(choice, str):
        if choice not in _TOOL_CHOICE_MODES:
            raise RequestError(
                f"Invalid value for 'tool_choice': {choice!r}. Supported values are: 'none', "
                "'auto', and 'required'.",
                param="tool_choice",
                code="invalid_value",
            )
        return
    function = choice.get("function") if isinstance(choice, dict) else None
    if (
        not isinstance(choice, dict)
        or choice.get("type") != "function"
        or set(choice) - {"type", "function"}
        or not isinstance(function, dict)
        or not isinstance(function.get("name"), str)
    ):
        raise RequestError(
            "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
            '{"type": "function", "function": {"name": ...}}.',
            param="tool_choice",
        )
    if function["name"] not in tool_names:
        raise RequestError(
            f"Invalid value for 'tool_choice': function {function['name']!r} is not one of "
            "the provided 'tools'.",
            param="tool_choice",
        )
