"""Data passed between the workflows, activities and clients of this package.

Plain dataclasses: Temporal's default data converter serialises them as JSON objects, so any
Temporal client (in any language) can start an agent with ``{"task": "..."}``.
"""

import base64
import json
import zlib
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal
from typing import get_args

from temporalio.converter import PayloadConverter
from temporalio.converter import default as default_converter

Role = Literal["system", "user", "assistant", "tool"]
TodoStatus = Literal["pending", "in_progress", "completed"]
StopReason = Literal["done", "max_steps", "cancelled", "idle", "budget", "invalid_output"]
ToolChoice = Literal["auto", "none", "required"] | str  # or the name of one tool to force
Decision = Literal["approve", "edit", "reject"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)
ROLES: tuple[Role, ...] = get_args(Role)
TODO_STATUSES: tuple[TodoStatus, ...] = get_args(TodoStatus)

MessageRef = list[str]
"""One message of a model request, named instead of copied into history again; the shapes are
described in ``conversation.py``."""


@dataclass
class AgentInput:
    """Input of every agent workflow. Clients send ``{"task": ...}``; ``state`` is set only by
    the workflow itself when it continues as new (see ``Continuation``)."""

    task: str
    state: "Continuation | None" = None  # defined below


@dataclass
class Todo:
    """One item of an agent's plan."""

    content: str
    status: TodoStatus = "pending"


@dataclass
class Usage:
    """Token usage reported by the model API, summed over calls, and its cost in USD (of the
    calls whose model has a price; 0 when none has)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, other: "Usage") -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.cost_usd += other.cost_usd


@dataclass
class AgentOutput:
    """Result of every agent workflow. ``usage`` sums the run's model calls and its sub-agents'
    runs; ``usage_by_agent`` splits it per agent name."""

    answer: str
    stop_reason: StopReason = "done"
    steps: int = 0
    todos: list[Todo] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    usage_by_agent: dict[str, Usage] = field(default_factory=dict)
    # The final answer as a JSON object, for an agent with an output model (``None`` without
    # one, and when no valid answer came: stop_reason "invalid_output").
    output: dict[str, Any] | None = None


@dataclass
class Continuation:
    """What a run hands to the next run of the same workflow when it continues as new: the
    conversation, the plan and the counters, so the new run resumes the step loop where the
    old one stopped (between two steps, nothing in flight).

    Continue-as-new writes this state twice into history (the old run's last event, the new
    run's first), and every message in it is already in the old run's history: so the
    conversation travels compressed, in ``packed_messages`` (see ``pack_messages``), with
    ``messages`` empty. ``conversation()`` reads either form (older generated code wrote
    ``messages``)."""

    messages: "list[ChatMessage]"  # defined below
    todos: list[Todo] = field(default_factory=list)
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    sent: int = 0  # messages the last model request covered: the digests continue from there
    children: int = 0  # sub-agent runs started so far: child workflow ids stay unique
    inbox: list[str] = field(default_factory=list)  # messages sent, not yet seen by the model
    ended: bool = False  # a conversation's `end` came: no more turns after this one
    turn_start: int = 0  # steps before this turn (a conversation's budget is per turn)
    new_turn: bool = False  # the last message starts a conversation's turn: run it from the top
    usage_by_agent: dict[str, Usage] = field(default_factory=dict)
    # tools of MCP servers listed when the workflow started (discover = "runtime"), by server:
    # a continued run offers the same tools without listing them again
    mcp_tools: "dict[str, list[ListedTool]]" = field(default_factory=dict)
    packed_messages: str = ""  # the conversation as ``pack_messages`` writes it ("": none)

    def conversation(self) -> "list[ChatMessage]":
        """The conversation this state carries, in whichever form it carries it."""
        if self.packed_messages:
            return unpack_messages(self.packed_messages)
        return list(self.messages)


@dataclass(slots=True)  # slots: every step reads each message's fields (see ChatMessage)
class ToolCall:
    """A function call requested by the model."""

    id: str
    name: str
    arguments: str


@dataclass
class ApprovalRequest:
    """A tool call waiting for a human decision: one item of the ``pending_approvals`` query.

    ``id`` is the tool call's id; ``requested_at`` is the workflow time, ISO 8601 in UTC.
    """

    id: str
    tool: str
    arguments: dict[str, Any]
    requested_at: str


@dataclass
class ApprovalDecision:
    """The argument of the ``decide`` update.

    ``arguments`` replace the model's (``decision="edit"`` only); ``message`` is shown to the
    model (the reason of a rejection, a note with an approval).
    """

    id: str
    decision: Decision
    arguments: dict[str, Any] | None = None
    message: str = ""


@dataclass
class UserMessage:
    """The argument of the ``send_message`` update: an instruction the model sees at its next
    step (a conversational agent's next turn when it waits for one)."""

    text: str


@dataclass(slots=True)
class ChatMessage:
    """One Chat Completions message, kept by the workflow and served to the model activity.

    ``slots``: every step compares each message's fields with the previous request's (an edit
    in place must reach the model); fields in slots are one memory read each, not a dict's.
    """

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None


def pack_messages(messages: "list[ChatMessage]") -> str:
    """The messages compressed, for a continued run's input: each as the JSON array
    ``[role, content, tool_call_id, [[id, name, arguments], ...]]``, the list zlib-compressed
    and base64-encoded. To read one by hand: ``json.loads(zlib.decompress(b64decode(text)))``.

    JSON with ASCII escapes, so any text (a lone surrogate too) survives the round trip.
    """
    rows = [
        [m.role, m.content, m.tool_call_id, [[c.id, c.name, c.arguments] for c in m.tool_calls]]
        for m in messages
    ]
    data = json.dumps(rows, separators=(",", ":")).encode("ascii")
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def unpack_messages(packed: str) -> "list[ChatMessage]":
    """The messages ``pack_messages`` packed."""
    rows = json.loads(zlib.decompress(base64.b64decode(packed)))
    return [
        ChatMessage(
            role=role,
            content=content,
            tool_call_id=tool_call_id,
            tool_calls=[
                ToolCall(id=i, name=name, arguments=arguments) for i, name, arguments in calls
            ],
        )
        for role, content, tool_call_id, calls in rows
    ]


@dataclass
class MessageWindow:
    """Argument of the ``messages`` query: the slice ``[start, end)`` of the conversation,
    cut short once its messages take ``max_bytes`` bytes as the data converter encodes them
    (always at least one message), so a page stays well below the 4 MB gRPC message limit.
    Bytes, not characters: JSON escapes each CJK character into 6 bytes, an emoji into 12."""

    start: int
    end: int
    max_bytes: int = 1_000_000

    def page(
        self, messages: list[ChatMessage], converter: PayloadConverter | None = None
    ) -> list[ChatMessage]:
        converter = converter or default_converter().payload_converter
        selected: list[ChatMessage] = []
        size = 0
        for message in messages[self.start : self.end]:
            size += len(converter.to_payloads([message])[0].data)
            if selected and size > self.max_bytes:
                break
            selected.append(message)
        return selected


@dataclass
class ModelRequest:
    """Input of the ``call_model`` activity.

    It carries no message already in history: the activity rebuilds the conversation from its
    per-worker cache, checked against ``prefix_digest`` (the first ``message_count -
    len(new)`` messages) and the digests in ``new`` (the messages since the previous call);
    on a miss or a mismatch it reads the workflow's ``messages`` query (queries add nothing to
    history). Each message therefore enters the workflow history once, and history grows
    linearly with steps.
    """

    agent: str
    message_count: int
    tool_choice: ToolChoice = "auto"
    prefix_digest: str = ""  # "" (requests of older workflow code): read every message
    new: list[MessageRef] = field(default_factory=list)
    # digests of the tool sets MCP servers listed at run time, space-separated ("" for none):
    # the schemas are found in the worker's cache or read from the workflow (``discovered.py``)
    tools: str = ""


@dataclass
class ListedTool:
    """A tool an MCP server listed while the workflow ran (``discover = "runtime"``): the result
    of the server's list activity, kept by the workflow and carried across continue-as-new."""

    name: str  # the name on the server, passed to the server's call activity
    exposed_name: str  # the prefix + name: the tool name the model sees
    description: str = ""
    input_schema: dict[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        """The function-tool definition the model sees."""
        function: dict[str, Any] = {"name": self.exposed_name}
        if self.description:
            function["description"] = self.description
        function["parameters"] = self.input_schema
        return {"type": "function", "function": function}


@dataclass
class McpCall:
    """Input of an MCP server's call activity (``mcp_<server>_call``, runtime discovery)."""

    tool: str  # the name on the server
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelReply:
    """Result of the ``call_model`` activity: the assistant message and its token usage.

    Every reply enters workflow history once per step, so its shape is compact: no role (always
    ``"assistant"``), no null ``tool_call_id``, each call as ``[id, name, arguments]`` and the
    usage as ``[prompt, completion, total]`` tokens (empty when the API reported none). Missing
    fields decode to their defaults. ``invalid``: why the reply is not valid structured output
    (what the model is told), for an answer call of an agent with an output model.
    """

    content: str | None = None
    calls: list[list[str]] = field(default_factory=list)
    usage: list[int] = field(default_factory=list)
    invalid: str | None = None

    @classmethod
    def of(
        cls, message: ChatMessage, usage: Usage | None = None, invalid: str | None = None
    ) -> "ModelReply":
        calls = [[call.id, call.name, call.arguments] for call in message.tool_calls]
        tokens = []
        if usage is not None:
            tokens = [usage.prompt_tokens, usage.completion_tokens, usage.total_tokens]
        return cls(content=message.content, calls=calls, usage=tokens, invalid=invalid)

    def message(self) -> ChatMessage:
        """The assistant message this reply carries."""
        calls = [ToolCall(id=call[0], name=call[1], arguments=call[2]) for call in self.calls]
        return ChatMessage(role="assistant", content=self.content, tool_calls=calls)

    def token_usage(self) -> Usage:
        prompt, completion, total = [*self.usage, 0, 0, 0][:3]
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


ProgressStatus = Literal["starting", "thinking", "running_tools", "finished"]


@dataclass
class Progress:
    """The answer of the ``progress`` query: what a run is doing now.

    ``todo`` is the plan item being worked on (or next), ``todo_number`` its place from 1 in
    the ``todo_count`` items (0 and "" without a plan); ``tools`` are the tool calls of the
    current step, each as ``name(arguments…)``; ``usage`` counts the tokens so far.
    """

    steps: int = 0
    todo: str = ""
    todo_number: int = 0
    todo_count: int = 0
    tools: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    status: ProgressStatus = "starting"
    stop_reason: StopReason = "done"
