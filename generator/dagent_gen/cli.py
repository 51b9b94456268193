"""The ``dagent-gen`` command line: build, check, diff, eject.

Exit codes (see ``exit_codes.py`` and docs/cli.md) each mean one thing, so CI can tell a stale
build from a hand-edited managed file, a conflict, or an invalid definition.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from dagent_gen.builder import Prepared, apply, eject, prepare, unified_diff
from dagent_gen.commands.console import report
from dagent_gen.commands.dev import dev_command
from dagent_gen.commands.graph import graph_command
from dagent_gen.commands.new import new as new_command
from dagent_gen.commands.run import run_command
from dagent_gen.diagnostics import Diagnostic, has_errors
from dagent_gen.exit_codes import ExitCode
from dagent_gen.reconcile import Action, ConflictMode, FilePlan

app = typer.Typer(
    name="dagent-gen",
    help="Compile agent definitions (dagent.toml / dagent.py) into plain Temporal code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PathArgument = Annotated[Path, typer.Argument(help="Project folder or definition file.")]
FormatOption = Annotated[str, typer.Option("--format", help="Output format: text or json.")]


def exit_code(problems: list[Diagnostic]) -> ExitCode:
    codes = {p.code for p in problems if p.severity == "error"}
    if not codes:
        return ExitCode.OK
    if any(not code.startswith("DG50") for code in codes) or "DG501" in codes:
        return ExitCode.DEFINITION_ERROR
    if codes & {"DG505", "DG506"}:
        return ExitCode.CONFLICT
    return ExitCode.EDITED_MANAGED


@app.command()
def build(
    path: PathArgument = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite hand edits in managed files.")
    ] = False,
    conflict: Annotated[
        ConflictMode,
        typer.Option(
            "--conflict",
            help="What to do when your edits and the generator's changes overlap: fail (write "
            "nothing), inline (diff3 markers), ours (keep yours), theirs (take the generator's).",
        ),
    ] = ConflictMode.FAIL,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff the build would apply; write nothing.")
    ] = False,
) -> None:
    """Generate (or update) the agent package, keeping your edits to workflow files."""
    prepared = prepare(path, force=force, conflict_mode=conflict)
    report(prepared.problems)
    code = exit_code(prepared.problems)
    if not prepared.ok:
        if code == ExitCode.CONFLICT and conflict is ConflictMode.FAIL and sys.stdin.isatty():
            typer.echo(
                "nothing was written; rerun with --conflict inline|ours|theirs to go on", err=True
            )
        elif prepared.plan is not None:
            typer.echo("nothing was written", err=True)
        raise typer.Exit(code or ExitCode.DEFINITION_ERROR)
    assert prepared.generation is not None
    if dry_run:
        for item in prepared.all_changes():
            typer.echo(unified_diff(item), nl=False)
        return
    done = apply(prepared)
    for item in done:
        verb = {"create": "created", "update": "updated", "delete": "removed"}[item.action.value]
        note = f" ({item.note})" if item.note else ""
        typer.echo(f"{verb} {item.path}{note}")
    files = len(prepared.generation.files)
    typer.echo(f"{prepared.generation.model.package}: {files} files, {len(done)} changed")


@app.command()
def diff(path: PathArgument = Path(".")) -> None:
    """Show the unified diff `dagent-gen build` would apply (same as `build --dry-run`)."""
    build(path, dry_run=True)


@app.command()
def check(path: PathArgument = Path("."), output_format: FormatOption = "text") -> None:
    """Exit non-zero when generated code is not what `dagent-gen build` would write.

    Runs exactly the build pipeline and merge, writes nothing. Exit codes: 0 up to date,
    1 definition errors, 3 stale (missing, changed or extra files), 4 a managed file was
    edited by hand, 5 unresolved conflict markers.
    """
    prepared = prepare(path)
    findings = _findings(prepared)
    # A conflict the next build would hit is stale output (3), not markers on disk (5).
    code = exit_code([p for p in prepared.problems if p.code != "DG505"])
    if code == ExitCode.OK and findings:
        code = ExitCode.STALE
    status = {
        ExitCode.OK: "ok",
        ExitCode.DEFINITION_ERROR: "definition-error",
        ExitCode.STALE: "stale",
        ExitCode.EDITED_MANAGED: "edited",
        ExitCode.CONFLICT: "conflict-markers",
    }[code]
    fix = _fix_command(code, path)
    if output_format == "json":
        payload: dict[str, Any] = {
            "status": status,
            "exit_code": int(code),
            "files": [{"kind": kind, "path": p} for kind, p in findings],
            "diagnostics": [d.to_json() for d in prepared.problems],
            "fix": fix,
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        report(prepared.problems)
        for kind, name in findings:
            typer.echo(f"{kind}: {name}", err=True)
        if fix:
            typer.echo(f"to fix: {fix}", err=True)
        else:
            typer.echo("generated code is up to date")
    raise typer.Exit(code)


def _findings(prepared: Prepared) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    items: list[FilePlan] = list(prepared.plan.files if prepared.plan else []) + prepared.state
    for item in items:
        if item.action is Action.CREATE:
            found.append(("missing", item.path))
        elif item.action is Action.UPDATE:
            found.append(("stale", item.path))
        elif item.action is Action.DELETE:
            found.append(("extra", item.path))
        elif item.action is Action.KEEP and item.note == "edited":
            found.append(("edited", item.path))
        elif item.action is Action.KEEP and item.note == "markers":
            found.append(("conflict-markers", item.path))
        elif item.action is Action.KEEP and item.note == "conflict":
            found.append(("conflict", item.path))
    return found


def _fix_command(code: ExitCode, path: Path) -> str:
    target = "" if str(path) == "." else f" {path}"
    return {
        ExitCode.OK: "",
        ExitCode.DEFINITION_ERROR: "fix the definition errors above, then `dagent-gen build"
        + target
        + "`",
        ExitCode.STALE: f"dagent-gen build{target}",
        ExitCode.EDITED_MANAGED: f"move the edits into the definition, or `dagent-gen eject "
        f"FILE`, or `dagent-gen build --force{target}`",
        ExitCode.CONFLICT: f"resolve the conflict markers, then `dagent-gen build{target}`",
    }[code]


@app.command(name="eject")
def eject_command(
    file: Annotated[Path, typer.Argument(help="A generated file to hand over to you.")],
    path: Annotated[Path, typer.Option("--project", help="Project folder.")] = Path("."),
) -> None:
    """Make a generated file yours: `dagent-gen build` will never touch it again."""
    problems = eject(path, file)
    report(problems)
    if has_errors(problems):
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    typer.echo(f"ejected {file}: it is yours now")


app.command(name="graph")(graph_command)
app.command(name="run")(run_command)
app.command(name="dev")(dev_command)
app.command(name="new")(new_command)


def main() -> None:
    sys.exit(app())


if __name__ == "__main__":
    main()
