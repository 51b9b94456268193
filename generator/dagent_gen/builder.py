"""Build and check: the pipeline, then the merge plan, then (for build) the writes.

``prepare`` runs everything up to the plan and touches nothing (except, with ``recover``,
rolling back an interrupted build); ``apply`` writes the plan under a journal, so a build is
all-or-nothing; the check inspects the same plan. So ``dagent-gen check`` is exactly
``dagent-gen build`` minus the writes.
"""

from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from dagent_gen import gitattributes, journal
from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, has_errors
from dagent_gen.mcp_build import McpMode
from dagent_gen.pipeline import Generation, generate
from dagent_gen.reconcile import Action, ConflictMode, FilePlan, Plan, plan_build
from dagent_gen.state import (
    LOCK_FILE,
    Lock,
    LockedOwnership,
    base_path,
    read_lock,
    resolve_inside,
    sha256,
    unsafe_path,
    unsafe_path_reason,
)
from dagent_gen.write import UnsafePathError, atomic_write, remove_file, stale_temporaries


def generator_version() -> str:
    try:
        return f"dagent-gen {version('dagent-gen')}"
    except PackageNotFoundError:
        return "dagent-gen (unknown version)"


@dataclass
class Prepared:
    generation: Generation | None
    plan: Plan | None
    problems: list[Diagnostic]
    state: list[FilePlan] = field(default_factory=list)  # lock, bases, .gitattributes
    interrupted: bool = False  # an interrupted build's journal is on disk (check: stale)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not has_errors(self.problems)

    def all_changes(self) -> list[FilePlan]:
        changes = self.plan.changes() if self.plan else []
        return changes + [f for f in self.state if f.action is not Action.UNCHANGED]


def prepare(
    path: Path,
    *,
    force: bool = False,
    conflict_mode: ConflictMode = ConflictMode.FAIL,
    recover: bool = True,
    mcp_mode: McpMode = McpMode.OFFLINE,
) -> Prepared:
    """Plan a build. With ``recover`` (a real build) an interrupted earlier build is rolled
    back first; without (check, dry run) it is only reported, and nothing is touched.
    ``mcp_mode``: whether MCP servers may be listed (build) or only the lock's record (check)."""
    generation, problems = generate(path, mcp_mode)
    if generation is None:
        return Prepared(None, None, problems)
    root = generation.project_dir
    interrupted = journal.has_journal(root)
    if interrupted and recover:
        problems.extend(journal.roll_back(root))
        interrupted = False
    elif interrupted:
        # The files on disk are half of a build: no plan over them can be right. Only the
        # rollback (the next real build) makes the project plannable again.
        problems.append(journal.interrupted(root))
        return Prepared(generation, None, problems, interrupted=True)
    old_lock, lock_problems = read_lock(root)
    lock_problems += _generated_path_problems(generation)
    problems.extend(lock_problems)
    if lock_problems:
        return Prepared(generation, None, problems)
    new_lock = Lock(
        generator=generator_version(),
        definition=generation.definition_file.name,
        definition_sha256=sha256(generation.definition_file.read_text(encoding="utf-8")),
        mcp=generation.mcp_record,
    )
    plan = plan_build(
        root, generation.files, old_lock, new_lock, force=force, conflict_mode=conflict_mode
    )
    problems.extend(plan.problems)
    state = _state_plans(root, plan, old_lock, new_lock)
    return Prepared(generation, plan, problems, state)


def _generated_path_problems(generation: Generation) -> list[Diagnostic]:
    """DG508 for a generated path that is not plain or leaves the project (a symlinked folder)."""
    root = generation.project_dir
    problems: list[Diagnostic] = []
    for file in generation.files:
        why = unsafe_path_reason(file.path)
        if why is None and resolve_inside(root, file.path) is None:
            why = "it resolves outside the project (through a symlink)"
        if why is not None:
            problems.append(unsafe_path(file.path, str(root), why))
    return problems


def _state_plans(root: Path, plan: Plan, old: Lock | None, new: Lock) -> list[FilePlan]:
    plans: list[FilePlan] = []
    wanted: dict[str, str | None] = {}
    merged = LockedOwnership.MERGED
    old_merged = {p for p, f in (old.files if old else {}).items() if f.ownership is merged}
    for path in sorted(old_merged):
        wanted[base_path(path)] = None
    for path, text in sorted(plan.bases.items()):
        if new.files[path].ownership is merged:
            wanted[base_path(path)] = text
    wanted[gitattributes.FILE] = _gitattributes_for(root, new)
    lock_text = new.dump()
    if old is not None and old.model_copy(update={"generator": new.generator}).dump() == lock_text:
        lock_text = old.dump()  # a new generator version alone does not make the state stale
    wanted[LOCK_FILE] = lock_text
    for path, wanted_text in wanted.items():
        target = root / path
        on_disk = target.read_text(encoding="utf-8") if target.exists() else None
        if wanted_text is None:
            action = Action.DELETE if on_disk is not None else Action.UNCHANGED
        elif on_disk is None:
            action = Action.CREATE
        else:
            action = Action.UNCHANGED if on_disk == wanted_text else Action.UPDATE
        plans.append(FilePlan(path, None, action, wanted_text, on_disk))
    return plans


def _gitattributes_for(root: Path, lock: Lock) -> str:
    """``.gitattributes`` on disk with its dagent-gen block listing the lock's managed files."""
    attributes = root / gitattributes.FILE
    current = attributes.read_text(encoding="utf-8") if attributes.exists() else None
    managed = [p for p, f in lock.files.items() if f.ownership is LockedOwnership.MANAGED]
    return gitattributes.update(current, managed)


class BuildFailed(Exception):
    """Writing the plan failed (an OSError); the build was rolled back. Carries the DG509."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


def apply(prepared: Prepared) -> list[FilePlan]:
    """Write the plan, all or nothing.

    A journal of every file's current text is written first and deleted last (after the
    lock), so whatever stops the build part-way (an exception, Ctrl-C, SIGTERM, a kill) is
    rolled back, here or by the next build. An OSError becomes ``BuildFailed`` (DG509).
    """
    assert prepared.generation is not None
    root = prepared.generation.project_dir
    changes = prepared.all_changes()
    done: list[FilePlan] = []
    try:
        with journal.termination_unwinds():
            if changes:
                journal.begin(root, _journal_of(changes))
            for item in changes:
                if _apply_one(root, item):
                    done.append(item)
            journal.finish(root)
    except BaseException as err:
        _roll_back_quietly(root)
        if isinstance(err, OSError):
            raise BuildFailed(_write_failed(root, err)) from err
        raise
    _remove_stale_temporaries(root, prepared)
    return done


def _journal_of(changes: list[FilePlan]) -> journal.Journal:
    entries = {
        item.path: journal.JournalEntry(
            before=item.before,
            after_sha256=None if item.action is Action.DELETE else sha256(item.content or ""),
        )
        for item in changes
    }
    return journal.Journal(files=entries)


def _apply_one(root: Path, item: FilePlan) -> bool:
    target = root / item.path
    if item.action is Action.DELETE:
        remove_file(target, root)
        return True
    return item.content is not None and atomic_write(target, item.content, within=root)


def _roll_back_quietly(root: Path) -> None:
    """Best effort: if the rollback fails too, the journal stays for the next build."""
    with contextlib.suppress(OSError, UnsafePathError):
        journal.roll_back(root)


def _write_failed(root: Path, err: OSError) -> Diagnostic:
    where = Path(err.filename) if err.filename else root
    return error(
        Code.WRITE_FAILED,
        f"could not write {where}: {err.strerror or err}",
        Location(str(where)),
        "make the folder writable / free some space, then run `dagent-gen build` again; "
        "nothing was changed (the files written so far were rolled back)",
    )


def _remove_stale_temporaries(root: Path, prepared: Prepared) -> None:
    """Temporary files a killed earlier build left next to the files this build owns."""
    paths = [f.path for f in (prepared.plan.files if prepared.plan else [])]
    for leftover in stale_temporaries(
        *(root / path for path in paths + [f.path for f in prepared.state])
    ):
        leftover.unlink(missing_ok=True)


def unified_diff(item: FilePlan) -> str:
    before = (item.before or "").splitlines(keepends=True)
    after = (
        (item.content or "").splitlines(keepends=True) if item.action is not Action.DELETE else []
    )
    label_a = f"a/{item.path}" if item.before is not None else "/dev/null"
    label_b = f"b/{item.path}" if item.action is not Action.DELETE else "/dev/null"
    return "".join(difflib.unified_diff(before, after, label_a, label_b))


def eject(path: Path, file: Path) -> list[Diagnostic]:
    """Hand ``file`` to the user: builds never touch it again."""
    from dagent_gen.load import find_definition

    definition, problems = find_definition(path)
    if definition is None:
        return problems
    root = definition.parent
    lock, problems = read_lock(root)
    if lock is None:
        return problems or [
            error(
                Code.NOT_EJECTABLE,
                "nothing to eject: the project was never built",
                Location(str(root)),
            )
        ]
    relative = (file if file.is_absolute() else Path.cwd() / file).resolve()
    try:
        key = relative.relative_to(root.resolve()).as_posix()
    except ValueError:
        key = file.as_posix()
    locked = lock.files.get(key)
    if locked is None or locked.ownership is LockedOwnership.EJECTED:
        state = "already ejected" if locked else "not a file dagent-gen generates"
        return [error(Code.NOT_EJECTABLE, f"{key} is {state}", Location(str(file)))]
    try:
        _eject_file(root, lock, key)
    except OSError as err:
        return [_write_failed(root, err)]
    except UnsafePathError as err:
        return [unsafe_path(key, str(root / LOCK_FILE), str(err))]
    return []


def _eject_file(root: Path, lock: Lock, key: str) -> None:
    """Rewrite the header, mark the file ejected, drop its base; every path checked to stay
    inside the project (the lock's paths were validated by ``read_lock`` too)."""
    target = root / key
    if target.exists():
        text = target.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        if len(lines) >= 2 and lines[0].startswith("# Generated by dagent-gen"):
            lines[:2] = [
                f"# Generated by dagent-gen from {lock.definition}, then ejected: this file is\n",
                "# yours now and `dagent-gen build` never touches it.\n",
            ]
            atomic_write(target, "".join(lines), within=root)
    locked = lock.files[key]
    lock.files[key] = locked.model_copy(update={"ownership": LockedOwnership.EJECTED})
    remove_file(root / base_path(key), root)
    # The .gitattributes block lists managed files only: drop the ejected one now, so the
    # project is as consistent as after a build (and `dagent-gen check` stays at 0).
    atomic_write(root / gitattributes.FILE, _gitattributes_for(root, lock), within=root)
    atomic_write(root / LOCK_FILE, lock.dump(), within=root)
