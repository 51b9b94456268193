"""The vocabulary of the generated agent loop, named once: built-in tool names, their schemas,
and the prompts the loop writes.

The model (``model.py``), the templates (through the render context), the README diagram
(``graph.py``), validation, the offline model and ``progress`` all read these names from here.
The runtime module ``loop_support.py`` cannot import ``dagent_gen`` (generated packages run
without it), so it spells ``write_todos`` itself and a unit test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

WRITE_TODOS = "write_todos"
"""The built-in planning tool of agents with ``planning = true``."""

BUILTIN_TOOL_NAMES = frozenset({WRITE_TODOS})
"""Names the loop handles itself: no tool or planning agent's sub-agent may take them."""

TODO_STATUSES = ("pending", "in_progress", "completed")

WRITE_TODOS_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": WRITE_TODOS,
        "description": (
            "Write or replace your todo list: the plan of steps that completes the task. "
            "Call it again to revise the plan or to mark items completed."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "todos": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "content": {"type": "string", "description": "What to do."},
                            "status": {"type": "string", "enum": list(TODO_STATUSES)},
                        },
                        "required": ["content"],
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["todos"],
            "additionalProperties": False,
        },
    },
}

DELEGATE_TASK_DESCRIPTION = (
    "A complete, self-contained description of the work: the agent sees nothing else."
)


def delegate_tool(name: str, description: str, output: str | None = None) -> dict[str, Any]:
    """The function tool through which an agent hands a task to its sub-agent ``name``;
    ``output``: the name of the sub-agent's output model, if it has one."""
    purpose = f": {description}" if description else ""
    answer = f"a {output} JSON object" if output else "its answer"
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": (
                f"Delegate a task to the {name} agent{purpose}. It works on its own "
                f"and returns {answer}."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "task": {"type": "string", "description": DELEGATE_TASK_DESCRIPTION}
                },
                "required": ["task"],
                "additionalProperties": False,
            },
        },
    }


# The prompts the loop writes into the conversation (constants of each workflow module, where
# a user edits them; the build merges those edits).
PLAN_PROMPT = (
    f"Before you start, call {WRITE_TODOS} with a short plan: the steps that complete the task."
)
TODO_PROMPT = (
    "Work on todo {number} of {total}: {content}\n"
    "Use the tools you need. When this todo is done, reply with a short summary and no "
    "tool calls."
)
ANSWER_PROMPT = "All todos are done. Write the final answer to the original task."
BUDGET_PROMPT = "The step budget is used up. Answer now with what you have."

# Context management (``[agents.NAME.context]``): the request that asks for a summary of the
# older turns, and the message that replaces them ({summary} is the model's reply).
SUMMARIZE_PROMPT = (
    "The conversation is getting too long, so its earlier part will be replaced by your "
    "summary. Summarise everything above for yourself: the task, what you did, what you "
    "learned (facts, results, names, numbers, file paths), what is still open. Be complete "
    "but concise; reply with the summary only, no tool calls."
)
SUMMARY_PROMPT = "Summary of the earlier part of this conversation:\n{summary}"

LOOP_PROMPTS = {
    "plan": PLAN_PROMPT,
    "todo": TODO_PROMPT,
    "answer": ANSWER_PROMPT,
    "budget": BUDGET_PROMPT,
    "summarize": SUMMARIZE_PROMPT,
    "summary": SUMMARY_PROMPT,
}
"""What the workflow template renders as ``PLAN_PROMPT``, ``TODO_PROMPT``, ... ."""
