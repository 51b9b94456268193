"""Context management: when the conversation nears the agent's token budget, its older turns
are replaced by one message holding a summary the model wrote of them.

Workflow side (deterministic, no I/O): :class:`ContextBudget` estimates the size of the next
prompt and says where to cut. The estimate is the ``prompt_tokens`` the model reported for the
previous call (the one number that counts the model's real tokenizer, tool schemas included)
plus about one token per four characters of the messages added since; before the first reply,
and right after a summary, it is four characters per token for everything.

The cut keeps the system message and the task (the leading system messages and the first user
message) and the latest ``keep_recent`` messages. It never falls between an assistant message
with tool calls and the tool messages answering them: the model API refuses a tool message
whose call it does not see, and a call left without its answer.

Worker side: the ``summarize_conversation`` activity is ``call_model`` under its own activity
type, so the UI, ``progress`` and traces tell a summary from an agent step.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from .llm import call_model
from .messages import ChatMessage
from .messages import ModelReply
from .messages import ModelRequest
from .messages import Usage

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role and separators of each message, as tokenizers count them


@dataclass(frozen=True)
class ContextPolicy:
    """``[agents.NAME.context]``: the token budget and how many latest messages stay verbatim."""

    max_tokens: int
    keep_recent: int = 20


def estimate_tokens(messages: list[ChatMessage]) -> int:
    """About how many prompt tokens ``messages`` take: one per four characters."""
    chars = 0
    for message in messages:
        chars += len(message.content or "")
        chars += sum(len(call.name) + len(call.arguments) for call in message.tool_calls)
    return chars // CHARS_PER_TOKEN + MESSAGE_OVERHEAD_TOKENS * len(messages)


def head_length(messages: list[ChatMessage]) -> int:
    """How many leading messages are always kept: the system messages and the task."""
    for index, message in enumerate(messages):
        if message.role == "user":
            return index + 1
        if message.role != "system":
            return index
    return len(messages)


class ContextBudget:
    """Workflow side: tracks the prompt size against the policy and compacts the conversation."""

    def __init__(self, policy: ContextPolicy) -> None:
        self.policy = policy
        self._reported = 0  # prompt tokens the model reported for the last call
        self._reported_count = 0  # how many messages that call sent

    def observe(self, sent: int, usage: Usage) -> None:
        """After a model call that sent ``sent`` messages and reported ``usage``."""
        self._reported, self._reported_count = usage.prompt_tokens, sent

    def estimate(self, messages: list[ChatMessage]) -> int:
        """The estimated prompt tokens of a call that sends ``messages``."""
        if self._reported and self._reported_count <= len(messages):
            return self._reported + estimate_tokens(messages[self._reported_count :])
        return estimate_tokens(messages)

    def cut(self, messages: list[ChatMessage]) -> int | None:
        """Where the kept tail starts when the next call would reach the budget, else None
        (within budget, or nothing but a former summary to summarise)."""
        if self.estimate(messages) < self.policy.max_tokens:
            return None
        head = head_length(messages)
        cut = max(head, len(messages) - self.policy.keep_recent)
        while head < cut < len(messages) and messages[cut].role == "tool":
            cut -= 1  # keep the assistant message whose calls these tool messages answer
        return cut if cut - head >= 2 else None

    def compacted(
        self, messages: list[ChatMessage], cut: int, summary: str
    ) -> tuple[list[ChatMessage], int]:
        """``messages`` with ``[head, cut)`` replaced by one user message holding ``summary``,
        and the length of the unchanged head (the conversation cache still holds it)."""
        head = head_length(messages)
        self._reported = self._reported_count = 0  # the reported size is stale now
        summary_message = ChatMessage(role="user", content=summary)
        return [*messages[:head], summary_message, *messages[cut:]], head


@activity.defn(name="summarize_conversation")
async def summarize_conversation(request: ModelRequest) -> ModelReply:
    """Ask the agent's model for a summary of the conversation the request names (the older
    turns and the summarise prompt); the same request and cache as ``call_model``."""
    return await call_model(request)
