"""Build and check: the pipeline, then the merge plan, then (for build) the writes.

``prepare`` runs everything up to the plan and touches nothing; ``apply`` writes the plan; the
check inspects the same plan. So ``dagent-gen check`` is exactly ``dagent-gen build`` minus the
writes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from dagent_gen import gitattributes
from dagent_gen.diagnostics import Diagnostic, Location, error, has_errors
from dagent_gen.pipeline import Generation, generate
from dagent_gen.reconcile import Action, ConflictMode, FilePlan, Plan, plan_build
from dagent_gen.render import Ownership
from dagent_gen.state import LOCK_FILE, Lock, base_path, read_lock, sha256
from dagent_gen.write import atomic_write, remove_file


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

    @property
    def ok(self) -> bool:
        return self.plan is not None and not has_errors(self.problems)

    def all_changes(self) -> list[FilePlan]:
        changes = self.plan.changes() if self.plan else []
        return changes + [f for f in self.state if f.action is not Action.UNCHANGED]


def prepare(
    path: Path, *, force: bool = False, conflict_mode: ConflictMode = ConflictMode.FAIL
) -> Prepared:
    generation, problems = generate(path)
    if generation is None:
        return Prepared(None, None, problems)
    root = generation.project_dir
    old_lock, lock_problems = read_lock(root)
    problems.extend(lock_problems)
    if lock_problems:
        return Prepared(generation, None, problems)
    new_lock = Lock(
        generator=generator_version(),
        definition=generation.definition_file.name,
        definition_sha256=sha256(generation.definition_file.read_text(encoding="utf-8")),
    )
    plan = plan_build(
        root, generation.files, old_lock, new_lock, force=force, conflict_mode=conflict_mode
    )
    problems.extend(plan.problems)
    return Prepared(generation, plan, problems, _state_plans(root, plan, old_lock, new_lock))


def _state_plans(root: Path, plan: Plan, old: Lock | None, new: Lock) -> list[FilePlan]:
    plans: list[FilePlan] = []
    wanted: dict[str, str | None] = {}
    old_merged = {p for p, f in (old.files if old else {}).items() if f.ownership == "merged"}
    for path in sorted(old_merged):
        wanted[base_path(path)] = None
    for path, text in sorted(plan.bases.items()):
        if new.files[path].ownership == Ownership.MERGED.value:
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
        plans.append(FilePlan(path, "state", action, wanted_text, on_disk))
    return plans


def _gitattributes_for(root: Path, lock: Lock) -> str:
    """``.gitattributes`` on disk with its dagent-gen block listing the lock's managed files."""
    attributes = root / gitattributes.FILE
    current = attributes.read_text(encoding="utf-8") if attributes.exists() else None
    managed = [p for p, f in lock.files.items() if f.ownership == Ownership.MANAGED.value]
    return gitattributes.update(current, managed)


def apply(prepared: Prepared) -> list[FilePlan]:
    """Write the plan; state last, so an interrupted build is redone by the next one."""
    assert prepared.generation is not None
    root = prepared.generation.project_dir
    done: list[FilePlan] = []
    for item in prepared.all_changes():
        target = root / item.path
        if item.action is Action.DELETE:
            remove_file(target, root)
            done.append(item)
        elif item.content is not None and atomic_write(target, item.content):
            done.append(item)
    return done


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
            error("DG507", "nothing to eject: the project was never built", Location(str(root)))
        ]
    relative = (file if file.is_absolute() else Path.cwd() / file).resolve()
    try:
        key = relative.relative_to(root.resolve()).as_posix()
    except ValueError:
        key = file.as_posix()
    locked = lock.files.get(key)
    if locked is None or locked.ownership == "ejected":
        state = "already ejected" if locked else "not a file dagent-gen generates"
        return [error("DG507", f"{key} is {state}", Location(str(file)))]
    target = root / key
    if target.exists():
        text = target.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        if len(lines) >= 2 and lines[0].startswith("# Generated by dagent-gen"):
            lines[:2] = [
                f"# Generated by dagent-gen from {lock.definition}, then ejected: this file is\n",
                "# yours now and `dagent-gen build` never touches it.\n",
            ]
            atomic_write(target, "".join(lines))
    lock.files[key] = locked.model_copy(update={"ownership": "ejected"})
    remove_file(root / base_path(key), root)
    # The .gitattributes block lists managed files only: drop the ejected one now, so the
    # project is as consistent as after a build (and `dagent-gen check` stays at 0).
    atomic_write(root / gitattributes.FILE, _gitattributes_for(root, lock))
    atomic_write(root / LOCK_FILE, lock.dump())
    return []
