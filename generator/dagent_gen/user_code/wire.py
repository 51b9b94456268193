"""What the child interpreter that runs the user's code sends back to the build.

The child writes one JSON object per line on a channel of its own (never its stdout, which the
user's ``print`` calls share): a ``stage`` line before each step that runs user code, so that a
child that dies or hangs can be blamed on that step, and one final ``result`` line.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic, Location
from dagent_gen.introspect import ToolSignature
from dagent_gen.introspect.output_model import OutputSchema


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Request(_Wire):
    """What the parent asks: the definition file and the module search path to use."""

    definition_file: str
    sys_path: list[str]


class Stage(_Wire):
    """The step the child is about to take, e.g. "importing the module of tool `search`"."""

    doing: str
    location: Location


class Inspection(_Wire):
    """The outcome of load, validate and introspect: the definition, tool signatures and
    output models when there are no errors, and every diagnostic found on the way."""

    definition: Definition | None
    signatures: dict[str, ToolSignature]
    diagnostics: list[Diagnostic]
    outputs: dict[str, OutputSchema] = Field(default_factory=dict)  # by agent name


class Message(_Wire):
    """One line on the result channel: exactly one of the two fields is set."""

    stage: Stage | None = None
    result: Inspection | None = None
