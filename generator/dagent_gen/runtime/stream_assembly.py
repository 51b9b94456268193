"""The reply of a streamed Chat Completion, assembled from its chunks.

A streamed completion (``stream: true``) arrives as ``chat.completion.chunk`` objects: content
in pieces, each tool call as deltas that carry its ``index`` (its ``id``, type and name in the
first, pieces of its arguments after), a ``finish_reason`` at the end, and, when the request
set ``stream_options: {"include_usage": true}``, a last chunk with no choices and the usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from openai.types.chat import ChatCompletionChunk

from .messages import ChatMessage
from .messages import ToolCall
from .messages import Usage


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class StreamedReply:
    """Collects the chunks of the first choice; ``content`` is the text so far."""

    def __init__(self) -> None:
        self._content: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.has_choice = False

    @property
    def content(self) -> str:
        return "".join(self._content)

    def add(self, chunk: ChatCompletionChunk) -> None:
        if chunk.usage is not None:
            self.usage = Usage(
                prompt_tokens=chunk.usage.prompt_tokens or 0,
                completion_tokens=chunk.usage.completion_tokens or 0,
                total_tokens=chunk.usage.total_tokens or 0,
            )
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            self.has_choice = True
            self.finish_reason = choice.finish_reason or self.finish_reason
            delta = choice.delta
            if delta.content:
                self._content.append(delta.content)
            for position, call in enumerate(delta.tool_calls or []):
                index = call.index if call.index is not None else position
                partial = self._calls.setdefault(index, _PartialCall())
                if call.id and not partial.id:  # some servers repeat the id on every delta
                    partial.id = call.id
                function = call.function
                if function is None:
                    continue
                if function.name and function.name != partial.name:
                    partial.name += function.name  # whole in one delta (OpenAI) or in pieces
                if function.arguments:
                    partial.arguments.append(function.arguments)

    def message(self) -> ChatMessage:
        """The assistant message: the whole content (``None`` when empty) and its calls."""
        calls = [
            ToolCall(id=partial.id, name=partial.name, arguments="".join(partial.arguments))
            for _, partial in sorted(self._calls.items())
        ]
        content = self.content
        return ChatMessage(
            role="assistant", content=content if content or not calls else None, tool_calls=calls
        )
