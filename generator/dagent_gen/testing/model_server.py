"""A scripted, OpenAI-compatible Chat Completions server for tests.

:class:`ScriptedModelServer` listens on ``127.0.0.1`` (a free port) in a background
thread and answers ``POST /v1/chat/completions`` from a script of replies built with
:func:`text`, :func:`tool_calls`, :func:`http_error` and :func:`respond`. Every request is
validated as strictly as the real service (``stream: true`` requests are answered with
server-sent chunks, as the service streams them); rejected requests are answered with an
OpenAI-style error body and recorded in :attr:`ScriptedModelServer.violations`, so a test
can finish with ``assert server.violations == []``.

Example::

    with ScriptedModelServer([tool_calls(call("search", {"q": "x"})), text("done")]) as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        ...
    assert server.violations == []
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from dagent_gen.testing._chat_validation import RequestError, validate_chat_request
from dagent_gen.testing._streaming import completion_chunks, sse, wants_usage

__all__ = [
    "DynamicReply",
    "HttpErrorReply",
    "Reply",
    "ScriptedModelServer",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
    "call",
    "http_error",
    "respond",
    "text",
    "tool_calls",
]

from dagent_gen.testing.replies import (
    DynamicReply,
    HttpErrorReply,
    JsonObject,
    Reply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    _text_of,
    call,
    http_error,
    respond,
    text,
    tool_calls,
)


def _system_prompt(request: JsonObject) -> str:
    for message in request.get("messages") or []:
        if isinstance(message, dict) and message.get("role") in ("system", "developer"):
            return _text_of(message.get("content"))
    return ""


def _estimate_tokens(value: Any) -> int:
    """A deterministic token estimate: roughly four characters per token."""
    raw = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, len(raw) // 4) if raw else 0


def _error_body(status: int, message: str, param: str | None, code: str | None) -> JsonObject:
    if status == 429:
        kind, code = "requests", code or "rate_limit_exceeded"
    elif status >= 500:
        kind = "server_error"
    else:
        kind = "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections when a worker runs many agent
    # steps at once; the openai client then fails them with APIConnectionError
    request_queue_size = 1024


@dataclass
class _Answer:
    status: int
    body: JsonObject
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[JsonObject] | None = None  # a streamed answer: sent as server-sent events
    chunk_delay: float = 0.0


class ScriptedModelServer:
    """An OpenAI-compatible HTTP server that answers from a script. Thread-safe.

    Each request is served by the first unused reply whose ``agent`` matcher matches (a
    substring of the request's first system/developer message; ``None`` matches all);
    when none is left, ``default`` answers if set (and matches), otherwise the request
    gets a 500 "script exhausted" error that is also recorded in :attr:`violations`.
    """

    def __init__(self, script: Sequence[Reply] = (), *, default: Reply | None = None) -> None:
        self.keep_requests = True
        """False: :attr:`requests` stays empty (a run of thousands of steps would otherwise
        keep every request's growing conversation, gigabytes); :attr:`request_count` counts."""
        self.request_count = 0
        self._lock = threading.Lock()
        self._script: list[Reply] = list(script)
        self._default = default
        self._requests: list[JsonObject] = []
        self._authorizations: list[str | None] = []
        self._violations: list[str] = []
        self._completion_count = 0
        self._call_count = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread. Returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("ScriptedModelServer is already running")
        httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ScriptedModelServer",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call more than once."""
        httpd, thread = self._httpd, self._thread
        self._httpd, self._thread = None, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- public state ------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("ScriptedModelServer is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. ``http://127.0.0.1:PORT/v1`` (for ``OPENAI_BASE_URL``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[JsonObject]:
        """Chat-completion request bodies received so far, in order, including rejected ones.

        A body that is not a JSON object is recorded as ``{"_invalid_body": <raw text>}``.
        """
        with self._lock:
            return list(self._requests)

    @property
    def authorizations(self) -> list[str | None]:
        """The ``Authorization`` header of each chat-completion request in :attr:`requests`
        (``"Bearer <key>"``; ``None`` when absent), to check which API key a worker used."""
        with self._lock:
            return list(self._authorizations)

    @property
    def violations(self) -> list[str]:
        """Descriptions of every rejected request and every exhausted-script request."""
        with self._lock:
            return list(self._violations)

    @property
    def remaining(self) -> list[Reply]:
        """Scripted replies not used yet."""
        with self._lock:
            return list(self._script)

    def add(self, *replies: Reply) -> None:
        """Append replies to the script."""
        with self._lock:
            self._script.extend(replies)

    # -- request handling --------------------------------------------------------------

    def _record_violation(self, path: str, status: int, message: str) -> None:
        with self._lock:
            self._violations.append(f"{path} -> {status}: {message}")

    def _reject(self, path: str, error: RequestError) -> _Answer:
        self._record_violation(path, error.status, error.message)
        return _Answer(
            error.status, _error_body(error.status, error.message, error.param, error.code)
        )

    def _take_reply(self, request: JsonObject) -> Reply | None:
        prompt = _system_prompt(request)
        with self._lock:
            for index, reply in enumerate(self._script):
                if reply.agent is None or reply.agent in prompt:
                    return self._script.pop(index)
            default = self._default
        if default is not None and (default.agent is None or default.agent in prompt):
            return default
        return None

    def _chat_completion(self, raw: bytes, authorization: str | None) -> _Answer:
        path = "POST /v1/chat/completions"
        try:
            body: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        with self._lock:
            recorded = (
                body
                if isinstance(body, dict)
                else {"_invalid_body": raw.decode("utf-8", "replace")}
            )
            self.request_count += 1
            if self.keep_requests:
                self._requests.append(recorded)
                self._authorizations.append(authorization)
        try:
            _check_auth(authorization)
            if body is None:
                raise RequestError("We could not parse the JSON body of your request.")
            validate_chat_request(body)
        except RequestError as error:
            return self._reject(path, error)
        reply = self._take_reply(body)
        if reply is None:
            summary = _system_prompt(body)[:60] or "<no system message>"
            message = (
                f"script exhausted for request #{len(self.requests)} "
                f"(system prompt starts {summary!r}): no unused scripted reply matches"
            )
            return self._reject(path, RequestError(message, status=500))
        for _ in range(10):
            if not isinstance(reply, DynamicReply):
                break
            try:
                reply = reply.fn(body)
            except Exception as exc:  # report a broken respond() function to the test
                message = f"respond() function raised {type(exc).__name__}: {exc}"
                return self._reject(path, RequestError(message, status=500))
        if isinstance(reply, DynamicReply):
            return self._reject(path, RequestError("respond() nested too deeply", status=500))
        return self._render(reply, body)

    def _render(self, reply: Reply, request: JsonObject) -> _Answer:
        if isinstance(reply, HttpErrorReply):
            headers: dict[str, str] = {}
            if reply.retry_after is not None:
                headers["retry-after"] = _format_number(reply.retry_after)
            if reply.retry_after_ms is not None:
                headers["retry-after-ms"] = _format_number(reply.retry_after_ms)
            return _Answer(
                reply.status, _error_body(reply.status, reply.message, None, None), headers
            )
        message: JsonObject = {"role": "assistant", "content": None, "refusal": None}
        with self._lock:
            self._completion_count += 1
            completion_id = f"chatcmpl-scripted-{self._completion_count}"
            if isinstance(reply, ToolCallsReply):
                calls = []
                for tool_call in reply.calls:
                    self._call_count += 1
                    calls.append(
                        {
                            "id": tool_call.id or f"call_{self._call_count}",
                            "type": "function",
                            "function": {"name": tool_call.name, "arguments": tool_call.arguments},
                        }
                    )
                message["content"] = reply.content
                message["tool_calls"] = calls
                finish_reason = "tool_calls"
            else:
                assert isinstance(reply, TextReply)
                message["content"] = reply.content
                finish_reason = "stop"
        prompt_tokens = _estimate_tokens(request.get("messages")) + _estimate_tokens(
            request.get("tools") or ""
        )
        completion_tokens = _estimate_tokens(message.get("content") or "") + _estimate_tokens(
            message.get("tool_calls") or ""
        )
        if isinstance(reply, TextReply | ToolCallsReply) and reply.usage is not None:
            prompt_tokens, completion_tokens = reply.usage
        choices = [
            {"index": i, "message": message, "logprobs": None, "finish_reason": finish_reason}
            for i in range(request.get("n") or 1)
        ]
        answer = _Answer(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request["model"],
                "choices": choices,
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )
        if request.get("stream") is True:
            answer.chunks = completion_chunks(answer.body, wants_usage(request))
            answer.chunk_delay = reply.chunk_delay
        return answer

    def _handle(self, method: str, path: str, raw: bytes, authorization: str | None) -> _Answer:
        route = path.split("?", 1)[0].rstrip("/")
        if method == "POST" and route == "/v1/chat/completions":
            return self._chat_completion(raw, authorization)
        if method == "GET" and route == "/v1/models":
            try:
                _check_auth(authorization)
            except RequestError as error:
                return self._reject(f"GET {route}", error)
            model = {
                "id": "scripted-model",
                "object": "model",
                "created": 0,
                "owned_by": "dagent-gen",
            }
            return _Answer(200, {"object": "list", "data": [model]})
        message = (
            f"Invalid URL ({method} {path}): ScriptedModelServer serves only chat completions."
        )
        return self._reject(f"{method} {route}", RequestError(message, status=404))


def _check_auth(authorization: str | None) -> None:
    if not authorization:
        raise RequestError(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            status=401,
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(
            "Incorrect API key provided: expected 'Authorization: Bearer <key>'.",
            code="invalid_api_key",
            status=401,
        )


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _make_handler(server: ScriptedModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Routes HTTP requests to the owning :class:`ScriptedModelServer`."""

        server_version = "ScriptedModelServer/1.0"

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            answer = server._handle(method, self.path, raw, self.headers.get("Authorization"))
            if answer.chunks is not None:
                self._stream(answer.chunks, answer.chunk_delay)
                return
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away (a killed worker, a timeout): nothing to answer

        def _stream(self, chunks: list[JsonObject], delay: float) -> None:
            # HTTP/1.0 without Content-Length: the body ends when the connection closes
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for number, chunk in enumerate(chunks):
                    if number and delay:
                        time.sleep(delay)
                    self.wfile.write(sse(chunk))
                    self.wfile.flush()
                self.wfile.write(sse(None))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (a cancelled activity)

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
