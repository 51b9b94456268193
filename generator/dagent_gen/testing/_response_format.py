"""The ``response_format`` rules of the Chat Completions API that its request types leave open.

The shape (``{"type": "json_schema", "json_schema": {"name": ..., "schema": ..., "strict":
...}}``) is checked with the ``openai`` request types in ``_chat_validation``. Written here by
hand, as the API documents them: the name pattern; a strict schema's subset of JSON Schema
(an object at the root, ``additionalProperties: false`` and every property ``required`` in
every object, known keywords only, ``$ref`` into ``$defs``, at most ``MAX_DEPTH`` levels of
nested objects); and the word "json" in the messages for ``json_object``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dagent_gen.testing._errors import RequestError

__all__ = ["check_response_format"]

_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_DEPTH = 10
# The keywords a strict schema may use; anything else (``default``, ``oneOf``, ``allOf``,
# ``minLength``, ``prefixItems``, ...) is refused.
_PERMITTED = frozenset(
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
        "definitions",
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
_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


def check_response_format(body: dict[str, Any]) -> None:
    """Raise :class:`RequestError` for a ``response_format`` the real API would refuse."""
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return
    kind = response_format.get("type")
    if kind == "json_object" and "json" not in json.dumps(body.get("messages")).lower():
        raise RequestError(
            "'messages' must contain the word 'json' in some form, to use 'response_format' "
            "of type 'json_object'.",
            param="messages",
        )
    if kind != "json_schema":
        return
    definition = response_format["json_schema"]
    name = definition["name"]
    if not _NAME_RE.match(name):
        raise RequestError(
            "Invalid 'response_format.json_schema.name': string does not match pattern. "
            f"Expected a string that matches the pattern '^[a-zA-Z0-9_-]{{1,64}}$' (got {name!r}).",
            param="response_format.json_schema.name",
            code="invalid_value",
        )
    if definition.get("strict") is True:
        _StrictSchema(name, definition.get("schema")).check()


class _StrictSchema:
    """Walks a strict schema; the first rule broken raises, naming its context like the API."""

    def __init__(self, name: str, schema: Any) -> None:
        self.name = name
        self.schema = schema

    def fail(self, context: tuple[str, ...], what: str) -> RequestError:
        where = f"In context={context!r}, " if context else ""
        return RequestError(
            f"Invalid schema for response_format '{self.name}': {where}{what}",
            param="response_format",
            code="invalid_json_schema",
        )

    def check(self) -> None:
        schema = self.schema
        if not isinstance(schema, dict):
            raise self.fail((), "a strict schema must be supplied as a JSON object.")
        if schema.get("type") != "object" or "anyOf" in schema:
            raise self.fail(
                (),
                "schema must be a JSON Schema of 'type: \"object\"', got "
                f"'type: \"{schema.get('type')}\"'.",
            )
        self.node(schema, (), 0)

    def node(self, schema: Any, context: tuple[str, ...], depth: int) -> None:
        if not isinstance(schema, dict):
            raise self.fail(context, "a schema must be a JSON object.")
        for key in schema:
            if key not in _PERMITTED:
                raise self.fail(context, f"'{key}' is not permitted.")
        if "$ref" in schema:
            self.reference(schema, context)
            return
        self.types(schema, context)
        if "format" in schema and schema["format"] not in _FORMATS:
            raise self.fail(context, f"format '{schema['format']}' is not supported.")
        if schema.get("type") == "object" or "properties" in schema:
            self.object(schema, context, depth + 1)
        if "items" in schema:
            self.node(schema["items"], (*context, "items"), depth)
        for index, option in enumerate(schema.get("anyOf") or []):
            self.node(option, (*context, "anyOf", str(index)), depth)
        for section in ("$defs", "definitions"):
            for name, definition in (schema.get(section) or {}).items():
                self.node(definition, (section, name), 0)

    def types(self, schema: dict[str, Any], context: tuple[str, ...]) -> None:
        declared = schema.get("type")
        names = declared if isinstance(declared, list) else [declared]
        if declared is not None and not all(name in _TYPES for name in names):
            raise self.fail(context, f"type {declared!r} is not supported.")
        if not any(key in schema for key in ("type", "anyOf", "enum", "const")):
            raise self.fail(context, "schema must have a 'type' key.")

    def object(self, schema: dict[str, Any], context: tuple[str, ...], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.fail(context, f"objects may be nested at most {MAX_DEPTH} levels deep.")
        if schema.get("additionalProperties") is not False:
            raise self.fail(
                context, "'additionalProperties' is required to be supplied and to be false."
            )
        properties = schema.get("properties") or {}
        required = schema.get("required")
        missing = [
            key for key in properties if not isinstance(required, list) or key not in required
        ]
        if missing:
            raise self.fail(
                context,
                "'required' is required to be supplied and to be an array including every "
                f"key in properties. Missing '{missing[0]}'.",
            )
        extra = [key for key in required or [] if key not in properties]
        if extra:
            raise self.fail(context, f"'required' names '{extra[0]}', which is not a property.")
        for key, value in properties.items():
            self.node(value, (*context, "properties", key), depth)

    def reference(self, schema: dict[str, Any], context: tuple[str, ...]) -> None:
        if len(schema) > 1:
            raise self.fail(context, "'$ref' cannot have keywords beside it.")
        ref = schema["$ref"]
        if ref == "#":
            return
        for prefix in ("#/$defs/", "#/definitions/"):
            if isinstance(ref, str) and ref.startswith(prefix):
                section = self.schema.get(prefix[2:-1]) or {}
                if ref[len(prefix) :] in section:
                    return
        raise self.fail(context, f"reference {ref!r} does not resolve.")
