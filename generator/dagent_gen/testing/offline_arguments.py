"""How the offline model reads a task: which tool it names, and the arguments it gives.

Everything here is a pure function of the task text and the tool's JSON schema, so the offline
model stays deterministic. The rules (docs/offline-model.md):

* a tool scores one point per word of the task found in its name or description, plus a bonus
  when the task holds an arithmetic expression and the tool takes one;
* an ``expression``-like string parameter gets the arithmetic expression in the task
  ("What is 17 * 23?" → ``"17 * 23"``);
* an enum parameter gets the enum values the task names, in the order it names them (so
  "100 EUR to JPY" gives ``source="EUR"``, ``target="JPY"``); numbers get the task's numbers in
  order; other strings get the task's quoted strings in order, then the task text;
* what the task does not give falls back to the schema: defaults, the first enum value, the
  minimum or 1 for numbers. Optional parameters are left out unless the task names one of
  their enum values.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]

EXPRESSION_BONUS = 3
# Only the start of a task is read: the patterns below backtrack, and a task may be huge.
MAX_TASK_CHARS = 2000
_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "of",
        "on",
        "or",
        "please",
        "that",
        "the",
        "this",
        "to",
        "us",
        "use",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*[a-zA-Z])")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']+)'")
# A run of digits, operators and parentheses; validated with ast afterwards.
_EXPRESSION = re.compile(r"[-+(\s]*\d[\d\s.+\-*/%()]*[\d)]")
_OPERATOR_BETWEEN = re.compile(r"[\d)]\s*(\*\*|//|[-+*/%])\s*[-+(\d]")
_WORD_OPERATORS = (
    (re.compile(r"\bdivided by\b", re.IGNORECASE), "/"),
    (re.compile(r"\b(times|multiplied by)\b", re.IGNORECASE), "*"),
    (re.compile(r"\bplus\b", re.IGNORECASE), "+"),
    (re.compile(r"\bminus\b", re.IGNORECASE), "-"),
    (re.compile(r"(?<=\d)(\s*)[x\u00d7](?=\s*\d)"), r"\1*"),  # 3 x 4, 3\u00d74
    (re.compile("\u00f7"), "/"),
    (re.compile(r"\^"), "**"),
)
_EXPRESSION_PARAMETERS = frozenset({"expression", "expr", "formula", "equation", "calculation"})


def words(text: str) -> set[str]:
    """Lower-case words of ``text`` without stop words; ``snake_case`` splits into its words and
    a plural ``s`` is dropped ("converts" matches "convert")."""
    found = set()
    for word in _WORD.findall(text.lower().replace("_", " ")):
        if word in _STOP_WORDS:
            continue
        found.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return found


def expression_in(task: str) -> str | None:
    """The first arithmetic expression in ``task`` (words such as "times" as operators)."""
    normalized = task[:MAX_TASK_CHARS]
    for pattern, operator in _WORD_OPERATORS:
        normalized = pattern.sub(operator, normalized)
    for match in _EXPRESSION.finditer(normalized):
        candidate = " ".join(match.group().split())
        if not _OPERATOR_BETWEEN.search(candidate):
            continue
        try:
            ast.parse(candidate, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # e.g. too deeply nested
            continue
        return candidate
    return None


def tool_score(name: str, function: JsonObject, task: str) -> int:
    """How well a tool matches the task: shared words, plus a bonus for an expression."""
    described = f"{name} {function.get('description') or ''}"
    score = len(words(task[:MAX_TASK_CHARS]) & words(described[:MAX_TASK_CHARS]))
    if expression_in(task) is not None and _takes_expression(function.get("parameters")):
        score += EXPRESSION_BONUS
    return score


def _takes_expression(schema: Any) -> bool:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return False
    return any(_is_expression_parameter(n, p) for n, p in properties.items())


def _is_expression_parameter(name: str, schema: Any) -> bool:
    if not isinstance(schema, dict) or schema.get("type") != "string":
        return False
    if name.lower() in _EXPRESSION_PARAMETERS:
        return True
    return "arithmetic" in str(schema.get("description", "")).lower()


@dataclass
class _TaskValues:
    """What the task offers, consumed in order as parameters take them."""

    task: str
    numbers: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    used_enum_values: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, task: str) -> _TaskValues:
        task = task[:MAX_TASK_CHARS]
        expression = expression_in(task) or ""
        without = task.replace(expression, " ") if expression else task
        quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(task)]
        return cls(task, _NUMBER.findall(without), quoted)

    def named_enum_value(self, options: list[Any]) -> Any:
        """The first option the task names that no parameter took yet, in task order."""
        lowered = self.task.lower()
        named = []
        for option in options:
            if not isinstance(option, str) or option in self.used_enum_values:
                continue
            match = re.search(rf"(?<!\w){re.escape(option.lower())}(?!\w)", lowered)
            if match:
                named.append((match.start(), option))
        if not named:
            return None
        value = min(named)[1]
        self.used_enum_values.add(value)
        return value


def arguments_for(schema: Any, task: str) -> JsonObject:
    """Arguments valid for the tool's parameter ``schema``, read from ``task`` where possible."""
    root = schema if isinstance(schema, dict) else {}
    value = _value(root, "", _TaskValues.of(task), root, 0)
    return value if isinstance(value, dict) else {}


def _resolve(schema: Any, root: JsonObject, depth: int) -> Any:
    while isinstance(schema, dict) and "$ref" in schema and depth < 8:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema, depth = root.get("$defs", {}).get(name), depth + 1
    return schema


def _value(schema: Any, name: str, values: _TaskValues, root: JsonObject, depth: int) -> Any:
    """A value valid for ``schema`` (the parameter ``name``), from the task where it can."""
    schema = _resolve(schema, root, depth)
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "enum" in schema:
        named = values.named_enum_value(list(schema["enum"]))
        if named is not None:
            return named
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return _value(options[0], name, values, root, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, values, root, depth)
    if kind == "array":
        return [_value(schema.get("items"), name, values, root, depth + 1)]
    if kind == "string":
        return _string(name, schema, values)
    if kind in ("integer", "number"):
        return _number(schema, values, integer=kind == "integer")
    if kind == "boolean":
        return False
    return None


def _object(schema: JsonObject, values: _TaskValues, root: JsonObject, depth: int) -> JsonObject:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    result: JsonObject = {}
    for name, prop in properties.items():  # schema order: the order the tool declares them
        if name in required:
            result[name] = _value(prop, name, values, root, depth + 1)
            continue
        enum = _resolve(prop, root, depth).get("enum") if isinstance(prop, dict) else None
        named = values.named_enum_value(list(enum)) if isinstance(enum, list) else None
        if named is not None:
            result[name] = named
    return result


def _string(name: str, schema: JsonObject, values: _TaskValues) -> str:
    if _is_expression_parameter(name, schema):
        expression = expression_in(values.task)
        if expression is not None:
            return expression
    if values.quoted:
        return values.quoted.pop(0)
    return values.task[:200] or "example"


def _number(schema: JsonObject, values: _TaskValues, *, integer: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    fallback = low if low is not None else 1
    while values.numbers:
        written = values.numbers.pop(0)
        number = float(written)
        if integer and not number.is_integer():
            continue
        if (low is None or number >= low) and (high is None or number <= high):
            return int(number) if integer or "." not in written else number
    return int(fallback) if integer else float(fallback)
