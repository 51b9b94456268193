"""``stream: true`` requests: the scripted server answers with server-sent chunks."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from dagent_gen.testing import ScriptedModelServer, call, text, tool_calls

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
MESSAGES: list[Any] = [
    {"role": "system", "content": "You are a test agent."},
    {"role": "user", "content": "hi"},
]


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as srv:
        yield srv


def client_for(server: ScriptedModelServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


def raw_events(server: ScriptedModelServer, body: dict[str, Any]) -> tuple[str, list[str]]:
    request = urllib.request.Request(
        server.base_url + "/chat/completions", data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Bearer test")
    with urllib.request.urlopen(request, timeout=10) as response:
        kind = response.headers["Content-Type"]
        raw = response.read().decode()
    assert raw.endswith("\n\n")
    return kind, [event.removeprefix("data: ") for event in raw.strip().split("\n\n")]


def test_text_streams_word_by_word_with_usage_last(server: ScriptedModelServer) -> None:
    server.add(text("Hello there, streaming world"))
    stream = client_for(server).chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    deltas = [c.choices[0].delta.content for c in chunks if c.choices]
    assert deltas == ["", "Hello ", "there, ", "streaming ", "world", None]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens > 0
    assert len({c.id for c in chunks}) == 1
    assert server.violations == []


def test_without_include_usage_no_usage_chunk(server: ScriptedModelServer) -> None:
    server.add(text("hi"))
    kind, events = raw_events(server, {"model": "m", "messages": MESSAGES, "stream": True})
    assert kind.startswith("text/event-stream")
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all("usage" not in chunk and chunk["choices"] for chunk in chunks)
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)


def test_tool_calls_stream_as_indexed_deltas(server: ScriptedModelServer) -> None:
    server.add(
        tool_calls(
            call("search", {"q": "temporal durable execution"}),
            call("search", {"q": "b"}, id="fixed"),
            content="Looking.",
        )
    )
    stream = client_for(server).chat.completions.create(
        model="m", messages=MESSAGES, tools=TOOLS, stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    content = ""
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        content += choice.delta.content or ""
        finish = choice.finish_reason or finish
        for delta in choice.delta.tool_calls or []:
            entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            assert (delta.id is not None) == (entry["id"] == "")  # the id comes first, once
            entry["id"] += delta.id or ""
            if delta.function is not None:
                entry["name"] += delta.function.name or ""
                entry["arguments"] += delta.function.arguments or ""
    assert content == "Looking."
    assert finish == "tool_calls"
    assert calls[0]["name"] == calls[1]["name"] == "search"
    assert json.loads(calls[0]["arguments"]) == {"q": "temporal durable execution"}
    assert calls[1] == {"id": "fixed", "name": "search", "arguments": '{"q": "b"}'}
    assert server.violations == []


def test_chunk_delay_spaces_the_chunks(server: ScriptedModelServer) -> None:
    server.add(text("one two three", chunk_delay=0.2))
    stream = client_for(server).chat.completions.create(model="m", messages=MESSAGES, stream=True)
    arrivals = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic())
    assert len(arrivals) == 3
    assert arrivals[2] - arrivals[0] >= 0.35


def test_a_bad_streaming_request_is_rejected(server: ScriptedModelServer) -> None:
    options: Any = {"include_usage": 1}
    with pytest.raises(openai.BadRequestError, match="include_usage"):
        client_for(server).chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options=options
        )
    assert len(server.violations) == 1


def test_chunk_delay_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="chunk_delay"):
        text("x", chunk_delay=-1)
