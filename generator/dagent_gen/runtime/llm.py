"""The ``call_model`` activity: one Chat Completions request per agent step.

The workflow passes digests of the conversation, not its messages (see ``conversation.py``):
this activity rebuilds the conversation from its per-process cache and reads what it lacks from
the workflow's ``messages`` query, so no message is copied into workflow history twice.

The request is sent with the client's low-level ``post``: ``chat.completions.create`` would run
every message through the SDK's request transform, whose cost grows with the conversation
(tens of milliseconds per call at a few hundred messages). Messages built here are already
plain JSON.

Retries belong to Temporal: the OpenAI client is created with ``max_retries=0``. HTTP 408, 409,
429 and 5xx answers are retried (honouring ``retry-after``); other 4xx answers and missing
configuration fail at once instead of retrying forever.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from temporalio import activity
from temporalio.exceptions import ApplicationError

from .agent_spec import AgentSpec
from .agents import AGENTS
from .conversation import CACHE
from .conversation import ConversationUnavailableError
from .loop_support import tool_call_ids
from .loop_support import with_unique_call_ids
from .messages import ChatMessage
from .messages import MessageWindow
from .messages import ModelReply
from .messages import ModelRequest
from .messages import ToolCall
from .messages import Usage

HEARTBEAT_EVERY = timedelta(seconds=5)
RETRYABLE_STATUS = frozenset({408, 409, 429})

_clients: dict[tuple[str | None, str], openai.AsyncOpenAI] = {}


@activity.defn(name="call_model")
async def call_model(request: ModelRequest) -> ModelReply:
    """Send the request's messages, exactly as the workflow holds them, to the agent's model."""
    spec = AGENTS[request.agent]
    messages = await _conversation(request)
    wire = _WIRE.messages(activity.info().workflow_id or "", messages)
    heartbeat = asyncio.create_task(_heartbeat())
    try:
        completion = await _request(spec, wire, request.tool_choice)
    finally:
        heartbeat.cancel()
    message, usage = _reply(completion)
    # a backend may reuse ids (``call_0`` every time): the workflow needs them unique
    message = with_unique_call_ids(message, tool_call_ids(messages))
    CACHE.remember_reply(message)  # the next request names it by digest
    return ModelReply.of(message, usage)


async def _request(spec: AgentSpec, messages: list[dict[str, Any]], tool_choice: str) -> Any:
    body: dict[str, Any] = {"model": spec.model, "messages": messages}
    if spec.tools:
        body["tools"] = list(spec.tools)
        body["tool_choice"] = _tool_choice(tool_choice)
    if spec.temperature is not None:
        body["temperature"] = spec.temperature
    if spec.max_tokens is not None:
        body["max_completion_tokens"] = spec.max_tokens
    try:
        return await _client(spec).post("/chat/completions", body=body, cast_to=ChatCompletion)
    except openai.APIStatusError as err:
        raise _status_error(err) from None
    except (openai.APIConnectionError, openai.APITimeoutError) as err:
        raise ApplicationError(
            f"model API unreachable: {err}", type="ModelAPIUnavailable"
        ) from None


def warm_up() -> None:
    """Create the model clients of every agent now, not in the first model call.

    The first client of a process imports the parts of openai and httpx it loads lazily and
    builds a TLS context (~0.5-0.7 s); the worker calls this when it starts, so no run pays for
    it. An agent whose API key is not set is skipped: its first model call reports that.
    """
    for spec in AGENTS.values():
        try:
            _client(spec)
        except Exception:  # never stop the worker: the first model call reports the problem
            continue


def _client(spec: AgentSpec) -> openai.AsyncOpenAI:
    api_key = os.environ.get(spec.api_key_env)
    if not api_key:
        raise ApplicationError(
            f"{spec.api_key_env} is not set in the worker's environment",
            type="ModelConfigurationError",
            non_retryable=True,
        )
    base_url = spec.base_url or os.environ.get("OPENAI_BASE_URL") or None
    key = (base_url, api_key)  # the environment may change (a rotated key): new client then
    if key not in _clients:
        _clients[key] = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0)
    return _clients[key]


def _tool_choice(choice: str) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _status_error(err: openai.APIStatusError) -> ApplicationError:
    status = err.status_code
    message = f"model API answered HTTP {status}: {err.message}"
    if status in RETRYABLE_STATUS or status >= 500:
        return ApplicationError(
            message,
            type="ModelAPIError",
            next_retry_delay=_retry_after(err.response.headers),
        )
    return ApplicationError(message, type="ModelRequestRejected", non_retryable=True)


def _retry_after(headers: Any) -> timedelta | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if 0 < seconds <= 600:
            return timedelta(seconds=seconds)
    return None


async def _conversation(request: ModelRequest) -> list[ChatMessage]:
    info = activity.info()
    if info.workflow_id is None or info.workflow_run_id is None:
        raise ApplicationError(
            "call_model runs only as an agent workflow's activity",
            type="ModelConfigurationError",
            non_retryable=True,
        )
    workflow_id, run_id = info.workflow_id, info.workflow_run_id

    async def fetch(start: int, end: int) -> list[ChatMessage]:
        handle = activity.client().get_workflow_handle(workflow_id, run_id=run_id)
        page: list[ChatMessage] = await handle.query(
            "messages", MessageWindow(start=start, end=end), result_type=list[ChatMessage]
        )
        return page

    try:
        # keyed by workflow id: a run continued-as-new finds its conversation still cached
        return await CACHE.conversation(workflow_id, request, fetch)
    except ConversationUnavailableError as err:
        raise ApplicationError(str(err), type="ConversationUnavailable") from None


async def _heartbeat() -> None:
    # the first beat after HEARTBEAT_EVERY: a model call shorter than that costs no heartbeat
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())
        activity.heartbeat()


class _WireCache:
    """Each workflow's messages as the request's JSON objects, kept between its model calls:
    a call converts only the messages that are new since the previous one (the conversation
    cache hands back the same message objects, which nothing changes in place)."""

    def __init__(self, runs: int = 512) -> None:
        self.runs = runs
        self._runs: OrderedDict[str, tuple[list[ChatMessage], list[dict[str, Any]]]] = OrderedDict()

    def messages(self, workflow_id: str, messages: list[ChatMessage]) -> list[dict[str, Any]]:
        old, wire = self._runs.pop(workflow_id, ([], []))
        same = 0
        for before, now in zip(old, messages, strict=False):
            if before is not now:
                break
            same += 1
        wire = wire[:same] + [_to_openai(message) for message in messages[same:]]
        self._runs[workflow_id] = (messages, wire)
        while len(self._runs) > self.runs:
            self._runs.popitem(last=False)
        return wire


_WIRE = _WireCache()


def _to_openai(message: ChatMessage) -> dict[str, Any]:
    content = None if message.content is None else _utf8(message.content)
    data: dict[str, Any] = {"role": message.role, "content": content}
    if message.tool_calls:
        data["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _utf8(call.arguments)},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        data["tool_call_id"] = message.tool_call_id
    return data


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> str:
    """``text`` without lone surrogates (a tool's text decoded with ``surrogateescape``, a JSON
    ``"\\udc80"``): UTF-8 cannot carry them, and the request would fail on every retry."""
    return text if text.isascii() else _LONE_SURROGATE.sub("\ufffd", text)


def _reply(completion: ChatCompletion) -> tuple[ChatMessage, Usage | None]:
    if not completion.choices:
        raise ApplicationError("model API returned no choices", type="ModelAPIError")
    message = completion.choices[0].message
    calls = [
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
        for call in message.tool_calls or []
        if call.type == "function"
    ]
    usage = None
    if completion.usage is not None:
        usage = Usage(
            prompt_tokens=completion.usage.prompt_tokens or 0,
            completion_tokens=completion.usage.completion_tokens or 0,
            total_tokens=completion.usage.total_tokens or 0,
        )
    return ChatMessage(role="assistant", content=message.content, tool_calls=calls), usage
