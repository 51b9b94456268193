"""Errors as values: every problem the pipeline finds is a `Diagnostic` with a location.

Stages return diagnostics instead of raising mid-pipeline; the CLI prints them as
``file:line:col: error[CODE]: message`` followed by a ``hint:`` line, and exits non-zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dagent_gen.codes import Code
from dagent_gen.exit_codes import ExitCode


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file. ``line`` and ``column`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        text = self.file
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text

    @classmethod
    def of(cls, path: Path | str, line: int = 0, column: int = 0) -> Location:
        return cls(str(path), line, column)


def character_column(line_text: str, byte_offset: int) -> int:
    """The 1-based column of a UTF-8 byte offset in ``line_text``.

    ``ast`` nodes, tracebacks and code positions count bytes; editors count characters.
    """
    return len(line_text.encode()[:byte_offset].decode(errors="ignore")) + 1


@dataclass(frozen=True)
class Diagnostic:
    """One problem: a stable code (``DG1xx``), what is wrong, where, and how to fix it.

    ``code`` is the code string of a `Code` member (what users and ``--format json`` see);
    create diagnostics with `error` / `warning`, which take the member.
    """

    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "file": self.location.file if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
        }


# Both severities stay explicit at the call site (rather than derived from the registry):
# some codes are errors in one case and warnings in another (Severity.EITHER), and
# tests/unit/test_codes.py checks every call against the registry's severity.
def error(
    code: Code, message: str, location: Location | None = None, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(code=code.code, message=message, location=location, hint=hint)


def warning(
    code: Code, message: str, location: Location | None = None, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(
        code=code.code, message=message, location=location, hint=hint, severity="warning"
    )


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


# When several apply, the first of these wins: a broken definition hides everything else.
_PRECEDENCE = (
    ExitCode.DEFINITION_ERROR,
    ExitCode.WRITE_FAILED,
    ExitCode.CONFLICT,
    ExitCode.EDITED_MANAGED,
)


def exit_code_of(problems: Iterable[Diagnostic]) -> ExitCode:
    """The exit code a list of diagnostics calls for (warnings never fail).

    Each error's exit code is its registry entry's (``Code.exit_code``); an error whose code
    is in no entry is a definition error.
    """
    found = {_exit_code_of_error(p.code) for p in problems if p.severity == "error"}
    return next((code for code in _PRECEDENCE if code in found), ExitCode.OK)


def _exit_code_of_error(code: str) -> ExitCode:
    member = Code.of(code)
    return (member.exit_code if member else None) or ExitCode.DEFINITION_ERROR
