"""Exit codes of the command line; each means one thing (documented in docs/cli.md)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagent_gen.diagnostics import Diagnostic


class ExitCode(IntEnum):
    OK = 0
    DEFINITION_ERROR = 1  # the definition (or a tool's signature, or the build state) has errors
    USAGE = 2  # bad command-line usage (typer/click's own code)
    STALE = 3  # check: generated code differs from what build would write
    EDITED_MANAGED = 4  # a managed file was edited by hand
    CONFLICT = 5  # a merge conflict, or conflict markers on disk (also: build wrote markers)
    WRITE_FAILED = 6  # the build could not write a file (read-only folder, full disk...)


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
    # Imported here because the registry itself imports ExitCode from this module.
    from dagent_gen.codes import Code

    member = Code.of(code)
    return (member.exit_code if member else None) or ExitCode.DEFINITION_ERROR
