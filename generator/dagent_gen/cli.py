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

from dagent_gen import journal
from dagent_gen.builder import BuildFailed, Prepared, apply, eject, prepare, unified_diff
from dagent_gen.commands.console import report
from dagent_gen.commands.dev import dev_command
from dagent_gen.commands.graph import graph_command
from dagent_gen.commands.new import new as new_command
from dagent_gen.commands.run import run_command
from dagent_gen.diagnostics import Diagnostic, exit_code_of, has_errors
from dagent_gen.exit_codes import ExitCode
from dagent_gen.mcp_build import McpMode
from dagent_gen.reconcile import Action, ConflictMode, FilePlan, Kept

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
    return exit_code_of(problems)


INTERRUPTED = 130  # the shell's code for a process stopped by SIGINT

ConflictOption = Annotated[
    ConflictMode,
    typer.Option(
        "--conflict",
        help="What to do when your edits and the generator's changes overlap: fail (write "
        "nothing), inline (diff3 markers), ours (keep yours), theirs (take the generator's).",
    ),
]
RESOLVE_HINT = (
    "preview the conflicts with `dagent-gen diff{target}`, then `dagent-gen build{target} "
    "--conflict inline` (markers to resolve by hand) or `--conflict ours|theirs`"
)


@app.command()
def build(
    path: PathArgument = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite hand edits in managed files.")
    ] = False,
    conflict: ConflictOption = ConflictMode.FAIL,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff the build would apply; write nothing.")
    ] = False,
    refresh_mcp: Annotated[
        bool,
        typer.Option(
            "--refresh-mcp",
            help="List the tools of every build-discovered MCP server again, not only of "
            "those whose configuration changed.",
        ),
    ] = False,
) -> None:
    """Generate (or update) the agent package, keeping your edits to workflow files."""
    mcp_mode = McpMode.REFRESH if refresh_mcp else McpMode.DISCOVER
    prepared = prepare(
        path, force=force, conflict_mode=conflict, recover=not dry_run, mcp_mode=mcp_mode
    )
    report(prepared.problems)
    code = exit_code(prepared.problems)
    if prepared.interrupted:  # only without recovery, i.e. a dry run
        typer.echo("run `dagent-gen build` to roll back the interrupted build first", err=True)
        raise typer.Exit(ExitCode.STALE)
    if not prepared.ok:
        if code == ExitCode.CONFLICT and _has_merge_conflict(prepared):
            typer.echo(
                "nothing was written; " + RESOLVE_HINT.format(target=_target(path)), err=True
            )
        elif prepared.plan is not None:
            typer.echo("nothing was written", err=True)
        raise typer.Exit(code or ExitCode.DEFINITION_ERROR)
    assert prepared.generation is not None
    if dry_run:
        for item in prepared.all_changes():
            typer.echo(unified_diff(item), nl=False)
        raise typer.Exit(_markers_exit(prepared.all_changes(), path, written=False))
    try:
        done = apply(prepared)
    except BuildFailed as failed:
        report([failed.diagnostic])
        raise typer.Exit(ExitCode.WRITE_FAILED) from None
    except (KeyboardInterrupt, journal.Terminated):
        typer.echo("interrupted: the files written so far were rolled back", err=True)
        raise typer.Exit(INTERRUPTED) from None
    for item in done:
        verb = {"create": "created", "update": "updated", "delete": "removed"}[item.action.value]
        note = f" ({item.note})" if item.note else ""
        typer.echo(f"{verb} {item.path}{note}")
    files = len(prepared.generation.files)
    typer.echo(f"{prepared.generation.model.package}: {files} files, {len(done)} changed")
    raise typer.Exit(_markers_exit(done, path, written=True))


def _target(path: Path) -> str:
    return "" if str(path) == "." else f" {path}"


def _has_merge_conflict(prepared: Prepared) -> bool:
    """The next build would conflict (as opposed to markers already on disk)."""
    files = prepared.plan.files if prepared.plan else []
    return any(item.kept is Kept.CONFLICT for item in files)


def _markers_exit(items: list[FilePlan], path: Path, *, written: bool) -> ExitCode:
    """CONFLICT (like `git merge`) when conflict markers were (or would be) written."""
    marked = [item for item in items if item.markers]
    if not marked:
        return ExitCode.OK
    count = sum(item.markers for item in marked)
    verb = "wrote" if written else "would write"
    typer.echo(
        f"{verb} {count} conflict(s) with markers into {len(marked)} file(s): "
        f"{', '.join(item.path for item in marked)}; resolve them (keep what you want between "
        f"<<<<<<< and >>>>>>>, delete the markers), then `dagent-gen build{_target(path)}`",
        err=True,
    )
    return ExitCode.CONFLICT


@app.command()
def diff(path: PathArgument = Path(".")) -> None:
    """Show the unified diff `dagent-gen build` would apply; writes nothing.

    Where your edits and the generator's changes conflict, the diff shows the conflicts with
    diff3 markers, as `dagent-gen build --conflict inline` would write them, and exits 5.
    """
    prepared = prepare(path, recover=False)
    if _has_merge_conflict(prepared):
        build(path, conflict=ConflictMode.INLINE, dry_run=True)
    build(path, dry_run=True)


@app.command()
def check(path: PathArgument = Path("."), output_format: FormatOption = "text") -> None:
    """Exit non-zero when generated code is not what `dagent-gen build` would write.

    Runs exactly the build pipeline and merge, writes nothing. Exit codes: 0 up to date,
    1 definition errors, 3 stale (missing, changed or extra files, or an interrupted build),
    4 a managed file was edited by hand, 5 a conflict the next build would hit, or
    unresolved conflict markers.
    """
    prepared = prepare(path, recover=False)
    findings = _findings(prepared)
    code = exit_code(prepared.problems)
    if code == ExitCode.OK and findings:
        code = ExitCode.STALE
    status = _status(code, prepared)
    fix = _fix_command(code, path, prepared)
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


_FINDING_OF_ACTION = {Action.CREATE: "missing", Action.UPDATE: "stale", Action.DELETE: "extra"}
# Kept files check reports (ejected files and edited files no longer generated are fine).
_REPORTED_KEPT = (Kept.EDITED, Kept.MARKERS, Kept.CONFLICT)


def _findings(prepared: Prepared) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if prepared.interrupted:
        found.append(("interrupted", journal.JOURNAL_FILE))
    items: list[FilePlan] = list(prepared.plan.files if prepared.plan else []) + prepared.state
    for item in items:
        if item.action in _FINDING_OF_ACTION:
            found.append((_FINDING_OF_ACTION[item.action], item.path))
        elif item.action is Action.KEEP and item.kept in _REPORTED_KEPT:
            found.append((str(item.kept), item.path))
    return found


def _status(code: ExitCode, prepared: Prepared) -> str:
    if code == ExitCode.CONFLICT:
        return "conflict" if _has_merge_conflict(prepared) else "conflict-markers"
    return {
        ExitCode.OK: "ok",
        ExitCode.DEFINITION_ERROR: "definition-error",
        ExitCode.STALE: "stale",
        ExitCode.EDITED_MANAGED: "edited",
        ExitCode.WRITE_FAILED: "write-failed",
    }[code]


def _fix_command(code: ExitCode, path: Path, prepared: Prepared) -> str:
    target = _target(path)
    if code == ExitCode.CONFLICT and _has_merge_conflict(prepared):
        return RESOLVE_HINT.format(target=target)
    return {
        ExitCode.OK: "",
        ExitCode.DEFINITION_ERROR: f"fix the errors above, then `dagent-gen build{target}`",
        ExitCode.STALE: f"dagent-gen build{target}",
        ExitCode.EDITED_MANAGED: f"move the edits into the definition, or `dagent-gen eject "
        f"FILE`, or `dagent-gen build --force{target}`",
        ExitCode.CONFLICT: f"resolve the conflict markers, then `dagent-gen build{target}`",
        ExitCode.WRITE_FAILED: f"make the files writable, then `dagent-gen build{target}`",
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
