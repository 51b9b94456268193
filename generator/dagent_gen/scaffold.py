"""``dagent-gen new NAME``: a ready-to-test project from the copier template, built once.

The template is ``templates/project`` (``dagent_gen/_templates/project`` in the wheel). Its
questions are ``project_name`` (the folder name), ``package_name``, ``description``, ``model``
and ``format``; copier records the answers in ``.copier-answers.yml``. Two hidden values tell
the new project where to install dagent-gen from (see :func:`dagent_gen_source`).

Every input is checked before anything is written, and whatever goes wrong after that (copier,
the answers given at its prompts, the first build) removes the new folder again: a failed
``new`` leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import keyword
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, has_errors, warning
from dagent_gen.names import RUNTIME_MODULES, package_problem
from dagent_gen.project_source import SOURCE_ENV, VENDOR, dagent_gen_source
from dagent_gen.providers import PROVIDERS as ALL_PROVIDERS
from dagent_gen.render import templates_dir

FORMATS = ("toml", "python")
# the providers a model answer may name: openai-compatible needs a base_url, not asked for
PROVIDERS = tuple(name for name, provider in ALL_PROVIDERS.items() if provider.base_url)
QUESTIONS = ("package_name", "description", "model", "format")  # what --data may set
DEFINITION_FILES = {"toml": "dagent.toml", "python": "dagent.py"}
EXAMPLE_TASK = "What is 17 * 23?"  # the README's example; its run's history ships in the project
HISTORIES = "tests/histories"

# A distribution name (PEP 508), which is also a safe folder name.
_PROJECT_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
# Modules a package of the new project must not shadow: the runtime and test dependencies.
# The project's folders (scripts/, vendor/) besides the modules the generated code uses:
# a package of that name would mix with them.
_TAKEN = RUNTIME_MODULES | {"scripts", "vendor"}  # what package_problem checks, and more


def template_path() -> Path:
    """The copier template of new projects."""
    return templates_dir() / "project"


def default_package_name(project_name: str) -> str:
    """The template's default: the project name lowercased, other characters as ``_``."""
    return re.sub(r"[^a-z0-9_]", "_", project_name.lower())


# -- checking what was asked for --------------------------------------------------------------


def check_project_name(name: str) -> list[Diagnostic]:
    if _PROJECT_NAME.fullmatch(name):
        return []
    if "/" in name or os.sep in name:
        return [
            error(
                Code.INVALID_PROJECT_NAME,
                f"{name!r} is a path; the project name is one folder name",
                hint="run `dagent-gen new NAME` in the folder to create it in, or pass --parent DIR",
            )
        ]
    return [
        error(
            Code.INVALID_PROJECT_NAME,
            f"{name!r} is not a valid project name",
            hint="use letters, digits, '.', '_' and '-', starting and ending with a letter or "
            "digit, e.g. my-agent",
        )
    ]


def check_package_name(package: str, where: str = "package_name") -> list[Diagnostic]:
    """``names.package_problem``'s rule, plus the new project's own folders."""
    suggestion = default_package_name(package)
    if suggestion[:1].isdigit():
        suggestion = f"agent_{suggestion}"
    if keyword.iskeyword(suggestion) or suggestion in _TAKEN | sys.stdlib_module_names:
        suggestion = f"{suggestion}_agent"
    hint = f"choose another with --data package_name=NAME, e.g. --data package_name={suggestion}"
    problem = package_problem(package, where)
    if problem is None and package in _TAKEN:
        problem = (f"{where} {package!r} would shadow the module {package!r} the project uses", "")
    if problem is None:
        return []
    message = problem[0]
    if not (package.isascii() and package.isidentifier()):
        hint += " (letters, digits and '_', not starting with a digit)"
    return [error(Code.INVALID_PACKAGE_NAME, message, hint=hint)]


def check_answers(answers: Mapping[str, Any]) -> list[Diagnostic]:
    """Problems with the answers (given with --data, defaulted, or typed at a prompt)."""
    problems: list[Diagnostic] = []
    if "package_name" in answers:
        problems += check_package_name(str(answers["package_name"]))
    if "format" in answers and answers["format"] not in FORMATS:
        problems.append(
            error(
                Code.INVALID_NEW_OPTION,
                f"format {answers['format']!r} is not one of {', '.join(FORMATS)}",
                hint="--format toml writes dagent.toml, --format python writes dagent.py",
            )
        )
    if "model" in answers:
        model = str(answers["model"])
        provider, _, name = model.partition(":")
        if provider not in PROVIDERS or not name or any(c.isspace() for c in model):
            problems.append(
                error(
                    Code.INVALID_NEW_OPTION,
                    f"model {model!r} is not provider:model with a supported provider "
                    f"({', '.join(PROVIDERS)})",
                    hint="e.g. --data model=openai:gpt-4o-mini; for an OpenAI-compatible server "
                    "use openai:MODEL and set OPENAI_BASE_URL",
                )
            )
    if "description" in answers and not str(answers["description"]).isprintable():
        problems.append(
            error(
                Code.INVALID_NEW_OPTION,
                "the description must be one line of printable text",
                hint="e.g. --data description='Answers questions about our docs'",
            )
        )
    return problems


def parse_data(items: list[str]) -> tuple[dict[str, str], list[Diagnostic]]:
    """``--data key=value`` options as a dict; unknown keys and missing ``=`` are errors."""
    data: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for item in items:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not key:
            problems.append(
                error(
                    Code.INVALID_NEW_OPTION,
                    f"--data {item!r} is not key=value",
                    hint="e.g. --data model=openai:gpt-4o",
                )
            )
        elif key not in QUESTIONS:
            hint = f"the keys are {', '.join(QUESTIONS)}"
            if key == "project_name":
                hint = "the project name is the NAME argument"
            elif key.startswith("dagent_gen"):
                hint = f"set {SOURCE_ENV} to choose where the project gets dagent-gen"
            problems.append(
                error(Code.INVALID_NEW_OPTION, f"--data {key}: no such question", hint=hint)
            )
        else:
            data[key] = value
    return data, problems


def _check_request(
    name: str, parent: Path, dest: Path, definition_format: str | None, data: Mapping[str, str]
) -> tuple[dict[str, str], list[Diagnostic]]:
    problems = check_project_name(name)
    valid_name = not problems
    answers = dict(data)
    if definition_format is not None:
        if "format" in data and data["format"] != definition_format:
            problems.append(
                error(
                    Code.INVALID_NEW_OPTION,
                    f"--format {definition_format} and --data format={data['format']} disagree",
                    hint="give the format once",
                )
            )
        answers["format"] = definition_format
    problems += check_answers(answers)
    if not parent.is_dir():
        problems.append(
            error(
                Code.MISSING_PARENT_FOLDER,
                f"the folder {parent} does not exist",
                Location(str(parent)),
                "create it first, or pass an existing folder with --parent",
            )
        )
    elif valid_name and (dest.exists() or dest.is_symlink()):
        problems.append(
            error(
                Code.PROJECT_EXISTS,
                f"{dest} already exists",
                Location(str(dest)),
                "choose another name, or remove the folder first; `new` never writes into an "
                "existing folder",
            )
        )
    return answers, problems


# -- creating the project ---------------------------------------------------------------------


def new_project(
    name: str,
    *,
    parent: Path,
    format: str | None,
    defaults: bool,
    data: dict[str, str],
    record_history: bool = True,
) -> tuple[Path | None, list[Diagnostic]]:
    """Create the project ``parent/name``, run its first build and (``record_history``) record
    the example run's history for its replay test.

    Returns the project folder and any warnings, or ``None`` and the errors; on error nothing
    is left behind. Without ``defaults`` and with a terminal on stdin, copier asks the questions
    ``data`` and ``format`` do not answer; otherwise the defaults are taken.
    """
    parent = parent.absolute()
    dest = parent / name
    answers, problems = _check_request(name, parent, dest, format, data)
    if problems:
        return None, problems
    source, problems = dagent_gen_source()
    if source is None:
        return None, problems
    interactive = not defaults and sys.stdin is not None and sys.stdin.isatty()
    if not interactive and "package_name" not in answers:
        problems += check_package_name(default_package_name(name), "the default package name")
        if has_errors(problems):
            return None, problems
    found: list[Diagnostic] = []
    reason = ""
    try:
        final = _copy(dest, {"project_name": name, **answers, **source.data()}, interactive)
        if source.archive is not None:
            (dest / VENDOR).mkdir(exist_ok=True)
            shutil.copy2(source.archive, dest / VENDOR / source.archive.name)
        found = check_answers(final)
        if not has_errors(found):
            found += _first_build(dest)
        if record_history and not has_errors(found):
            found += _record_example(dest, str(final["package_name"]))
    except KeyboardInterrupt:
        reason = "interrupted"
    except Exception as err:  # copier's errors, or a bug: reported, never half a project
        reason = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    except BaseException:
        _remove(dest)
        raise
    if reason or has_errors(found):
        _remove(dest)
        found = [_relative(problem, dest) for problem in found]
        left = "nothing was left behind" if not dest.exists() else f"could not remove {dest}"
        why = f" ({reason})" if reason else ""
        found.append(
            error(Code.NEW_FAILED, f"{name} was not created{why}; {left}", Location(str(dest)))
        )
        return None, problems + found
    return dest, problems + found


def _copy(dest: Path, data: dict[str, str], interactive: bool) -> dict[str, Any]:
    import copier  # imported here: only `new` needs it

    worker = copier.run_copy(
        str(template_path()),
        str(dest),
        data=data,
        defaults=not interactive,
        unsafe=False,
        quiet=True,
    )
    combined = worker.answers.combined
    return {key: combined[key] for key in ("project_name", *QUESTIONS) if key in combined}


def _first_build(dest: Path) -> list[Diagnostic]:
    from dagent_gen.builder import BuildFailed, apply, prepare

    prepared = prepare(dest)  # user code runs in a child process: no bytecode written here
    if prepared.ok:
        try:
            apply(prepared)
        except BuildFailed as failed:
            return [*prepared.problems, failed.diagnostic]
    return prepared.problems


def _record_example(dest: Path, package: str) -> list[Diagnostic]:
    """Record the example run into ``tests/histories/`` (see dagent_gen.testing.histories).

    A project without it is still complete, so a failure here is a warning, not a failed new.
    """
    import asyncio

    from dagent_gen.generated_package import imported_package
    from dagent_gen.testing.histories import record_offline_run

    try:
        with _no_bytecode(), imported_package(dest, package) as imported:
            agent = str(imported.module("client").DEFAULT_AGENT)
            history = asyncio.run(
                record_offline_run(
                    imported.workflows,
                    imported.activities,
                    agent=agent,
                    task=EXAMPLE_TASK,
                    workflow_id=f"{agent}-example",
                    task_queue=f"{package}-example",
                )
            )
    except Exception as err:  # no temporal CLI, a port taken...: the project is still usable
        return [
            warning(
                Code.HISTORY_NOT_RECORDED,
                f"could not record the example run for the replay test ({err})",
                Location(str(dest / HISTORIES)),
                hint="record one later: see tests/histories/README.md",
            )
        ]
    path = dest / HISTORIES / f"{agent}-example.json"
    path.write_text(history, encoding="utf-8")
    return []


@contextlib.contextmanager
def _no_bytecode() -> Iterator[None]:
    """Importing the new tools module must not leave ``__pycache__`` in the fresh project."""
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = before


def _relative(problem: Diagnostic, dest: Path) -> Diagnostic:
    """Build problems point into the new folder, which a failed ``new`` removes."""
    if problem.location is None:
        return problem
    with contextlib.suppress(ValueError):
        relative = Path(problem.location.file).relative_to(dest)
        location = Location(str(relative), problem.location.line, problem.location.column)
        return Diagnostic(problem.code, problem.message, location, problem.hint, problem.severity)
    return problem


def _remove(dest: Path) -> None:
    if dest.is_symlink() or dest.is_file():
        dest.unlink(missing_ok=True)
    elif dest.exists():
        shutil.rmtree(dest, ignore_errors=True)
