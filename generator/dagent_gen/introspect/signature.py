"""Turn a tool function into an OpenAI function-tool schema plus facts for the renderer.

The generated runtime calls every tool as ``pydantic.validate_call(fn)(**arguments)``, so the
JSON schema shown to the model must describe exactly what that call accepts.  Rather than
re-implementing pydantic's type mapping, the schema is produced by pydantic itself from the
function (``TypeAdapter(fn)`` builds the same call schema ``validate_call`` uses); this module
only checks the signature first, so that problems are reported per parameter with the line
they are on, and then tidies the result (docstring descriptions, no ``title`` noise,
deterministic order).
"""

from __future__ import annotations

import ast
import inspect
import json
import linecache
import sys
import types
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, character_column, error
from dagent_gen.introspect.annotation_text import annotation_text, format_annotation
from dagent_gen.introspect.docstring import parse_docstring, unknown_param_warnings
from dagent_gen.introspect.values import (
    annotated_defaults,
    check_return_type,
    implicit_optionals,
    make_nullable,
)

__all__ = ["ToolSignature", "describe_function", "format_annotation"]

_JSON_FRIENDLY = (
    "use a JSON-friendly type (str, int, float, bool, list, dict, Literal, an Enum, "
    "a pydantic model, a dataclass or a TypedDict)"
)


@dataclass(frozen=True)
class ToolSignature:
    """Everything the renderer needs to expose and call one tool."""

    function_module: str  # fn.__module__
    function_name: str  # fn.__qualname__, importable as ``module:qualname``
    is_async: bool
    description: str  # docstring text before the first section, "" if none
    parameters_schema: dict[str, Any]  # the OpenAI ``parameters`` object


@dataclass(frozen=True)
class _Source:
    """Where the function and each of its parameters are written."""

    definition: Location
    params: dict[str, Location]

    def of(self, name: str) -> Location:
        return self.params.get(name, self.definition)


def describe_function(fn: Callable[..., Any]) -> tuple[ToolSignature | None, list[Diagnostic]]:
    """Describe ``fn`` as a tool, or explain (DG304-DG307, DG310) why it cannot be one; warnings
    (DG308, DG309) come with a signature.

    All problems in the signature are reported together, each at the most precise location
    known: the parameter's own line where the source can be parsed, else the ``def`` line.
    """
    source = _locate(fn)
    name = getattr(fn, "__qualname__", repr(fn))
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        message = f"cannot read the signature of `{name}`: {exc}"
        hint = "point the reference at a plain `def` or `async def` function"
        return None, [error(Code.NOT_IMPORTABLE_FUNCTION, message, source.definition, hint=hint)]

    diagnostics = _check_importable(fn, source.definition)
    diagnostics += _check_parameters(name, sig, source)
    hints, hint_errors = _resolve_hints(fn, sig, source)
    diagnostics += hint_errors
    if not hint_errors:
        diagnostics += _check_json_types(sig, hints, source)
        diagnostics += annotated_defaults(sig, hints, {n: source.of(n) for n in sig.parameters})
    if diagnostics:
        return None, diagnostics

    schema, schema_error = _call_schema(fn, source.definition)
    if schema is None:
        return None, [schema_error] if schema_error else []

    at = {name: source.of(name) for name in sig.parameters}
    nullable, warnings_found = implicit_optionals(sig, hints, at)
    if "return" in hints:
        returns = format_annotation(hints["return"])
        warnings_found += check_return_type(hints["return"], returns, source.definition)
    docs = parse_docstring(inspect.getdoc(fn))
    properties: dict[str, Any] = schema["properties"]
    for param_name in nullable:
        properties[param_name] = make_nullable(properties[param_name])
    for param_name, text in docs.params.items():
        prop = properties.get(param_name)
        if prop is not None and text and "description" not in prop:
            properties[param_name] = dict(sorted({**prop, "description": text}.items()))
    return (
        ToolSignature(
            function_module=fn.__module__,
            function_name=fn.__qualname__,
            is_async=inspect.iscoroutinefunction(fn),
            description=docs.description,
            parameters_schema=schema,
        ),
        warnings_found + unknown_param_warnings(docs, set(sig.parameters), source.definition),
    )


# --- source locations ------------------------------------------------------------------------


def _locate(fn: Callable[..., Any]) -> _Source:
    """Find the ``def`` and its parameters in the source file, falling back gracefully.

    The code object's ``co_firstlineno`` is the first *decorator* line, so the file is parsed
    and the matching ``def`` node gives the real line and each ``ast.arg`` its own position.
    """
    target = inspect.unwrap(getattr(fn, "__func__", fn))
    code = getattr(target, "__code__", None)
    try:
        filename = inspect.getsourcefile(target) or inspect.getfile(target)
    except TypeError:
        filename = None
    if code is None or filename is None:
        return _Source(Location(filename or "<unknown>"), {})
    lines = linecache.getlines(filename)
    fallback = _Source(Location(filename, code.co_firstlineno), {})
    try:
        tree = ast.parse("".join(lines), filename)
    except (SyntaxError, ValueError):
        return fallback
    for node in ast.walk(tree):
        if (
            not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            or node.name != code.co_name
        ):
            continue
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        if first != code.co_firstlineno:
            continue
        args = node.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        return _Source(
            _position(filename, lines, node.lineno, node.col_offset),
            {a.arg: _position(filename, lines, a.lineno, a.col_offset) for a in every},
        )
    return fallback


def _position(filename: str, lines: list[str], line: int, byte_offset: int) -> Location:
    """A 1-based location; ``ast`` columns are UTF-8 byte offsets, editors count characters."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return Location(filename, line, character_column(text, byte_offset))


# --- checks ----------------------------------------------------------------------------------


def _check_importable(fn: Callable[..., Any], where: Location) -> list[Diagnostic]:
    """The generated code imports the tool as ``module:qualname``; make sure that works."""
    module_name = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", "?")
    problem: str | None = None
    hint = "define the tool as a module-level `def`"
    if "<lambda>" in qualname:
        problem = "it is a lambda"
    elif "<locals>" in qualname:
        problem = "it is defined inside another function"
        hint += "; a decorator must use `functools.wraps` to keep the tool's name"
    elif inspect.ismethod(fn) and not inspect.isclass(fn.__self__):
        problem = "it is a method bound to an instance, so the generated code has no `self`"
    elif "." in qualname:
        # The generated activity does `from module import name`, which cannot reach into a
        # class; a static or class method is wrapped in a module-level function instead.
        owner, _, method = qualname.rpartition(".")
        problem = f"it is a method of the class `{owner}`"
        hint += f" that calls it, e.g. `def {method}(...): return {owner}.{method}(...)`"
    else:
        obj: object = sys.modules.get(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        if obj is None or not (obj is fn or obj == fn):
            problem = f"`{module_name}:{qualname}` does not lead back to it"
    if problem is None:
        return []
    message = f"`{qualname}` cannot be imported by the generated code: {problem}"
    return [error(Code.NOT_IMPORTABLE_FUNCTION, message, where, hint=hint)]


def _check_parameters(name: str, sig: inspect.Signature, source: _Source) -> list[Diagnostic]:
    """DG305 for parameters that cannot be passed by keyword, DG306 for missing annotations."""
    found: list[Diagnostic] = []
    for param in sig.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            why, hint = "`*{0}` (variadic positional)", "replace it with e.g. `{0}: list[str]`"
        elif param.kind is inspect.Parameter.VAR_KEYWORD:
            why, hint = "`**{0}` (variadic keyword)", "replace it with explicit named parameters"
        elif param.kind is inspect.Parameter.POSITIONAL_ONLY:
            why, hint = "`{0}` (positional-only)", "remove the `/` so `{0}` can be passed by name"
        else:
            if param.annotation is inspect.Parameter.empty:
                found.append(
                    error(
                        Code.MISSING_ANNOTATION,
                        f"parameter `{param.name}` of tool `{name}` has no type annotation",
                        source.of(param.name),
                        hint=f"annotate it, e.g. `{param.name}: str`",
                    )
                )
            continue
        found.append(
            error(
                Code.VARIADIC_PARAMETERS,
                f"tool `{name}` has parameter {why.format(param.name)}; tools are called "
                "with named JSON arguments only",
                source.of(param.name),
                hint=hint.format(param.name),
            )
        )
    return found


def _resolve_hints(
    fn: Callable[..., Any], sig: inspect.Signature, source: _Source
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Evaluate the annotations like pydantic will; on failure, find which one is broken."""
    try:
        return typing.get_type_hints(fn, include_extras=True), []
    except Exception:
        pass  # retried one annotation at a time below, to name the culprit
    globalns = getattr(inspect.unwrap(getattr(fn, "__func__", fn)), "__globals__", {})
    annotations = {p.name: p.annotation for p in sig.parameters.values()}
    annotations["return"] = sig.return_annotation
    hints: dict[str, Any] = {}
    found: list[Diagnostic] = []
    for name, annotation in annotations.items():
        if annotation is inspect.Parameter.empty:
            continue
        holder = types.SimpleNamespace(__annotations__={name: annotation})
        try:
            hints.update(typing.get_type_hints(holder, globalns, include_extras=True))
        except Exception as exc:
            what = "the return annotation" if name == "return" else f"parameter `{name}`"
            found.append(
                error(
                    Code.UNSUPPORTED_PARAMETER_TYPE,
                    f"the type of {what} (`{annotation_text(annotation)}`) cannot be "
                    f"resolved: {type(exc).__name__}: {exc}",
                    source.definition if name == "return" else source.of(name),
                    hint="import the type at module level (not only under TYPE_CHECKING)",
                )
            )
    return hints, found


def _check_json_types(
    sig: inspect.Signature, hints: dict[str, Any], source: _Source
) -> list[Diagnostic]:
    """DG307 for each parameter whose type pydantic cannot turn into JSON schema."""
    found: list[Diagnostic] = []
    for param in sig.parameters.values():
        if param.name not in hints:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                TypeAdapter(hints[param.name]).json_schema()
        except Exception as exc:
            found.append(
                error(
                    Code.UNSUPPORTED_PARAMETER_TYPE,
                    f"parameter `{param.name}` has type `{format_annotation(hints[param.name])}`"
                    f", which cannot be expressed as JSON schema ({_reason(exc)})",
                    source.of(param.name),
                    hint=f"{_JSON_FRIENDLY}, and build the object inside the tool",
                )
            )
    return found


def _reason(exc: Exception) -> str:
    """The first line of pydantic's message, without its advice for model authors (a tool
    author cannot set ``arbitrary_types_allowed``: the model sees JSON either way)."""
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    for cut in (". Set `arbitrary_types_allowed", " Set `arbitrary_types_allowed", ". If you got"):
        first = first.split(cut)[0]
    return first.rstrip(". ")


# --- schema ----------------------------------------------------------------------------------


def _call_schema(
    fn: Callable[..., Any], where: Location
) -> tuple[dict[str, Any] | None, Diagnostic | None]:
    """pydantic's JSON schema for calling ``fn`` by keyword, tidied and in a fixed layout."""
    try:
        with warnings.catch_warnings():
            # Defaults that are not JSON-serialisable are left out of the schema with a
            # warning; leaving them out is right (the function still applies them).
            warnings.simplefilter("ignore")
            raw = TypeAdapter[Any](typing.cast(Any, fn)).json_schema()
        if raw.get("type") != "object" or not isinstance(raw.get("properties"), dict):
            raise ValueError(f"expected an object schema, got {sorted(raw)}")
        raw = _strip_titles(raw)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": raw["properties"],
            "required": list(raw.get("required", [])),
            "additionalProperties": False,
        }
        if raw.get("$defs"):
            schema["$defs"] = dict(sorted(raw["$defs"].items()))
        json.dumps(schema)
    except Exception as exc:
        return None, error(
            Code.UNSUPPORTED_PARAMETER_TYPE,
            f"cannot build the JSON schema of `{fn.__qualname__}`: {type(exc).__name__}: {exc}",
            where,
            hint=_JSON_FRIENDLY,
        )
    return schema, None


# Keywords whose value is a schema, a list of schemas, or a name -> schema mapping.  Only
# these are descended into, so data (``default``, ``enum``, ``const``, ``examples``) and
# property *names* are never mistaken for the ``title`` keyword.
_SUBSCHEMA = frozenset({"additionalProperties", "contains", "else", "if", "items", "not", "then"})
_SUBSCHEMA |= {"propertyNames", "unevaluatedItems", "unevaluatedProperties"}
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SUBSCHEMA_MAPS = frozenset({"$defs", "definitions", "properties"})
_SUBSCHEMA_MAPS |= {"dependentSchemas", "patternProperties"}


def _strip_titles(schema: Any) -> Any:
    """A copy of ``schema`` without pydantic's generated ``title`` keywords."""
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SUBSCHEMA:
            value = _strip_titles(value)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            value = [_strip_titles(v) for v in value]
        elif key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            value = {k: _strip_titles(v) for k, v in value.items()}
        result[key] = value
    return result
