"""The replies a :class:`~dagent_gen.testing.ScriptedModelServer` script is made of.

:func:`text`, :func:`tool_calls` with :func:`call`, :func:`http_error` and :func:`respond` build
them; the server renders each as an OpenAI Chat Completions response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One function call inside a :func:`tool_calls` reply; ``arguments`` is sent verbatim.

    ``id`` fixes the call's id (a backend that reuses ids); by default each call gets a new one.
    """

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True)
class TextReply:
    """An assistant message with text content (``finish_reason="stop"``).

    ``chunk_delay``: seconds between two chunks when the request streams (``stream: true``).
    """

    content: str
    agent: str | None = None
    usage: tuple[int, int] | None = None
    """``(prompt_tokens, completion_tokens)`` to report; ``None``: estimated from the text."""
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class ToolCallsReply:
    """An assistant message with tool calls (``finish_reason="tool_calls"``); ``chunk_delay``
    as for :class:`TextReply`."""

    calls: tuple[ToolCall, ...]
    content: str | None = None
    agent: str | None = None
    usage: tuple[int, int] | None = None
    """``(prompt_tokens, completion_tokens)`` to report; ``None``: estimated from the text."""
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class HttpErrorReply:
    """An HTTP error answer with an OpenAI error body and optional retry headers."""

    status: int
    message: str
    retry_after: float | None = None
    retry_after_ms: float | None = None
    agent: str | None = None


@dataclass(frozen=True)
class DynamicReply:
    """A reply computed at request time by ``fn(request_json)``."""

    fn: Callable[[JsonObject], Reply] = field(repr=False)
    agent: str | None = None


Reply = TextReply | ToolCallsReply | HttpErrorReply | DynamicReply
"""Anything the script can contain."""


def text(
    content: str,
    *,
    agent: str | None = None,
    usage: tuple[int, int] | None = None,
    chunk_delay: float = 0.0,
) -> TextReply:
    """An assistant text reply. ``agent``: substring of the first system/developer message;
    ``usage``: the ``(prompt_tokens, completion_tokens)`` the reply reports; ``chunk_delay``:
    seconds between two chunks of a streamed answer (one chunk per word)."""
    if chunk_delay < 0:
        raise ValueError("chunk_delay must be >= 0")
    return TextReply(content=content, agent=agent, usage=usage, chunk_delay=chunk_delay)


def call(name: str, arguments: Mapping[str, Any] | str, *, id: str | None = None) -> ToolCall:
    """A tool call for :func:`tool_calls`; a ``str`` ``arguments`` is sent verbatim (may be bad JSON)."""
    args = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
    return ToolCall(name=name, arguments=args, id=id)


def tool_calls(
    *calls: ToolCall,
    agent: str | None = None,
    content: str | None = None,
    usage: tuple[int, int] | None = None,
    chunk_delay: float = 0.0,
) -> ToolCallsReply:
    """An assistant reply carrying one or more tool calls (ids ``call_1``, ``call_2``, ...);
    ``usage`` as for :func:`text`."""
    if not calls:
        raise ValueError("tool_calls() needs at least one call(...)")
    if chunk_delay < 0:
        raise ValueError("chunk_delay must be >= 0")
    return ToolCallsReply(
        calls=tuple(calls), content=content, agent=agent, usage=usage, chunk_delay=chunk_delay
    )


def http_error(
    status: int,
    *,
    message: str = "Scripted error from ScriptedModelServer",
    retry_after: float | None = None,
    retry_after_ms: float | None = None,
    agent: str | None = None,
) -> HttpErrorReply:
    """Answer with HTTP ``status``, an OpenAI error body and ``retry-after(-ms)`` headers if given."""
    if not 400 <= status <= 599:
        raise ValueError(f"http_error status must be 4xx or 5xx, got {status}")
    return HttpErrorReply(status, message, retry_after, retry_after_ms, agent)


def respond(fn: Callable[[JsonObject], Reply], *, agent: str | None = None) -> DynamicReply:
    """A reply computed by ``fn(request_json)``, which returns any other reply."""
    return DynamicReply(fn=fn, agent=agent)


def _text_of(content: Any) -> str:
    """The plain text of a message ``content`` (a string or a list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""
