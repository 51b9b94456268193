"""Steering a running agent: the messages people send it (the ``send_message`` update), kept
until the loop can show them to the model.

A message never interrupts a model call or a tool call. It waits here until the next step
boundary, where the workflow adds what waits as one user message, just before the next model
call (so never between a tool call and its answers). A conversational agent also waits here
between turns, for its next message or for ``end``. Everything here runs inside workflows (no
I/O, no clock), and the update validators call ``check`` and ``check_end``, so a refused
message is refused to its sender and never enters history.
"""

from __future__ import annotations

from collections.abc import Sequence

from .messages import ChatMessage
from .messages import UserMessage

JOINER = "\n\n"  # between messages that waited for the same step


class Inbox:
    """Messages waiting for the next step, and whether more may come."""

    def __init__(self, conversational: bool = False) -> None:
        self.conversational = conversational
        self._queued: list[str] = []
        self.ended = False  # `end` was sent: no more messages, no more turns
        self.closed = False  # a one-shot run is writing its final answer

    def resume(self, queued: Sequence[str], ended: bool) -> None:
        """Take over what the previous run of the workflow had (``Continuation``)."""
        self._queued = list(queued)
        self.ended = ended

    @property
    def queued(self) -> list[str]:
        """The texts waiting, oldest first (a copy: the continuation's snapshot)."""
        return list(self._queued)

    @property
    def waiting(self) -> bool:
        return bool(self._queued)

    def has_news(self) -> bool:
        """A message waits or ``end`` came: what an idle conversation waits for."""
        return bool(self._queued) or self.ended

    def check(self, message: UserMessage) -> None:
        """Refuse a message the run cannot act on (raises; the update is rejected)."""
        if not isinstance(message.text, str):
            raise TypeError("text must be a string")
        if not message.text.strip():
            raise ValueError("a message needs text (it is empty)")
        if self.ended:
            raise ValueError("the conversation has ended; it takes no more messages")
        if self.closed:
            raise ValueError("the run is writing its final answer; it takes no more messages")

    def put(self, message: UserMessage) -> str:
        self._queued.append(message.text)
        count = len(self._queued)
        return f"queued: {count} message{'s' if count > 1 else ''} waiting for the next step"

    def take(self, last: bool = False) -> list[ChatMessage]:
        """What waits, as one user message (or none); ``last``: the run's final model call
        starts, and a one-shot run takes no more messages from now on."""
        if last and not self.conversational:
            self.closed = True
        if not self._queued:
            return []
        text = JOINER.join(self._queued)
        self._queued = []
        return [ChatMessage(role="user", content=text)]

    def check_end(self) -> None:
        if self.ended:
            raise ValueError("the conversation was ended already")

    def end(self) -> str:
        self.ended = True
        if self._queued:
            return "ending after the messages already sent are answered"
        return "ending"
