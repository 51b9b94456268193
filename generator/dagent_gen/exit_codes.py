"""Exit codes of the command line; each means one thing (documented in docs/cli.md)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from dagent_gen.diagnostics import Diagnostic


class ExitCode(IntEnum):
    OK = 0
    DEFINITION_ERROR = 1  # the definition (or a tool's signature, or the build state) has errors
    USAGE = 2  # bad command-line usage (typer/click's own code)
    STALE = 3  # check: generated code differs from what build would write
    EDITED_MANAGED = 4  # a managed file was edited by hand
    CONFLICT = 5  # a merge conflict, or conflict markers on disk (also: build wrote markers)
    WRITE_FAILED = 6  # the build could not write a file (read-only folder, full disk...)


# The error codes that have an exit code of their own; every other error is a definition
# error (1). A later diagnostic registry can own this table.
EXIT_CODE_OF_ERROR: dict[str, ExitCode] = {
    "DG504": ExitCode.EDITED_MANAGED,
    "DG505": ExitCode.CONFLICT,
    "DG506": ExitCode.CONFLICT,
    "DG509": ExitCode.WRITE_FAILED,
}
# When several apply, the first of these wins: a broken definition hides everything else.
_PRECEDENCE = (
    ExitCode.DEFINITION_ERROR,
    ExitCode.WRITE_FAILED,
    ExitCode.CONFLICT,
    ExitCode.EDITED_MANAGED,
)


def exit_code_of(problems: Iterable[Diagnostic]) -> ExitCode:
    """The exit code a list of diagnostics calls for (warnings never fail)."""
    found = {
        EXIT_CODE_OF_ERROR.get(p.code, ExitCode.DEFINITION_ERROR)
        for p in problems
        if p.severity == "error"
    }
    return next((code for code in _PRECEDENCE if code in found), ExitCode.OK)
