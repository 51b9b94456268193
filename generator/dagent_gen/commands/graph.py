"""``dagent-gen graph``: print the project's Mermaid diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dagent_gen.commands.console import report
from dagent_gen.exit_codes import ExitCode
from dagent_gen.graph import mermaid
from dagent_gen.pipeline import generate


def graph_command(
    path: Annotated[Path, typer.Argument(help="Project folder or definition file.")] = Path("."),
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Wrap the diagram in a ```mermaid fence.")
    ] = False,
) -> None:
    """Print a Mermaid diagram of the agents, their tools and sub-agent edges."""
    generation, problems = generate(path)
    report(problems)
    if generation is None:
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    diagram = mermaid(generation.model)
    typer.echo(f"```mermaid\n{diagram}```\n" if markdown else diagram, nl=False)
