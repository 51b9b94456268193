"""Terminal output shared by the commands."""

from __future__ import annotations

from collections.abc import Iterable

import typer

from dagent_gen.diagnostics import Diagnostic


def report(diagnostics: Iterable[Diagnostic]) -> None:
    """Print diagnostics to stderr, one ``file:line:col: error[CODE]: ...`` block each."""
    for diagnostic in diagnostics:
        typer.echo(diagnostic.render(), err=True)
