"""Unit tests for ``dagent_gen.testing.model_server`` (real ``openai`` client + raw HTTP)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from dagent_gen.testing import (
    ScriptedModelServer,
    call,
    http_error,
    respond,
    text,
    tool_calls,
)
from dagent_gen.testing.model_server import TextReply

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as srv:
        yield srv


def client_for(server: ScriptedModelServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


def raw_post(
    server: ScriptedModelServer,
    body: bytes | dict[str, Any],
    *,
    auth: str | None = "Bearer test",
    path: str = "/chat/completions",
) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.base_url + path, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if auth is not None:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def msgs(*messages: dict[str, Any]) -> list[Any]:
    return [{"role": "system", "content": "You are a test agent."}, *messages]


def test_text_reply(server: ScriptedModelServer) -> None:
    server.add(text("Hello there"))
    completion = client_for(server).chat.completions.create(
        model="gpt-test", messages=msgs({"role": "user", "content": "hi"})
    )
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-test"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "Hello there"
    assert choice.message.tool_calls is None
    assert completion.usage is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert server.violations == []
    assert server.remaining == []
    assert server.requests[0]["model"] == "gpt-test"


def test_tool_call_reply_and_round_trip(server: ScriptedModelServer) -> None:
    server.add(
        tool_calls(call("search", {"q": "temporal"}), call("search", {"q": "python"})),
        text("Found it"),
    )
    client = client_for(server)
    messages: list[Any] = msgs({"role": "user", "content": "find"})
    first = client.chat.completions.create(model="m", messages=messages, tools=TOOLS)
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls is not None
    calls = [tc for tc in message.tool_calls if tc.type == "function"]
    assert [tc.id for tc in calls] == ["call_1", "call_2"]
    assert [json.loads(tc.function.arguments) for tc in calls] == [
        {"q": "temporal"},
        {"q": "python"},
    ]
    messages.append(message)  # the client serialises the returned pydantic message itself
    for tc in calls:
        messages.append({"role": "tool", "tool_call_id": tc.id, "content": "result"})
    second = client.chat.completions.create(
        model="m", messages=messages, tools=TOOLS, tool_choice="auto"
    )
    assert second.choices[0].message.content == "Found it"
    assert server.violations == []


def test_malformed_arguments_pass_through_verbatim(server: ScriptedModelServer) -> None:
    server.add(tool_calls(call("search", '{"q": "unterminated'), content="thinking"))
    completion = client_for(server).chat.completions.create(
        model="m", messages=msgs({"role": "user", "content": "x"}), tools=TOOLS
    )
    message = completion.choices[0].message
    assert message.content == "thinking"
    assert message.tool_calls is not None
    tool_call = message.tool_calls[0]
    assert tool_call.type == "function"
    assert tool_call.function.arguments == '{"q": "unterminated'


def test_unanswered_tool_call_is_rejected(server: ScriptedModelServer) -> None:
    server.add(text("never served"))
    messages = msgs(
        {"role": "user", "content": "x"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "search", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "search", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "ok"},
        {"role": "user", "content": "and?"},
    )
    with pytest.raises(openai.BadRequestError) as excinfo:
        client_for(server).chat.completions.create(model="m", messages=messages, tools=TOOLS)
    assert "must be followed by tool messages" in str(excinfo.value)
    assert excinfo.value.body is not None
    assert len(server.violations) == 1 and "tool_call_ids" in server.violations[0]
    assert len(server.remaining) == 1, "a rejected request must not consume the script"
    assert len(server.requests) == 1


def test_trailing_unanswered_tool_call_is_rejected(server: ScriptedModelServer) -> None:
    messages = msgs(
        {"role": "user", "content": "x"},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "search", "arguments": "{}"}}
            ],
        },
    )
    status, body = raw_post(server, {"model": "m", "messages": messages, "tools": TOOLS})
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert "a" in body["error"]["message"]


def test_tool_message_without_preceding_call_is_rejected(server: ScriptedModelServer) -> None:
    messages = msgs(
        {"role": "user", "content": "x"},
        {"role": "tool", "tool_call_id": "call_9", "content": "orphan"},
    )
    status, body = raw_post(server, {"model": "m", "messages": messages})
    assert status == 400
    assert "preceeding message with 'tool_calls'" in body["error"]["message"]
    assert body["error"]["param"] == "messages[2].role"
    assert len(server.violations) == 1


@pytest.mark.parametrize("name", ["bad name", "", "x" * 65, "dotted.name"])
def test_bad_tool_name_is_rejected(server: ScriptedModelServer, name: str) -> None:
    tools = [{"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}]
    with pytest.raises(openai.BadRequestError):
        client_for(server).chat.completions.create(
            model="m",
            messages=msgs({"role": "user", "content": "x"}),
            tools=tools,  # type: ignore[arg-type]
        )
    assert len(server.violations) == 1


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (
            {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            "nope",
        ),
        ({"tools": TOOLS, "tool_choice": "sometimes"}, "sometimes"),
        ({"tool_choice": "auto"}, "only allowed when 'tools'"),
        ({"parallel_tool_calls": True}, "only allowed when 'tools'"),
        ({"tools": TOOLS + TOOLS}, "duplicate"),
        ({"tools": []}, "empty array"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "object"),
        ({"frobnicate": 1}, "Unrecognized request argument supplied: frobnicate"),
        ({"temperature": 3}, "temperature"),
        ({"stream_options": {"include_usage": True}}, "only allowed when 'stream'"),
        ({"stream": True, "stream_options": {"include_usage": "yes"}}, "include_usage"),
        ({"stream": "yes"}, "stream"),
        ({"messages": []}, "empty array"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "robot"),
        ({"messages": [{"role": "user"}]}, "content"),
        ({"messages": [{"role": "user", "content": "x", "tool_call_id": "a"}]}, "tool_call_id"),
        ({"model": 5}, "model"),
    ],
)
def test_invalid_requests_are_rejected(
    server: ScriptedModelServer, extra: dict[str, Any], fragment: str
) -> None:
    body = {"model": "m", "messages": msgs({"role": "user", "content": "x"}), **extra}
    status, answer = raw_post(server, body)
    assert status == 400, answer
    assert fragment in answer["error"]["message"]
    assert set(answer["error"]) == {"message", "type", "param", "code"}
    assert len(server.violations) == 1


def test_body_must_be_json(server: ScriptedModelServer) -> None:
    status, answer = raw_post(server, b"{not json")
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"
    assert server.requests == [{"_invalid_body": "{not json"}]


def test_tool_choice_unknown_function_via_client(server: ScriptedModelServer) -> None:
    with pytest.raises(openai.BadRequestError):
        client_for(server).chat.completions.create(
            model="m",
            messages=msgs({"role": "user", "content": "x"}),
            tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "missing"}},
        )
    assert server.violations


@pytest.mark.parametrize("auth", [None, "Basic abc", "Bearer "])
def test_missing_or_invalid_auth_is_401(server: ScriptedModelServer, auth: str | None) -> None:
    server.add(text("unused"))
    body = {"model": "m", "messages": msgs({"role": "user", "content": "x"})}
    status, answer = raw_post(server, body, auth=auth)
    assert status == 401
    assert "error" in answer
    assert len(server.violations) == 1
    assert len(server.remaining) == 1


def test_http_error_with_retry_after(server: ScriptedModelServer) -> None:
    server.add(http_error(429, message="slow down", retry_after=2, retry_after_ms=1500))
    with pytest.raises(openai.RateLimitError) as excinfo:
        client_for(server).chat.completions.create(
            model="m", messages=msgs({"role": "user", "content": "x"})
        )
    headers = excinfo.value.response.headers
    assert headers["retry-after"] == "2"
    assert headers["retry-after-ms"] == "1500"
    assert "slow down" in str(excinfo.value)
    assert server.violations == [], "a scripted error is not a violation"


def test_http_error_5xx_then_retry_succeeds(server: ScriptedModelServer) -> None:
    server.add(http_error(503, retry_after=0), text("recovered"))
    client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=1)
    completion = client.chat.completions.create(
        model="m", messages=msgs({"role": "user", "content": "x"})
    )
    assert completion.choices[0].message.content == "recovered"
    assert len(server.requests) == 2


def test_agent_matchers_with_interleaved_script(server: ScriptedModelServer) -> None:
    server.add(
        text("parent 1", agent="You are the PARENT"),
        text("child 1", agent="You are the CHILD"),
        text("parent 2", agent="You are the PARENT"),
        text("child 2", agent="You are the CHILD"),
    )
    client = client_for(server)

    def ask(role_prompt: str) -> str | None:
        completion = client.chat.completions.create(
            model="m",
            messages=[
                {"role": "developer", "content": [{"type": "text", "text": role_prompt}]},
                {"role": "user", "content": "go"},
            ],
        )
        return completion.choices[0].message.content

    assert ask("You are the CHILD agent") == "child 1"
    assert ask("You are the CHILD agent") == "child 2"
    assert ask("You are the PARENT agent") == "parent 1"
    assert ask("You are the PARENT agent") == "parent 2"
    assert server.violations == []


def test_concurrent_requests_each_take_one_reply(server: ScriptedModelServer) -> None:
    count = 16
    server.add(*(text(f"reply {i}") for i in range(count)))
    client = client_for(server)
    results: list[str | None] = []
    lock = threading.Lock()

    def worker() -> None:
        completion = client.chat.completions.create(
            model="m", messages=msgs({"role": "user", "content": "x"})
        )
        with lock:
            results.append(completion.choices[0].message.content)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == sorted((f"reply {i}" for i in range(count)), key=str)
    assert server.remaining == [] and server.violations == []


def test_script_exhaustion_is_recorded(server: ScriptedModelServer) -> None:
    server.add(text("only for the child", agent="CHILD"))
    with pytest.raises(openai.InternalServerError) as excinfo:
        client_for(server).chat.completions.create(
            model="m", messages=msgs({"role": "user", "content": "x"})
        )
    assert "script exhausted for request" in str(excinfo.value)
    assert len(server.violations) == 1
    assert "script exhausted" in server.violations[0]
    assert len(server.remaining) == 1


def test_default_reply_and_respond() -> None:
    seen: list[int] = []

    def echo(request: dict[str, Any]) -> TextReply:
        seen.append(len(request["messages"]))
        return text(f"echo {request['messages'][-1]['content']}")

    with ScriptedModelServer([text("scripted")], default=respond(echo)) as server:
        client = client_for(server)
        contents = [
            client.chat.completions.create(
                model="m", messages=msgs({"role": "user", "content": f"q{i}"})
            )
            .choices[0]
            .message.content
            for i in range(3)
        ]
    assert contents == ["scripted", "echo q1", "echo q2"]
    assert seen == [2, 2]
    assert server.violations == []


def test_respond_exception_is_a_violation(server: ScriptedModelServer) -> None:
    def broken(request: dict[str, Any]) -> TextReply:
        raise KeyError("oops")

    server.add(respond(broken))
    status, answer = raw_post(
        server, {"model": "m", "messages": msgs({"role": "user", "content": "x"})}
    )
    assert status == 500
    assert "KeyError" in answer["error"]["message"]
    assert len(server.violations) == 1


def test_models_endpoint_and_unknown_path(server: ScriptedModelServer) -> None:
    models = client_for(server).models.list()
    assert [m.id for m in models.data] == ["scripted-model"]
    status, answer = raw_post(server, {"model": "m", "input": "x"}, path="/responses")
    assert status == 404
    assert "Invalid URL" in answer["error"]["message"]
    assert len(server.violations) == 1


def test_n_choices_and_usage_estimate(server: ScriptedModelServer) -> None:
    server.add(text("abcdefgh"))
    status, answer = raw_post(
        server, {"model": "m", "n": 2, "messages": msgs({"role": "user", "content": "x"})}
    )
    assert status == 200
    assert [c["index"] for c in answer["choices"]] == [0, 1]
    assert answer["usage"]["completion_tokens"] == 2
    assert "tool_calls" not in answer["choices"][0]["message"]


def test_stop_is_idempotent_and_releases_port() -> None:
    server = ScriptedModelServer().start()
    url = server.base_url
    server.stop()
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/models", timeout=2)


CALL = {"id": "a", "type": "function", "function": {"name": "search", "arguments": "{}"}}


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        # Arrays nested in messages (content parts, tool calls) are ``Iterable`` in the openai
        # types, which pydantic checks lazily; they must still be checked, with their path.
        (
            [{"role": "user", "content": [{"type": "text", "text": 5}]}],
            "messages[0].content[0].text",
        ),
        (
            [
                {
                    "role": "assistant",
                    "tool_calls": [{**CALL, "function": {"name": "s", "arguments": {}}}],
                }
            ],
            "messages[0].tool_calls[0].function.arguments",
        ),
        ([{"role": "user", "content": "x", "tool_call_id": "a"}], "messages[0].tool_call_id"),
        ([{"content": "x"}], "messages[0].role"),
        ([{"role": "robot", "content": "x"}], "messages[0].role"),
        ([{"role": "assistant"}], "messages[0].content"),
        ([{"role": "user", "content": []}], "messages[0].content"),
        ([{"role": "assistant", "tool_calls": [CALL, CALL]}], "messages[0].tool_calls[1].id"),
    ],
)
def test_message_shape_errors_name_the_exact_param(
    server: ScriptedModelServer, messages: list[Any], param: str
) -> None:
    status, answer = raw_post(server, {"model": "m", "messages": messages})
    assert status == 400, answer
    assert answer["error"]["param"] == param, answer


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        (
            {"tools": [{"type": "function", "function": {"name": "f", "bogus": 1}}]},
            "tools[0].function.bogus",
        ),
        ({"tools": [{"type": "function", "function": {"name": "f"}, "x": 1}]}, "tools[0].x"),
        ({"temperature": "0.5"}, "temperature"),  # strict: no string-to-number coercion
        ({"response_format": {"type": "xml"}}, "response_format.type"),
        ({"stop": ["a"] * 5}, "stop"),
        ({"messages": "hi"}, "messages"),
    ],
)
def test_request_shape_errors_name_the_exact_param(
    server: ScriptedModelServer, extra: dict[str, Any], param: str
) -> None:
    body = {"model": "m", "messages": msgs({"role": "user", "content": "x"}), **extra}
    status, answer = raw_post(server, body)
    assert status == 400, answer
    assert answer["error"]["param"] == param, answer


def test_every_argument_of_the_openai_request_type_is_recognised() -> None:
    """The accepted keys come from the installed openai package, not from a hand-kept list."""
    from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

    from dagent_gen.testing._chat_validation import RequestError, validate_chat_request

    body = {"model": "m", "messages": msgs({"role": "user", "content": "x"})}
    for key in CompletionCreateParamsNonStreaming.__annotations__:
        try:
            validate_chat_request({**body, key: None} if key not in body else body)
        except RequestError as error:
            assert "Unrecognized" not in error.message, (key, error.message)


def test_a_reply_reports_the_usage_it_is_given(server: ScriptedModelServer) -> None:
    server.add(
        text("short", usage=(1_000, 250)),
        tool_calls(call("search", {"q": "x"}), usage=(7, 3)),
        text("estimated"),
    )
    client = client_for(server)
    user = [{"role": "user", "content": "x"}]
    first = client.chat.completions.create(model="m", messages=msgs(*user))
    assert first.usage is not None
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (1_000, 250)
    assert first.usage.total_tokens == 1_250
    second = client.chat.completions.create(model="m", messages=msgs(*user), tools=TOOLS)
    assert second.usage is not None and second.usage.total_tokens == 10
    third = client.chat.completions.create(model="m", messages=msgs(*user))
    assert third.usage is not None and third.usage.completion_tokens == 2  # 9 characters / 4


def test_the_authorization_of_each_request_is_recorded(server: ScriptedModelServer) -> None:
    server.add(text("a"), text("b"))
    raw_post(server, {"model": "m", "messages": msgs({"role": "user", "content": "x"})})
    raw_post(server, {"model": "m", "messages": msgs()}, auth=None)
    assert server.authorizations == ["Bearer test", None]
