"""An agent's ``output = "module:Model"``: import the class, check it, take its JSON schema.

Runs in the child interpreter, like tool introspection; everything that goes wrong becomes a
diagnostic at the ``output`` key (DG340 to DG343), never an exception escaping the stage.
"""

from __future__ import annotations

import difflib
import inspect
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, warning
from dagent_gen.introspect.importing import describe_exception, import_user_module
from dagent_gen.output_schema import strict_schema

_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class OutputSchema(BaseModel):
    """What the generated code needs of an output model: where to import it, its schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    module: str
    name: str
    json_schema: dict[str, Any]
    strict: bool


def introspect_output(
    ref: str, *, search_path: Path, location: Location
) -> tuple[OutputSchema | None, list[Diagnostic]]:
    """Import ``ref`` (``"module:Model"``) from ``search_path`` and describe the model."""
    module_name, sep, name = ref.strip().partition(":")
    if not sep or not _DOTTED.match(module_name) or not _IDENTIFIER.match(name):
        message = f"output model `{ref}` is not of the form `module:Model`"
        hint = "name a module-level class, e.g. `models:Report` (class Report in models.py)"
        return None, [error(Code.INVALID_OUTPUT_REFERENCE, message, location, hint)]
    module, problem = import_user_module(module_name, search_path, location)
    if module is None:
        found = [replace(problem, code=Code.OUTPUT_MODEL_NOT_FOUND.code)] if problem else []
        return None, found
    try:
        model = getattr(module, name)
    except AttributeError:
        return None, [_missing(module, module_name, name, location)]
    except Exception as exc:  # a module-level __getattr__ raised
        message = f"reading `{name}` from `{module_name}` raised {describe_exception(exc)}"
        return None, [error(Code.OUTPUT_MODEL_NOT_FOUND, message, location)]
    if not (inspect.isclass(model) and issubclass(model, BaseModel)):
        message = f"output model `{ref}` is not a pydantic model class (it is {_what(model)})"
        hint = "subclass pydantic.BaseModel: `class Report(BaseModel): ...`"
        return None, [error(Code.NOT_AN_OUTPUT_MODEL, message, location, hint)]
    return _describe(model, ref, module_name, name, location)


def _describe(
    model: type[BaseModel], ref: str, module_name: str, name: str, location: Location
) -> tuple[OutputSchema | None, list[Diagnostic]]:
    try:
        schema = model.model_json_schema()
    except Exception as exc:  # an arbitrary type, a custom __get_pydantic_json_schema__
        message = f"the JSON schema of `{ref}` cannot be generated: {describe_exception(exc)}"
        hint = "use field types pydantic can describe as JSON schema"
        return None, [error(Code.NOT_AN_OUTPUT_MODEL, message, location, hint)]
    converted, problems = strict_schema(schema)  # a recursive model's root is a $ref
    if converted.get("type") != "object":
        message = f"output model `{ref}` does not describe a JSON object"
        hint = "use a BaseModel with fields (not a RootModel of a list or a scalar)"
        return None, [error(Code.NOT_AN_OUTPUT_MODEL, message, location, hint)]
    if not problems:
        return OutputSchema(module=module_name, name=name, json_schema=converted, strict=True), []
    message = (
        f"the schema of output model `{ref}` cannot be strict: {'; '.join(problems)}; it is "
        "sent with `strict: false`, so the model API does not enforce it (answers are still "
        "validated, and the model is asked again when one is invalid)"
    )
    hint = "use models with fixed fields (no dict[str, ...], no tuples) for a strict schema"
    found = [warning(Code.OUTPUT_SCHEMA_NOT_STRICT, message, location, hint)]
    return OutputSchema(module=module_name, name=name, json_schema=schema, strict=False), found


def _missing(module: object, module_name: str, name: str, location: Location) -> Diagnostic:
    classes = sorted(
        attribute
        for attribute, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, BaseModel) and value is not BaseModel
    )
    close = difflib.get_close_matches(name, classes, n=3)
    if close:
        hint = "did you mean " + ", ".join(f"`{c}`" for c in close) + "?"
    elif classes:
        hint = "pydantic models defined there: " + ", ".join(f"`{c}`" for c in classes[:10])
    else:
        hint = "check the spelling of the class name"
    message = f"`{module_name}` has no attribute `{name}`"
    return error(Code.OUTPUT_MODEL_NOT_FOUND, message, location, hint)


def _what(value: object) -> str:
    if inspect.isclass(value):
        return f"the class `{value.__qualname__}`"
    if inspect.ismodule(value):
        return f"the module `{value.__name__}`"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} `{kind}` object"
