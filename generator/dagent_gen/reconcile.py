"""Stage 6, merge: decide what happens to every file, given what is on disk and what was built.

For each generated file, by ownership:

- managed: written when unchanged since the last build; a hand edit stops the build (DG504)
  unless ``force``.
- merged: 3-way merge of the last generated text (base), the file on disk (yours) and the new
  output (theirs). A clean merge must still parse (if it does not, the whole file is one
  conflict); conflicts follow ``conflict_mode``.
- ejected: never touched.

Files the last build produced but this one does not are deleted when unmodified, kept with a
warning otherwise. Nothing is written here: the result is a plan that ``build`` applies and
``check`` inspects, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, warning
from dagent_gen.merge import (
    command_sequence_changes,
    enclosing_scopes,
    has_conflict_markers,
    merge3,
    parse_error,
    resolve,
)
from dagent_gen.merge.three_way import (
    BASE_MARKER,
    OURS_MARKER,
    SEPARATOR_MARKER,
    THEIRS_MARKER,
    MergeResult,
)
from dagent_gen.render import GeneratedFile, Ownership
from dagent_gen.state import Lock, LockedFile, LockedOwnership, read_base, sha256


class ConflictMode(StrEnum):
    FAIL = "fail"  # write nothing, report the conflicts (the default)
    INLINE = "inline"  # write diff3-style markers for the user to resolve
    OURS = "ours"  # keep the user's side of each conflicting hunk
    THEIRS = "theirs"  # take the generator's side of each conflicting hunk


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"
    KEEP = "keep"  # no longer generated (or ejected): left as it is


class Kept(StrEnum):
    """Why a build leaves a generated file as it is (what ``check`` reports for it)."""

    EDITED = "edited"  # a managed file edited by hand (DG504)
    MARKERS = "conflict-markers"  # conflict markers still on disk (DG506)
    CONFLICT = "conflict"  # the merge conflicts (DG505)
    NO_LONGER_GENERATED = "kept"  # no longer generated, but edited (DG511)
    EJECTED = "ejected"  # the user's file now


MANAGED, MERGED, EJECTED = LockedOwnership.MANAGED, LockedOwnership.MERGED, LockedOwnership.EJECTED


@dataclass
class FilePlan:
    path: str
    ownership: LockedOwnership | None  # None: build state (.dagent/, .gitattributes)
    action: Action
    content: str | None = None  # the new text for CREATE / UPDATE
    before: str | None = None  # the text on disk now, if any
    note: str = ""  # shown after the path, e.g. "(merged your edits)"
    kept: Kept | None = None  # for KEEP: why
    markers: int = 0  # conflict blocks this write puts into the file (--conflict inline)


@dataclass
class Plan:
    files: list[FilePlan] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    lock: Lock | None = None
    bases: dict[str, str] = field(default_factory=dict)  # path -> pristine text of merged files

    def changes(self) -> list[FilePlan]:
        return [f for f in self.files if f.action in (Action.CREATE, Action.UPDATE, Action.DELETE)]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def plan_build(
    project_dir: Path,
    files: list[GeneratedFile],
    old_lock: Lock | None,
    new_lock: Lock,
    *,
    force: bool = False,
    conflict_mode: ConflictMode = ConflictMode.FAIL,
) -> Plan:
    plan = Plan(lock=new_lock)
    old_files = old_lock.files if old_lock else {}
    generated = {file.path for file in files}
    for file in files:
        locked = old_files.get(file.path)
        if locked is not None and locked.ownership is EJECTED:
            new_lock.files[file.path] = locked
            plan.files.append(FilePlan(file.path, EJECTED, Action.KEEP, kept=Kept.EJECTED))
            continue
        new_lock.files[file.path] = LockedFile(
            ownership=LockedOwnership(file.ownership.value), sha256=sha256(file.content)
        )
        disk = _read(project_dir / file.path)
        if file.ownership is Ownership.MERGED:
            plan.bases[file.path] = file.content
            _plan_merged(plan, project_dir, file, disk, conflict_mode)
        else:
            _plan_managed(plan, file, disk, locked, force)
    for path, locked in sorted(old_files.items()):
        if path not in generated:
            _plan_removed(plan, project_dir, path, locked, new_lock)
    return plan


def _plan_managed(
    plan: Plan, file: GeneratedFile, disk: str | None, locked: LockedFile | None, force: bool
) -> None:
    if disk is None:
        plan.files.append(FilePlan(file.path, MANAGED, Action.CREATE, file.content))
        return
    if disk == file.content:
        plan.files.append(FilePlan(file.path, MANAGED, Action.UNCHANGED, before=disk))
        return
    edited = locked is None or sha256(disk) != locked.sha256
    if edited and not force:
        plan.problems.append(
            error(
                Code.EDITED_MANAGED_FILE,
                f"{file.path} is managed by dagent-gen but was edited by hand",
                Location(file.path, 1),
                "move the change into the definition (or the workflow, which is yours to "
                f"edit); `dagent-gen eject {file.path}` makes the file yours; "
                "`dagent-gen build --force` overwrites it",
            )
        )
        plan.files.append(FilePlan(file.path, MANAGED, Action.KEEP, before=disk, kept=Kept.EDITED))
        return
    note = "overwrote your edit (--force)" if edited else ""
    plan.files.append(FilePlan(file.path, MANAGED, Action.UPDATE, file.content, disk, note))


def _plan_merged(
    plan: Plan, project_dir: Path, file: GeneratedFile, disk: str | None, mode: ConflictMode
) -> None:
    if disk is None:
        plan.files.append(FilePlan(file.path, MERGED, Action.CREATE, file.content))
        return
    if has_conflict_markers(disk):
        plan.problems.append(
            error(
                Code.CONFLICT_MARKERS,
                f"{file.path} still has conflict markers from an earlier build",
                Location(file.path, _first_marker_line(disk)),
                "resolve them (keep what you want between <<<<<<< and >>>>>>>, delete the "
                "markers), then run `dagent-gen build` again",
            )
        )
        plan.files.append(FilePlan(file.path, MERGED, Action.KEEP, before=disk, kept=Kept.MARKERS))
        return
    base = read_base(project_dir, file.path)
    if disk == file.content or base == file.content:
        # Nothing new from the generator (or the user already has it): keep the file as it is.
        plan.files.append(FilePlan(file.path, MERGED, Action.UNCHANGED, before=disk))
        return
    if base == disk:  # only the generator changed: take its output
        _add_update(plan, file, disk, file.content, "")
        return
    # With no base on record, everything both sides hold differently is a conflict.
    result = merge3(base or "", disk, file.content)
    if result.clean:
        problem = parse_error(result.text, filename=file.path)
        if problem is None:
            _add_update(plan, file, disk, result.text, "merged your edits")
            return
        _plan_unparsable_merge(plan, file, disk, base, problem, mode)
        return
    _plan_conflicts(plan, file, disk, base, result, mode)


def _plan_unparsable_merge(
    plan: Plan,
    file: GeneratedFile,
    disk: str,
    base: str | None,
    problem: Diagnostic,
    mode: ConflictMode,
) -> None:
    """Each side parses, their line-wise merge does not: no hunk is to blame, so the whole
    file is the conflict, and --conflict decides for the whole file."""
    if mode is ConflictMode.INLINE:
        text = _whole_file_conflict(disk, base or "", file.content)
        _add_update(plan, file, disk, text, "the merge did not parse: whole file marked", 1)
        return
    if mode is not ConflictMode.FAIL:
        text = disk if mode is ConflictMode.OURS else file.content
        side = "yours" if mode is ConflictMode.OURS else "the generator's"
        _add_update(plan, file, disk, text, f"the merge did not parse: kept {side}")
        return
    plan.problems.append(
        error(
            Code.MERGE_CONFLICT,
            f"{file.path}: merging your edits with the new output gives invalid Python "
            f"({problem.message})",
            Location(file.path, problem.location.line if problem.location else 0),
            "preview with `dagent-gen diff` (= `dagent-gen build --dry-run --conflict "
            "inline`), then rebuild with --conflict inline (the whole file is marked: "
            "yours, last generated, new) and fix it by hand, or with --conflict ours (keep "
            "your file) / theirs (take the new output)",
        )
    )
    plan.files.append(FilePlan(file.path, MERGED, Action.KEEP, before=disk, kept=Kept.CONFLICT))


def _plan_conflicts(
    plan: Plan,
    file: GeneratedFile,
    disk: str,
    base: str | None,
    result: MergeResult,
    mode: ConflictMode,
) -> None:
    """Hunks both sides changed: refuse (DG505), mark them, or take one side, as ``mode`` says."""
    if mode is ConflictMode.FAIL:
        for conflict in result.conflicts:
            scopes = enclosing_scopes(
                result.text, range(conflict.start_line, conflict.end_line + 1)
            )
            why = (
                "no record of the last generated version exists"
                if base is None
                else "your edit and the generator's change overlap"
            )
            plan.problems.append(
                error(
                    Code.MERGE_CONFLICT,
                    f"{file.path}: conflict in {', '.join(scopes)}: {why}",
                    Location(file.path, conflict.ours_line),
                    "preview with `dagent-gen diff` (= `dagent-gen build --dry-run "
                    "--conflict inline`), then rerun with --conflict inline to get diff3 "
                    "markers, or --conflict ours / theirs to keep your side / take the "
                    "generator's side",
                )
            )
        plan.files.append(FilePlan(file.path, MERGED, Action.KEEP, before=disk, kept=Kept.CONFLICT))
        return
    if mode is ConflictMode.INLINE:
        count = len(result.conflicts)
        _add_update(plan, file, disk, result.text, f"{count} conflict(s) marked", count)
        return
    prefer: Literal["ours", "theirs"] = "ours" if mode is ConflictMode.OURS else "theirs"
    text = resolve(base or "", disk, file.content, prefer)
    side = "yours" if prefer == "ours" else "the generator's"
    _add_update(plan, file, disk, text, f"conflicts resolved with {side}")


def _whole_file_conflict(ours: str, base: str, theirs: str) -> str:
    """One diff3 block spanning the whole file, labelled like ``merge3``'s blocks."""

    def section(text: str) -> str:
        return text if not text or text.endswith("\n") else text + "\n"

    return (
        f"{OURS_MARKER} yours (on disk)\n{section(ours)}"
        f"{BASE_MARKER} last generated\n{section(base)}"
        f"{SEPARATOR_MARKER}\n{section(theirs)}"
        f"{THEIRS_MARKER} newly generated\n"
    )


def _add_update(
    plan: Plan, file: GeneratedFile, disk: str, text: str, note: str, markers: int = 0
) -> None:
    if text == disk:
        plan.files.append(FilePlan(file.path, MERGED, Action.UNCHANGED, before=disk, note=note))
        return
    plan.files.append(FilePlan(file.path, MERGED, Action.UPDATE, text, disk, note, markers=markers))
    for change in command_sequence_changes(disk, text):
        plan.problems.append(
            warning(
                Code.REPLAY_UNSAFE_CHANGE,
                f"{file.path}: {change.description}; running executions may fail to replay",
                Location(file.path, 1),
                "keep old runs working with `workflow.patched(...)` around the change, or "
                "deploy with worker versioning (see docs/editing-generated-code.md)",
            )
        )


def _plan_removed(
    plan: Plan, project_dir: Path, path: str, locked: LockedFile, new_lock: Lock
) -> None:
    disk = _read(project_dir / path)
    if locked.ownership is EJECTED:
        if disk is not None:
            new_lock.files[path] = locked
        plan.files.append(FilePlan(path, EJECTED, Action.KEEP, before=disk, kept=Kept.EJECTED))
        return
    if disk is None:
        return
    pristine = read_base(project_dir, path) if locked.ownership is MERGED else None
    unmodified = sha256(disk) == locked.sha256 or (pristine is not None and disk == pristine)
    if unmodified:
        plan.files.append(FilePlan(path, locked.ownership, Action.DELETE, before=disk))
        return
    plan.problems.append(
        warning(
            Code.KEPT_EDITED_FILE,
            f"{path} is no longer generated, but you edited it, so it was kept",
            Location(path, 1),
            "delete it if you no longer need it; dagent-gen no longer tracks it",
        )
    )
    plan.files.append(
        FilePlan(path, locked.ownership, Action.KEEP, before=disk, kept=Kept.NO_LONGER_GENERATED)
    )


def _first_marker_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("<<<<<<< "):
            return number
    return 1
