"""The ``messages`` query's pages stay below the gRPC limit, whatever the text."""

from __future__ import annotations

import json

import pytest
from temporalio.converter import default

from dagent_gen.runtime.messages import (
    ChatMessage,
    MessageWindow,
    ModelReply,
    ModelRequest,
    ToolCall,
    Usage,
)

CONVERTER = default().payload_converter
GRPC_LIMIT = 4 * 1024 * 1024


def encoded_size(messages: list[ChatMessage]) -> int:
    """The bytes of a query answer, as the data converter encodes it."""
    return len(CONVERTER.to_payloads([messages])[0].data)


def pages(conversation: list[ChatMessage], max_bytes: int) -> list[list[ChatMessage]]:
    found: list[list[ChatMessage]] = []
    start = 0
    while start < len(conversation):
        page = MessageWindow(start, len(conversation), max_bytes).page(conversation)
        found.append(page)
        start += len(page)
    return found


@pytest.mark.parametrize(
    "text",
    [
        "x",  # ASCII: one byte a character
        "漢",  # CJK: JSON escapes it as \\uXXXX, 6 bytes
        "🙂",  # outside the BMP: a surrogate pair, 12 bytes
        "\udc80",  # a lone surrogate (e.g. a file name decoded with surrogateescape)
        '"\\\n',  # escaped ASCII
    ],
)
def test_pages_are_cut_by_encoded_bytes(text: str) -> None:
    conversation = [
        ChatMessage(role="tool", content=text * 20_000, tool_call_id=f"c{i}") for i in range(50)
    ]
    conversation.insert(
        0, ChatMessage(role="assistant", tool_calls=[ToolCall("c", "t", text * 999)])
    )
    cut = pages(conversation, 1_000_000)
    assert [m for page in cut for m in page] == conversation
    for page in cut:
        assert len(page) == 1 or encoded_size(page) <= 1_000_000


def test_the_reported_case_fits_in_a_grpc_message() -> None:
    """50 tool results of 20,000 CJK characters: 5.9 MB in one page before."""
    conversation = [ChatMessage(role="tool", content="漢" * 20_000) for _ in range(50)]
    for page in pages(conversation, MessageWindow(0, 0).max_bytes):
        assert encoded_size(page) < GRPC_LIMIT / 2


def test_a_page_has_at_least_one_message_and_respects_its_window() -> None:
    conversation = [ChatMessage(role="user", content="y" * 5000), ChatMessage(role="user")]
    assert MessageWindow(0, 2, max_bytes=10).page(conversation) == conversation[:1]
    assert MessageWindow(1, 2).page(conversation) == conversation[1:]
    assert MessageWindow(2, 2).page(conversation) == []


REPLIES = [
    ChatMessage(role="assistant", content="done"),
    ChatMessage(role="assistant", content=""),
    ChatMessage(role="assistant", tool_calls=[ToolCall("call_1", "step", '{"i": 1}')]),
    ChatMessage(
        role="assistant",
        content="two at once",
        tool_calls=[ToolCall("a", "x", "{}"), ToolCall("b", "y", "")],
    ),
]


@pytest.mark.parametrize("message", REPLIES)
@pytest.mark.parametrize("usage", [None, Usage(12, 5, 17)])
def test_a_model_reply_round_trips_through_the_data_converter(
    message: ChatMessage, usage: Usage | None
) -> None:
    """What the workflow decodes is exactly the message and usage the activity returned."""
    payload = CONVERTER.to_payloads([ModelReply.of(message, usage)])[0]
    decoded = CONVERTER.from_payloads([payload], [ModelReply])[0]
    assert decoded.message() == message
    assert decoded.token_usage() == (usage or Usage())


@pytest.mark.parametrize("message", REPLIES)
def test_a_model_reply_carries_no_field_the_workflow_already_knows(message: ChatMessage) -> None:
    """Each reply is in history once per step: no role, no null tool_call_id, no nested keys."""
    data = json.loads(CONVERTER.to_payloads([ModelReply.of(message, Usage(1, 2, 3))])[0].data)
    # invalid: null unless an answer is not valid structured output (15 bytes a step)
    assert set(data) == {"content", "calls", "usage", "invalid"}
    assert data["invalid"] is None
    assert data["usage"] == [1, 2, 3]
    assert all(isinstance(call, list) for call in data["calls"])


@pytest.mark.parametrize("kind", [ModelRequest, ModelReply, ChatMessage, ToolCall])
def test_per_step_payloads_have_evaluated_annotations(kind: type) -> None:
    """Temporal's converter calls ``typing.get_type_hints`` on every decode: a string
    annotation (``from __future__ import annotations``) is compiled and evaluated again each
    time, inside the workflow sandbox on every step (about a third of a step's workflow
    activation, measured). The types decoded on every step keep real annotations."""
    strings = {name: hint for name, hint in kind.__annotations__.items() if isinstance(hint, str)}
    assert strings == {}
