"""An output model's JSON schema, made fit for the model API's strict structured outputs.

OpenAI's ``response_format: {"type": "json_schema", "json_schema": {..., "strict": true}}``
accepts a subset of JSON Schema: every object lists all its properties in ``required`` and
says ``additionalProperties: false``; the root is an object; only some keywords are known.
Pydantic's schema is close: ``strict_schema`` closes every object, makes every property
required (a field with a default is still required of the model, which gives some value;
an optional field stays nullable), turns ``oneOf`` into ``anyOf``, inlines a ``$ref`` that has
sibling keywords and drops keywords the API does not know (``default``, ``minLength``, …).
Nothing of the model's meaning is lost for the run: the answer is validated with the pydantic
model itself, and a violation goes back to the model as an observation.

What cannot be expressed (a free-form ``dict[str, X]``, a tuple, objects nested more than
``MAX_DEPTH`` deep) makes the schema non-strict: the reasons are returned, and the build sends
pydantic's own schema with ``strict: false`` (warning DG343).
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 10  # the API's limit of object nesting in a strict schema
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # of ``json_schema.name``

# Keywords a strict schema may carry (the API rejects others, e.g. ``default``).
KEPT = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "enum",
        "const",
        "$ref",
        "$defs",
        "title",
        "description",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
# Keywords whose meaning would be lost if dropped: the schema cannot be strict.
NOT_STRICT = frozenset(
    {"prefixItems", "patternProperties", "propertyNames", "not", "if", "dependentSchemas"}
)
FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


def schema_name(class_name: str) -> str:
    """A ``json_schema.name`` (``^[a-zA-Z0-9_-]{1,64}$``) for a class name."""
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", class_name)[:64]
    return name or "output"


def response_format(name: str, schema: dict[str, Any], strict: bool) -> dict[str, Any]:
    """The ``response_format`` request field for ``schema``."""
    return {
        "type": "json_schema",
        "json_schema": {"name": schema_name(name), "schema": schema, "strict": strict},
    }


def strict_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``schema`` rewritten for strict mode, and the reasons it cannot be strict (if any)."""
    converter = _Strict(schema.get("$defs", {}))
    result = converter.node(schema, "", 0)
    if result.get("type") != "object" or "anyOf" in result:
        converter.problems.append("the root is not a JSON object")
    return result, converter.problems


class _Strict:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.problems: list[str] = []

    def node(self, schema: Any, where: str, depth: int) -> Any:
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema and len(schema) > 1:  # siblings of $ref: inline the definition
            target = self._resolve(schema["$ref"])
            if target is not None:
                siblings = {key: value for key, value in schema.items() if key != "$ref"}
                schema = {**target, **siblings}
        for key in ("allOf", "oneOf"):
            if key in schema:
                schema = self._merge(schema, key, where)
        blocked = sorted(set(schema) & NOT_STRICT)
        if blocked:
            self.problems.append(f"{_named(where)} uses {', '.join(blocked)}")
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key not in KEPT or (key == "format" and value not in FORMATS):
                continue
            if key == "properties":
                out[key] = {
                    name: self.node(sub, f"{where}.{name}" if where else name, depth + 1)
                    for name, sub in value.items()
                }
            elif key == "items":
                out[key] = self.node(value, f"{where}[]", depth)
            elif key == "anyOf":
                out[key] = [self.node(sub, where, depth) for sub in value]
            elif key == "$defs":
                out[key] = {name: self.node(sub, name, 0) for name, sub in value.items()}
            else:
                out[key] = value
        if out.get("type") == "object" or "properties" in out:
            self._close(out, where, depth)
        if where != "" and not any(k in out for k in ("type", "anyOf", "enum", "const", "$ref")):
            self.problems.append(f"{_named(where)} has no type (e.g. `Any`)")
        return out

    def _close(self, out: dict[str, Any], where: str, depth: int) -> None:
        extra = out.get("additionalProperties", False)
        if extra is not False or "properties" not in out:
            self.problems.append(f"{_named(where)} is a free-form mapping (a dict), not fields")
        if depth >= MAX_DEPTH:
            self.problems.append(f"{_named(where)} nests objects more than {MAX_DEPTH} deep")
        out["properties"] = out.get("properties", {})
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False

    def _merge(self, schema: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        parts = schema[key]
        rest = {name: value for name, value in schema.items() if name != key}
        if key == "oneOf":  # the answer is validated by pydantic: anyOf is exact enough
            return {**rest, "anyOf": parts}
        if len(parts) == 1:
            return {**parts[0], **rest}
        self.problems.append(f"{_named(where)} combines schemas with allOf")
        return rest

    def _resolve(self, ref: str) -> dict[str, Any] | None:
        prefix = "#/$defs/"
        if not ref.startswith(prefix):
            return None
        target = self.definitions.get(ref[len(prefix) :])
        return target if isinstance(target, dict) else None


def _named(where: str) -> str:
    return f"`{where}`" if where else "the root"
