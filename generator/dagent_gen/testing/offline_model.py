"""A deterministic offline model: enough behaviour to run any agent with no API key.

It plans the task as one todo, calls the offered tool whose name and description best match the
task (once per user message), with arguments read from the task where it can (see
:mod:`dagent_gen.testing.offline_arguments`), and answers with what the tools returned. One tool
call per user message at most, so every agent loop it drives terminates. Used by
``dagent-gen run`` / ``dev`` when no model is configured, and handy in tests; documented in
docs/offline-model.md.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

from dagent_gen.loop_vocabulary import WRITE_TODOS
from dagent_gen.testing.model_server import ScriptedModelServer
from dagent_gen.testing.offline_arguments import arguments_for, tool_score
from dagent_gen.testing.replies import Reply, _text_of, call, respond, text, tool_calls

JsonObject = dict[str, Any]
NOTICE = "Offline model (set OPENAI_API_KEY for real answers)."
PLANNING_TOOL = WRITE_TODOS


@contextlib.contextmanager
def offline_endpoint() -> Iterator[ScriptedModelServer]:
    """The offline model as this process's OpenAI endpoint (``OPENAI_BASE_URL`` and
    ``OPENAI_API_KEY``) for the duration of the block; the variables are restored after it."""
    keys = ("OPENAI_BASE_URL", "OPENAI_API_KEY")
    saved = {key: os.environ.get(key) for key in keys}
    with ScriptedModelServer(default=respond(offline_reply)) as server:
        os.environ.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="offline")
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def offline_reply(request: JsonObject) -> Reply:
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    # The first user message is the task; later ones are the loop's own prompts (next todo).
    task = next((_text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
    tools = {
        t["function"]["name"]: t["function"]
        for t in request.get("tools") or []
        if isinstance(t, dict) and isinstance(t.get("function"), dict) and "name" in t["function"]
    }
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = str(choice["function"].get("name", ""))
        if name == PLANNING_TOOL:
            return tool_calls(call(name, {"todos": [task[:80] or "the task"]}))
        return tool_calls(call(name, arguments_for(tools.get(name, {}).get("parameters"), task)))
    observations = [_text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
    schema = _output_schema(request)
    if schema is not None and (choice == "none" or not tools):
        # structured output: an object of the requested schema, filled from the task
        return text(json.dumps(arguments_for(schema, task)))
    if choice == "none" or not tools:
        return text(_answer(task, observations))
    since_user = messages[_last_user(messages) + 1 :]
    if not any(m.get("role") == "tool" for m in since_user):
        chosen = best_tool(tools, task)
        if chosen is not None:
            parameters = tools[chosen].get("parameters")
            return tool_calls(call(chosen, arguments_for(parameters, task)))
    if schema is not None:  # an answer call of a plain loop
        return text(json.dumps(arguments_for(schema, task)))
    latest = observations[-1] if observations else ""
    return text(f"Done. {_excerpt(latest)}" if latest else "Done.")


def _output_schema(request: JsonObject) -> JsonObject | None:
    """The JSON schema of a ``response_format`` of type ``json_schema``, if any."""
    response_format = request.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def best_tool(tools: dict[str, JsonObject], task: str) -> str | None:
    """The tool (never the planning tool) that best matches ``task``; the first one on a tie,
    so the choice depends only on the request."""
    best: tuple[int, str] | None = None
    for name, function in tools.items():
        if name == PLANNING_TOOL:
            continue
        score = tool_score(name, function, task)
        if best is None or score > best[0]:
            best = (score, name)
    return best[1] if best else None


def _answer(task: str, observations: list[str]) -> str:
    useful = [o for o in observations if o and not o.startswith("Todo list updated")]
    found = " ".join(f"[{_excerpt(o)}]" for o in useful[-3:])
    return f"{NOTICE} Task: {task}" + (f" What the tools returned: {found}" if found else "")


def _last_user(messages: list[JsonObject]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return -1


def _excerpt(value: str, limit: int = 160) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
