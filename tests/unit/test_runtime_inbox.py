"""The workflow's inbox: which messages the ``send_message`` validator refuses, how waiting
messages join the conversation, and what ``end`` and a continuation carry."""

from __future__ import annotations

from typing import Any

import pytest

from dagent_gen.runtime.inbox import Inbox
from dagent_gen.runtime.messages import ChatMessage, UserMessage


def test_messages_wait_until_taken_and_join_as_one_user_message() -> None:
    inbox = Inbox()
    assert inbox.take() == [] and not inbox.waiting and not inbox.has_news()
    assert inbox.put(UserMessage("Use metric units.")) == (
        "queued: 1 message waiting for the next step"
    )
    assert inbox.put(UserMessage("And cite sources.")).startswith("queued: 2 messages")
    assert inbox.waiting and inbox.has_news()
    assert inbox.take() == [
        ChatMessage(role="user", content="Use metric units.\n\nAnd cite sources.")
    ]
    assert inbox.take() == [] and not inbox.waiting


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="needs text"):
        Inbox().check(UserMessage(text))


def test_text_that_is_not_a_string_is_refused() -> None:
    odd: Any = 5
    with pytest.raises(TypeError, match="string"):
        Inbox().check(UserMessage(odd))


def test_a_one_shot_run_closes_when_its_final_answer_starts() -> None:
    inbox = Inbox()
    inbox.put(UserMessage("late, but in time"))
    assert inbox.take(last=True) == [ChatMessage(role="user", content="late, but in time")]
    with pytest.raises(ValueError, match="final answer"):
        inbox.check(UserMessage("too late"))


def test_a_conversation_stays_open_across_answers_until_end() -> None:
    inbox = Inbox(conversational=True)
    inbox.take(last=True)
    inbox.check(UserMessage("next question"))  # accepted
    inbox.put(UserMessage("next question"))
    inbox.check_end()
    assert inbox.end() == "ending after the messages already sent are answered"
    assert inbox.ended and inbox.waiting  # what was sent is still answered
    with pytest.raises(ValueError, match="has ended"):
        inbox.check(UserMessage("one more"))
    with pytest.raises(ValueError, match="ended already"):
        inbox.check_end()


def test_end_with_nothing_waiting() -> None:
    inbox = Inbox(conversational=True)
    assert inbox.end() == "ending" and inbox.has_news() and not inbox.waiting


def test_queued_is_a_snapshot_and_resume_takes_a_continuation_over() -> None:
    inbox = Inbox(conversational=True)
    inbox.put(UserMessage("a"))
    snapshot = inbox.queued
    inbox.put(UserMessage("b"))
    assert snapshot == ["a"]
    resumed = Inbox(conversational=True)
    resumed.resume(inbox.queued, ended=True)
    assert resumed.queued == ["a", "b"] and resumed.ended
    assert resumed.take() == [ChatMessage(role="user", content="a\n\nb")]
