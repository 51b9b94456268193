"""The ``call_model`` activity: one Chat Completions request per agent step.

The workflow passes digests of the conversation, not its messages (see ``conversation.py``):
this activity rebuilds the conversation from its per-process cache and reads what it lacks from
the workflow's ``messages`` query, so no message is copied into workflow history twice.

The request is sent with the client's low-level ``post``: ``chat.completions.create`` would run
every message through the SDK's request transform, whose cost grows with the conversation
(tens of milliseconds per call at a few hundred messages). Messages built here are already
plain JSON.

An agent with ``stream = true`` asks for a streamed completion and publishes the text received
so far as the activity's heartbeat details (see ``docs/streaming.md``): a client reads them from
``describe`` (pending activities), and nothing of it enters workflow history.

Retries belong to Temporal: the OpenAI client is created with ``max_retries=0``. HTTP 408, 409,
429 and 5xx answers are retried (honouring ``retry-after``); other 4xx answers and missing
configuration fail at once instead of retrying forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from openai.types.chat import ChatCompletionChunk
from temporalio import activity
from temporalio.exceptions import ApplicationError

from .agent_spec import AgentSpec
from .agents import AGENTS
from .conversation import CACHE
from .conversation import ConversationUnavailableError
from .discovered import TOOL_SETS
from .discovered import ToolSetUnavailableError
from .loop_support import with_unique_call_ids
from .messages import ChatMessage
from .messages import ListedTool
from .messages import MessageWindow
from .messages import ModelReply
from .messages import ModelRequest
from .messages import ToolCall
from .messages import Usage
from .stream_assembly import StreamedReply

HEARTBEAT_EVERY = timedelta(seconds=5)
# Streaming: the text so far is handed to the SDK this often; the worker sends it to the server
# at most every 0.8 x the activity's heartbeat timeout (the workflow's MODEL_HEARTBEAT).
STREAM_HEARTBEAT_EVERY = timedelta(seconds=0.25)
STREAM_MAX_CHARS = 200_000  # past this, the text so far is no longer published (payload size)
RETRYABLE_STATUS = frozenset({408, 409, 429})
NO_KEY = "no-key"  # sent to an endpoint that needs no key (the client insists on one)

_clients: dict[tuple[str | None, str], openai.AsyncOpenAI] = {}


@activity.defn(name="call_model")
async def call_model(request: ModelRequest) -> ModelReply:
    """Send the request's messages, exactly as the workflow holds them, to the agent's model."""
    spec = AGENTS[request.agent]
    messages = await _conversation(request)
    tools = [*spec.tools, *await _discovered_tools(request)]
    workflow_id = activity.info().workflow_id or ""
    wire = _WIRE.messages(workflow_id, messages)
    if spec.stream:
        message, usage = await _streamed(spec, wire, tools, request.tool_choice)
    else:
        heartbeat = asyncio.create_task(_heartbeat())
        try:
            completion = await _request(spec, wire, tools, request.tool_choice)
        finally:
            heartbeat.cancel()
        message, usage = _reply(completion)
    # a backend may reuse ids (``call_0`` every time): the workflow needs them unique
    message = with_unique_call_ids(message, CACHE.call_ids(workflow_id))
    CACHE.remember_reply(message)  # the next request names it by digest
    invalid = None
    output = spec.output
    if output is not None and output.requested(request.tool_choice) and not message.tool_calls:
        invalid = output.problem(message.content)  # an answer, not a step: check it
    return ModelReply.of(message, usage, invalid)


async def _streamed(
    spec: AgentSpec, messages: list[dict[str, Any]], tools: list[dict[str, Any]], tool_choice: str
) -> tuple[ChatMessage, Usage | None]:
    reply = StreamedReply()

    def text_so_far() -> tuple[str, ...]:
        text = reply.content
        return (text,) if len(text) <= STREAM_MAX_CHARS else ()

    heartbeat = asyncio.create_task(_heartbeat(STREAM_HEARTBEAT_EVERY, text_so_far))
    try:
        stream = await _request(spec, messages, tools, tool_choice, stream=True)
        async for chunk in stream:
            reply.add(chunk)
    except openai.APIError as err:  # an error event in the middle of the stream: retried
        # (a connection that breaks off fails the attempt with the HTTP library's error: retried)
        raise ApplicationError(f"model API stream failed: {err}", type="ModelAPIError") from None
    finally:
        heartbeat.cancel()
    if not reply.has_choice:
        raise ApplicationError("model API returned no choices", type="ModelAPIError")
    return reply.message(), reply.usage


async def _request(
    spec: AgentSpec,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    tool_choice: str,
    stream: bool = False,
) -> Any:
    body: dict[str, Any] = {"model": spec.model, "messages": messages}
    if tools:
        body["tools"] = tools
        body["tool_choice"] = _tool_choice(tool_choice)
    if spec.temperature is not None:
        body["temperature"] = spec.temperature
    if spec.max_tokens is not None:
        body["max_completion_tokens"] = spec.max_tokens
    if spec.output is not None and spec.output.requested(tool_choice):
        body["response_format"] = spec.output.response_format
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    try:
        return await _client(spec).post(
            "/chat/completions",
            body=body,
            cast_to=ChatCompletion,
            stream=stream,
            stream_cls=openai.AsyncStream[ChatCompletionChunk],
        )
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
        # never stop the worker: a missing key or a bad endpoint is reported by the first call
        with contextlib.suppress(ApplicationError, openai.OpenAIError, ValueError):
            _client(spec)


def _client(spec: AgentSpec) -> openai.AsyncOpenAI:
    api_key = NO_KEY
    if spec.api_key_env is not None:
        api_key = os.environ.get(spec.api_key_env) or ""
        if not api_key:
            raise ApplicationError(
                f"{spec.api_key_env} is not set in the worker's environment",
                type="ModelConfigurationError",
                non_retryable=True,
            )
    base_url = spec.base_url
    if not base_url and spec.base_url_env is not None:
        base_url = os.environ.get(spec.base_url_env)
    base_url = base_url or spec.default_base_url
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


def _workflow() -> tuple[str, str]:
    info = activity.info()
    if info.workflow_id is None or info.workflow_run_id is None:
        raise ApplicationError(
            "call_model runs only as an agent workflow's activity",
            type="ModelConfigurationError",
            non_retryable=True,
        )
    return info.workflow_id, info.workflow_run_id


async def _discovered_tools(request: ModelRequest) -> list[dict[str, Any]]:
    """The schemas of the tools MCP servers listed at run time (``discovered.py``)."""
    if not request.tools:
        return []
    workflow_id, run_id = _workflow()

    async def fetch() -> list[list[ListedTool]]:
        handle = activity.client().get_workflow_handle(workflow_id, run_id=run_id)
        sets: list[list[ListedTool]] = await handle.query(
            "discovered_tools", result_type=list[list[ListedTool]]
        )
        return sets

    try:
        return await TOOL_SETS.definitions(request.tools, fetch)
    except ToolSetUnavailableError as err:
        raise ApplicationError(str(err), type="ConversationUnavailable") from None


async def _conversation(request: ModelRequest) -> list[ChatMessage]:
    workflow_id, run_id = _workflow()

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


async def _heartbeat(
    every: timedelta = HEARTBEAT_EVERY, details: Callable[[], tuple[str, ...]] = tuple
) -> None:
    # the first beat after ``every``: a model call shorter than that costs no heartbeat
    while True:
        await asyncio.sleep(every.total_seconds())
        activity.heartbeat(*details())


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
