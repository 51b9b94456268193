"""The ``call_model`` activity against the scripted model server, in an activity environment."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import openai.resources.chat.completions.completions as completions_module
import pytest
from pydantic import BaseModel
from temporalio.testing import ActivityEnvironment

from dagent_gen.output_schema import response_format, strict_schema
from dagent_gen.runtime import llm
from dagent_gen.runtime.agent_spec import AgentSpec
from dagent_gen.runtime.agents import AGENTS
from dagent_gen.runtime.conversation import CACHE, ConversationDigests
from dagent_gen.runtime.messages import ChatMessage, ModelReply
from dagent_gen.runtime.structured_output import OutputSpec
from dagent_gen.testing import ScriptedModelServer, call, text, tool_calls

SPEC = AgentSpec(name="unit", model="m", tools=())
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "t", "parameters": {"type": "object", "properties": {}}},
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-unit")
        monkeypatch.setitem(AGENTS, "unit", SPEC)
        CACHE.forget("test")
        yield srv


def call_model(
    messages: list[ChatMessage],
    env: ActivityEnvironment | None = None,
    digests: ConversationDigests | None = None,
) -> ModelReply:
    request = (digests or ConversationDigests()).request("unit", messages, "auto")
    reply: ModelReply = asyncio.run((env or ActivityEnvironment()).run(llm.call_model, request))
    return reply


def conversation() -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content="You are terse."),
        ChatMessage(role="user", content="hi"),
    ]


def test_the_request_skips_the_sdks_transform(
    server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def transform(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("chat.completions.create's request transform was used")

    monkeypatch.setattr(completions_module, "async_maybe_transform", transform)
    server.add(text("hello"))
    reply = call_model(conversation())
    assert reply.message() == ChatMessage(role="assistant", content="hello")
    assert server.violations == []
    assert server.requests[0]["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hi"},
    ]


def test_a_quick_model_call_sends_no_heartbeat(server: ScriptedModelServer) -> None:
    beats: list[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    server.add(text("quick"))
    call_model(conversation(), env)
    assert beats == []
    assert timedelta(seconds=10) >= llm.HEARTBEAT_EVERY  # well within the 30 s timeout


def test_reused_tool_call_ids_are_made_unique(server: ScriptedModelServer) -> None:
    messages = conversation()
    server.add(tool_calls(call("t", {})), tool_calls(call("t", {}), call("t", {})))
    digests = ConversationDigests()
    first = call_model(messages, digests=digests).message()
    messages += [first, ChatMessage(role="tool", content="r", tool_call_id=first.tool_calls[0].id)]
    CACHE.remember_text("r")  # as the tool activity would
    second = call_model(messages, digests=digests).message()
    ids = [c.id for c in first.tool_calls + second.tool_calls]
    assert len(set(ids)) == 3, ids


def test_lone_surrogates_do_not_break_the_request(server: ScriptedModelServer) -> None:
    """A tool's text decoded with surrogateescape: UTF-8 cannot carry it, and every retry of
    the model call failed with UnicodeEncodeError."""
    messages = conversation()
    messages[1] = ChatMessage(role="user", content="file \udc80.txt")
    server.add(text("ok"))
    assert call_model(messages).message().content == "ok"
    assert server.requests[0]["messages"][1]["content"] == "file \ufffd.txt"


class Verdict(BaseModel):
    summary: str
    buy: bool


FORMAT = response_format("Verdict", strict_schema(Verdict.model_json_schema())[0], True)
WITH_OUTPUT = AgentSpec(
    name="unit",
    model="m",
    tools=(TOOL,),
    output=OutputSpec(Verdict, FORMAT, ("none",)),
)


def test_only_the_answer_calls_carry_the_schema_and_are_validated(
    server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(AGENTS, "unit", WITH_OUTPUT)
    server.add(text("not json"), text('{"summary": "s"}'), text('{"summary": "s", "buy": true}'))
    messages = conversation()
    digests = ConversationDigests()
    step = asyncio.run(
        ActivityEnvironment().run(llm.call_model, digests.request("unit", messages, "auto"))
    )
    assert step.invalid is None  # not an answer call: a step's text is not held to the model
    assert "response_format" not in server.requests[0]
    replies: list[ModelReply] = []
    for _ in range(2):
        messages.append(step.message() if not replies else replies[-1].message())
        request = digests.request("unit", messages, "none")
        replies.append(asyncio.run(ActivityEnvironment().run(llm.call_model, request)))
    assert server.violations == []
    assert [r["response_format"] for r in server.requests[1:]] == [FORMAT, FORMAT]
    assert replies[0].invalid is not None and "- buy: Field required" in replies[0].invalid
    assert replies[1].invalid is None


def test_warm_up_builds_the_client_the_first_call_uses(server: ScriptedModelServer) -> None:
    llm._clients.clear()
    llm.warm_up()
    warmed = dict(llm._clients)
    assert len(warmed) == 1
    server.add(text("hello"))
    assert call_model(conversation()).message().content == "hello"
    assert llm._clients == warmed  # no second client: the call used the warmed one


def test_warm_up_without_an_api_key_skips_and_the_call_says_why(
    server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    llm._clients.clear()
    llm.warm_up()  # never fails the worker
    assert llm._clients == {}
    with pytest.raises(Exception, match="OPENAI_API_KEY is not set"):
        call_model(conversation())


def test_each_call_converts_only_its_new_messages(
    server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    converted: list[ChatMessage] = []
    to_openai = llm._to_openai

    def counting(message: ChatMessage) -> dict[str, Any]:
        converted.append(message)
        return to_openai(message)

    monkeypatch.setattr(llm, "_to_openai", counting)
    messages, digests = conversation(), ConversationDigests()
    server.add(tool_calls(call("t", {})), text("one"), text("two"))
    first = call_model(messages, digests=digests).message()
    messages += [first, ChatMessage(role="tool", content="r", tool_call_id=first.tool_calls[0].id)]
    CACHE.remember_text("r")  # as the tool activity would
    converted.clear()
    call_model(messages, digests=digests)
    assert converted == messages[2:]
    assert server.requests[-1]["messages"] == [to_openai(m) for m in messages]
    assert server.violations == []


def test_the_wire_cache_converts_again_from_the_first_other_message() -> None:
    wire = llm._WireCache(runs=1)
    messages = [*conversation(), ChatMessage(role="user", content="more")]
    assert wire.messages("a", messages) == [llm._to_openai(m) for m in messages]
    edited = [messages[0], ChatMessage(role="user", content="edited"), messages[2]]
    assert [m["content"] for m in wire.messages("a", edited)] == [
        "You are terse.",
        "edited",
        "more",
    ]
    wire.messages("b", messages)  # one run kept: "a" is forgotten
    assert wire.messages("a", edited[:1]) == [llm._to_openai(edited[0])]
