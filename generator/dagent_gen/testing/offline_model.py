"""A deterministic offline model: enough behaviour to run any agent with no API key.

It plans the task as one todo, calls the agent's first tool once per todo with arguments made
from the tool's JSON schema (strings get the task text), and answers with what the tools
returned. One tool call per user message at most, so every agent loop it drives terminates.
Used by ``dagent-gen run`` / ``dev`` when no model is configured, and handy in tests.
"""

from __future__ import annotations

from typing import Any

from dagent_gen.testing.model_server import Reply, _text_of, call, text, tool_calls

JsonObject = dict[str, Any]
NOTICE = "Offline model (set OPENAI_API_KEY for real answers)."


def offline_reply(request: JsonObject) -> Reply:
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    task = next((_text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
    tools = {
        t["function"]["name"]: t["function"]
        for t in request.get("tools") or []
        if isinstance(t, dict) and isinstance(t.get("function"), dict) and "name" in t["function"]
    }
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = str(choice["function"].get("name", ""))
        if name == "write_todos":
            return tool_calls(call(name, {"todos": [task[:80] or "the task"]}))
        return tool_calls(call(name, _arguments(tools.get(name, {}).get("parameters"), task)))
    observations = [_text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
    if choice == "none" or not tools:
        return text(_answer(task, observations))
    since_user = messages[_last_user(messages) + 1 :]
    if not any(m.get("role") == "tool" for m in since_user):
        for name, function in tools.items():
            if name != "write_todos":
                return tool_calls(call(name, _arguments(function.get("parameters"), task)))
    latest = observations[-1] if observations else ""
    return text(f"Done. {_excerpt(latest)}" if latest else "Done.")


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


def _arguments(schema: Any, task: str) -> JsonObject:
    value = _example(schema, task, schema if isinstance(schema, dict) else {}, 0)
    return value if isinstance(value, dict) else {}


def _example(schema: Any, task: str, root: JsonObject, depth: int) -> Any:
    """A value valid for ``schema``: required fields only, defaults and first enum values."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return _example(root.get("$defs", {}).get(name), task, root, depth + 1)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return _example(options[0], task, root, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            name: _example(properties[name], task, root, depth + 1)
            for name in schema.get("required", [])
            if name in properties
        }
    if kind == "array":
        return [_example(schema.get("items"), task, root, depth + 1)]
    if kind == "string":
        return task[:200] or "example"
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return False
    return None
