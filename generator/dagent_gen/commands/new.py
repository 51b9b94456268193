"""``dagent-gen new NAME``: create a project that builds, runs and passes its tests."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dagent_gen.commands.console import report
from dagent_gen.diagnostics import has_errors
from dagent_gen.exit_codes import ExitCode
from dagent_gen.project_source import dagent_gen_source, switch_commands
from dagent_gen.scaffold import DEFINITION_FILES, new_project, parse_data


class DefinitionFormat(StrEnum):
    TOML = "toml"
    PYTHON = "python"


def new(
    name: Annotated[
        str,
        typer.Argument(
            help="The project folder to create; its name is the project name and, by default, "
            "gives the package name.",
            metavar="NAME",
            show_default=False,
        ),
    ],
    definition_format: Annotated[
        DefinitionFormat | None,
        typer.Option(
            "--format",
            help="How the agents are defined: toml (dagent.toml) or python (dagent.py).",
            show_default=False,
        ),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option("--defaults", help="Ask nothing: take the default of every answer not given."),
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Answer a question (repeatable): package_name, description, model, format.",
            show_default=False,
        ),
    ] = None,
    parent: Annotated[
        Path,
        typer.Option("--parent", help="The folder to create the project in.", file_okay=False),
    ] = Path("."),
) -> None:
    """Create a new agent project: definition, tools, tests, CI; built once and ready to test.

    Without a terminal, or with --defaults, takes the defaults. A failure leaves nothing behind.
    """
    answers, problems = parse_data(data or [])
    dest: Path | None = None
    folder = Path(name)
    if folder.name and folder.name != name:  # `new some/where/my-agent`
        parent, name = parent / folder.parent, folder.name
    if not problems:
        # The first build and the recorded example run take a few seconds: say what is going on.
        typer.echo(f"creating {name}: the project, its first build, one recorded run", err=True)
        fmt = definition_format.value if definition_format else None
        dest, problems = new_project(
            name, parent=parent, format=fmt, defaults=defaults, data=answers
        )
    report(problems)
    if has_errors(problems) or dest is None:
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    _created(dest)


def _created(dest: Path) -> None:
    definition = next(
        (f for f in DEFINITION_FILES.values() if (dest / f).is_file()), "the definition"
    )
    try:
        shown = dest.relative_to(Path.cwd())
    except ValueError:
        shown = dest
    typer.echo(f"created {shown}: {definition}, its tools, the generated package, tests and CI")
    source, _ = dagent_gen_source()
    if source is not None:
        typer.echo(f"it installs dagent-gen from {source.origin} (see pyproject.toml)")
    typer.echo("next:")
    active = _activated_environment()
    if active and Path(active).resolve() != (dest / ".venv").resolve():
        # uv would warn on every command that VIRTUAL_ENV does not match the project's .venv
        typer.echo(f"  deactivate    # leave {active}: the project gets its own .venv")
    typer.echo(f"  cd {shown}")
    typer.echo("  uv sync")
    typer.echo("  uv run pytest")
    if source is not None and source.folder is not None:
        _machine_local(source.folder)


def _activated_environment() -> str | None:
    """The virtual environment activated in the user's shell, if any. ``uv run`` sets
    VIRTUAL_ENV for its child alone (and UV_RUN_RECURSION_DEPTH); an activate script also
    exports VIRTUAL_ENV_PROMPT."""
    active = os.environ.get("VIRTUAL_ENV")
    if not active:
        return None
    if "UV_RUN_RECURSION_DEPTH" in os.environ and "VIRTUAL_ENV_PROMPT" not in os.environ:
        return None
    return active


def _machine_local(folder: Path) -> None:
    """Said last, where it is seen: the project cannot be installed anywhere else as it is."""
    typer.echo("")
    typer.echo(
        f"note: this project works on this machine only: it installs dagent-gen from the folder "
        f"{folder}, so its CI and `uv sync` elsewhere will fail. Before you push, switch to a "
        "source that works anywhere (README.md, 'Where dagent-gen comes from'), in the project:"
    )
    for command in switch_commands(folder):
        typer.echo(f"  {command}")
