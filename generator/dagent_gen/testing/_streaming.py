"""A Chat Completions answer as the server-sent events the real API streams (``stream: true``).

:func:`completion_chunks` cuts a complete ``chat.completion`` body into
``chat.completion.chunk`` objects the way the service does: a first delta with the role, the
content one word at a time, each tool call as a delta with its ``index``, ``id``, ``type`` and
name followed by deltas with pieces of its arguments, a last delta with the ``finish_reason``,
and, when the request asked for ``stream_options: {"include_usage": true}``, a final chunk with
no choices and the usage (every other chunk then carries ``"usage": null``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

JsonObject = dict[str, Any]

ARGUMENT_PIECE = 8  # characters of tool-call arguments per delta
_WORD = re.compile(r"\s*\S+\s*|\s+")


def wants_usage(request: JsonObject) -> bool:
    options = request.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def completion_chunks(completion: JsonObject, include_usage: bool) -> list[JsonObject]:
    """The chunks that stream ``completion`` (a ``chat.completion`` body)."""
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None
    chunks: list[JsonObject] = []
    for choice in completion["choices"]:
        for delta, finish in _deltas(choice["message"], choice["finish_reason"]):
            entry = {"index": choice["index"], "delta": delta, "logprobs": None}
            chunks.append({**base, "choices": [{**entry, "finish_reason": finish}]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": completion["usage"]})
    return chunks


def _deltas(message: JsonObject, finish_reason: str) -> Iterator[tuple[JsonObject, str | None]]:
    yield {"role": "assistant", "content": "", "refusal": None}, None
    for word in _WORD.findall(message.get("content") or ""):
        yield {"content": word}, None
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        head = {"name": function["name"], "arguments": ""}
        yield {"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                               "function": head}]}, None  # fmt: skip
        arguments = function["arguments"]
        for start in range(0, len(arguments), ARGUMENT_PIECE):
            piece = {"arguments": arguments[start : start + ARGUMENT_PIECE]}
            yield {"tool_calls": [{"index": index, "function": piece}]}, None
    yield {}, finish_reason


def sse(chunk: JsonObject | None) -> bytes:
    """One server-sent event: ``data: <json>``, or ``data: [DONE]`` for ``None``."""
    data = "[DONE]" if chunk is None else json.dumps(chunk)
    return f"data: {data}\n\n".encode()
