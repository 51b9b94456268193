"""Exit codes of the command line; each means one thing (documented in docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    DEFINITION_ERROR = 1  # the definition (or a tool's signature, or the build state) has errors
    USAGE = 2  # bad command-line usage (typer/click's own code)
    STALE = 3  # check: generated code differs from what build would write
    EDITED_MANAGED = 4  # a managed file was edited by hand
    CONFLICT = 5  # a merge conflict, or conflict markers on disk (also: build wrote markers)
    WRITE_FAILED = 6  # the build could not write a file (read-only folder, full disk...)
