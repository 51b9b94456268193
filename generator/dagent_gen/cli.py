"""The ``dagent-gen`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dagent_gen.diagnostics import Diagnostic
from dagent_gen.exit_codes import ExitCode
from dagent_gen.pipeline import generate
from dagent_gen.write import atomic_write

app = typer.Typer(
    name="dagent-gen",
    help="Compile agent definitions (dagent.toml / dagent.py) into plain Temporal code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PathArgument = Annotated[
    Path, typer.Argument(help="Project folder or definition file.", show_default=True)
]


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        typer.echo(diagnostic.render(), err=True)


@app.command()
def build(path: PathArgument = Path(".")) -> None:
    """Generate (or update) the agent package from the definition."""
    generation, problems = generate(path)
    _report(problems)
    if generation is None:
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    changed = [
        file.path
        for file in generation.files
        if atomic_write(generation.project_dir / file.path, file.content)
    ]
    for name in changed:
        typer.echo(f"wrote {name}")
    typer.echo(f"{generation.model.package}: {len(generation.files)} files, {len(changed)} changed")


@app.command()
def check(
    path: PathArgument = Path("."),
    output_format: Annotated[
        str, typer.Option("--format", help="text or json", show_default=True)
    ] = "text",
) -> None:
    """Exit non-zero when generated code is stale (runs the build pipeline, writes nothing)."""
    generation, problems = generate(path)
    if generation is None:
        _emit_check(output_format, "definition-error", [], problems)
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    stale = []
    for file in generation.files:
        target = generation.project_dir / file.path
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != file.content:
            stale.append(file.path)
    status = "stale" if stale else "ok"
    _emit_check(output_format, status, stale, problems)
    if stale:
        raise typer.Exit(ExitCode.STALE)


def _emit_check(
    output_format: str, status: str, stale: list[str], problems: list[Diagnostic]
) -> None:
    if output_format == "json":
        payload = {
            "status": status,
            "stale": stale,
            "diagnostics": [d.to_json() for d in problems],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    _report(problems)
    for name in stale:
        typer.echo(f"stale: {name}", err=True)
    if stale:
        typer.echo("run `dagent-gen build` to update the generated code", err=True)
    elif status == "ok":
        typer.echo("generated code is up to date")


def main() -> None:
    sys.exit(app())


if __name__ == "__main__":
    main()
