"""Streamed completions: chunk assembly, the streaming ``call_model``, and the text printer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from openai.types.chat import ChatCompletionChunk
from temporalio.testing import ActivityEnvironment

from dagent_gen.runtime import llm
from dagent_gen.runtime.agent_spec import AgentSpec
from dagent_gen.runtime.agents import AGENTS
from dagent_gen.runtime.conversation import CACHE, ConversationDigests
from dagent_gen.runtime.messages import ChatMessage, ModelReply, ToolCall, Usage
from dagent_gen.runtime.stream_assembly import StreamedReply
from dagent_gen.runtime.text_stream import TextPrinter
from dagent_gen.testing import ScriptedModelServer, call, http_error, text, tool_calls

TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}
SPEC = AgentSpec(name="streamer", model="m", tools=(TOOL,), stream=True)


def chunk(delta: dict[str, Any] | None, usage: dict[str, int] | None = None) -> ChatCompletionChunk:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": None}]
    return ChatCompletionChunk.model_validate(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": choices,
            "usage": usage,
        }
    )


# -- assembly ---------------------------------------------------------------------------------


def test_content_pieces_join() -> None:
    reply = StreamedReply()
    for delta in ({"role": "assistant", "content": ""}, {"content": "Hel"}, {"content": "lo"}):
        reply.add(chunk(delta))
    assert reply.content == "Hello"
    reply.add(chunk(None, {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}))
    assert reply.message() == ChatMessage(role="assistant", content="Hello")
    assert reply.usage == Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5)


def test_tool_calls_assemble_by_index_in_any_order() -> None:
    reply = StreamedReply()
    deltas: list[dict[str, Any]] = [
        {"tool_calls": [{"index": 1, "id": "b", "type": "function",
                         "function": {"name": "search", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "id": "a", "type": "function",
                         "function": {"name": "sea", "arguments": '{"q"'}}]},
        {"tool_calls": [{"index": 0, "function": {"name": "rch", "arguments": ': "x"}'}}]},
        {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "search", "arguments": "{}"}}]},
    ]  # fmt: skip
    for delta in deltas:
        reply.add(chunk(delta))
    assert reply.message() == ChatMessage(
        role="assistant",
        content=None,
        tool_calls=[
            ToolCall(id="a", name="search", arguments='{"q": "x"}'),
            ToolCall(id="b", name="search", arguments="{}"),
        ],
    )
    assert reply.usage is None


def test_other_choices_are_ignored() -> None:
    reply = StreamedReply()
    other = ChatCompletionChunk.model_validate(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 1, "delta": {"content": "no"}, "finish_reason": None}],
        }
    )
    reply.add(other)
    assert not reply.has_choice and reply.content == ""


# -- the streaming activity -------------------------------------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-unit")
        monkeypatch.setitem(AGENTS, "streamer", SPEC)
        CACHE.forget("test")
        yield srv


def run_call(env: ActivityEnvironment | None = None) -> ModelReply:
    messages = [
        ChatMessage(role="system", content="You stream."),
        ChatMessage(role="user", content="hi"),
    ]
    request = ConversationDigests().request("streamer", messages, "auto")
    reply: ModelReply = asyncio.run((env or ActivityEnvironment()).run(llm.call_model, request))
    return reply


def test_a_streamed_reply_publishes_its_text_as_it_grows(server: ScriptedModelServer) -> None:
    answer = "one two three four five six seven eight"
    server.add(text(answer, chunk_delay=0.1))
    beats: list[tuple[Any, ...]] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    reply = run_call(env)
    assert reply.message() == ChatMessage(role="assistant", content=answer)
    assert reply.token_usage().total_tokens > 0  # the usage chunk was asked for and read
    texts = [details[0] for details in beats]
    assert len(texts) >= 3, texts
    assert all(answer.startswith(text) for text in texts)
    assert any(0 < len(text) < len(answer) for text in texts)  # partial text, mid-stream
    assert texts == sorted(texts, key=len)
    request = server.requests[0]
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}
    assert server.violations == []


def test_streamed_tool_calls_arrive_whole(server: ScriptedModelServer) -> None:
    server.add(
        tool_calls(
            call("search", {"q": "a long query that takes several deltas"}),
            call("search", {"q": "b"}),
            content="Let me look.",
        )
    )
    message = run_call().message()
    assert message.content == "Let me look."
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("search", '{"q": "a long query that takes several deltas"}'),
        ("search", '{"q": "b"}'),
    ]
    assert len({c.id for c in message.tool_calls}) == 2


def test_a_rejected_streamed_request_fails_without_retry(server: ScriptedModelServer) -> None:
    server.add(http_error(400, message="bad"))
    with pytest.raises(Exception, match="HTTP 400") as raised:
        run_call()
    assert getattr(raised.value, "non_retryable", None) is True


# -- the printer ------------------------------------------------------------------------------


def test_the_printer_prints_only_new_text_and_ends_each_call() -> None:
    out: list[str] = []
    printer = TextPrinter(out.append)
    first, second = ("run", "1"), ("run", "3")
    printer.partial(first, "Hel")
    printer.partial(first, "Hel")
    printer.partial(first, "Hello wo")
    printer.final(first, "Hello world")
    printer.partial(first, "Hello wor")  # a late poll: ignored
    printer.final(second, "")  # a reply with tool calls only: nothing
    printer.final(("run", "5"), "Bye")  # finished between two polls: printed whole
    assert "".join(out) == "Hello world\nBye\n"


def test_a_retried_call_restarts_visibly_only_when_it_differs() -> None:
    out: list[str] = []
    printer = TextPrinter(out.append)
    key = ("run", "1")
    printer.partial(key, "Same start")
    printer.partial(key, "Same")  # the retry catching up
    printer.partial(key, "Same start, more")
    printer.partial(key, "Other")
    printer.final(key, "Other text")
    assert "".join(out) == "Same start, more\nOther text\n"
