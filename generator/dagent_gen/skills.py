"""Skill folders in the Agent Skills format, read at build time.

A skills folder holds one folder per skill, ``<name>/SKILL.md``, whose YAML front matter (between
``---`` lines at the top) has ``name`` and ``description``. Only those two go into the system
prompt; the agent reads the whole file with ``read_file`` when a task calls for it. Every
problem is a ``DG230`` diagnostic at the file and line it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error

SKILL_FILE = "SKILL.md"
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # the Agent Skills spec's name rule
MAX_NAME = 64
MAX_DESCRIPTION = 1024
_FENCE = "---"


@dataclass(frozen=True)
class FolderSkill:
    name: str
    description: str
    file: Path  # the SKILL.md, absolute


def is_folder_entry(entry: str) -> bool:
    """``skills = ["review", "skills/"]``: an entry with a ``/`` is a folder, else a bundle."""
    return "/" in entry


def scan_folder(
    folder: Path, where: Location | None = None, shown: str = ""
) -> tuple[list[FolderSkill], list[Diagnostic]]:
    """The skills in ``folder`` (sorted by folder name) and the problems of the broken ones.

    A sub-folder without ``SKILL.md`` has no line of its own: it is reported at ``where`` (the
    ``skills`` entry of the definition) as ``shown`` + its name.
    """
    skills: list[FolderSkill] = []
    problems: list[Diagnostic] = []
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if not child.is_dir() or child.name.startswith("."):
            continue
        skill, found = read_skill(child, where, f"{shown}{child.name}")
        problems += found
        if skill is not None:
            skills.append(skill)
    return skills, problems


def read_skill(
    folder: Path, where: Location | None = None, shown: str = ""
) -> tuple[FolderSkill | None, list[Diagnostic]]:
    file = folder / SKILL_FILE
    if not file.is_file():
        hint = f"add {SKILL_FILE} with name and description front matter, or remove the folder"
        message = f"skill folder {(shown or folder.name)!r} has no {SKILL_FILE}"
        return None, [error(Code.INVALID_SKILL, message, where or Location.of(folder), hint)]
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, [
            error(Code.INVALID_SKILL, f"cannot read {SKILL_FILE}: {err}", Location.of(file))
        ]
    front, problem = _front_matter(text, file)
    if problem is not None:
        return None, [problem]
    return _fields(front, file, folder.name)


def _front_matter(text: str, file: Path) -> tuple[tuple[Any, dict[str, int]], Diagnostic | None]:
    """The parsed front matter and the line of each top-level key, or a diagnostic."""
    lines = text.splitlines()
    hint = 'start the file with "---", then name: and description: lines, then "---"'
    if not lines or lines[0].strip() != _FENCE:
        message = f"{SKILL_FILE} does not start with YAML front matter"
        return (None, {}), error(Code.INVALID_SKILL, message, Location.of(file, 1), hint)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == _FENCE), None)
    if end is None:
        message = f"the front matter of {SKILL_FILE} has no closing ---"
        return (None, {}), error(Code.INVALID_SKILL, message, Location.of(file, 1), hint)
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        message = f"the front matter is not valid YAML: {getattr(err, 'problem', None) or err}"
        return (None, {}), error(Code.INVALID_SKILL, message, Location.of(file, line))
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            key_lines[str(key.value)] = key.start_mark.line + 2  # +1: 1-based, +1: the fence
    return (data, key_lines), None


def _fields(
    front: tuple[Any, dict[str, int]], file: Path, folder_name: str
) -> tuple[FolderSkill | None, list[Diagnostic]]:
    data, key_lines = front
    if not isinstance(data, dict):
        message = "the front matter must be a mapping with name and description"
        return None, [error(Code.INVALID_SKILL, message, Location.of(file, 2))]
    problems: list[Diagnostic] = []

    def at(key: str) -> Location:
        return Location.of(file, key_lines.get(key, 1))

    name, description = data.get("name"), data.get("description")
    if not isinstance(name, str) or not name:
        problems.append(error(Code.INVALID_SKILL, "the front matter has no name", at("name")))
    elif len(name) > MAX_NAME or not NAME_PATTERN.match(name):
        message = f"skill name {name!r} must be lowercase letters, digits and single hyphens"
        suggestion = "-".join(re.findall(r"[a-z0-9]+", name.lower()))[:MAX_NAME] or "my-skill"
        hint = f"at most {MAX_NAME} characters, e.g. {suggestion!r} (and rename the folder)"
        problems.append(error(Code.INVALID_SKILL, message, at("name"), hint))
    elif name != folder_name:
        message = f"skill name {name!r} does not match its folder {folder_name!r}"
        hint = "rename the folder or the skill: they must be equal"
        problems.append(error(Code.INVALID_SKILL, message, at("name"), hint))
    if not isinstance(description, str) or not description.strip():
        message = "the front matter has no description"
        hint = "say what the skill does and when to use it"
        problems.append(error(Code.INVALID_SKILL, message, at("description"), hint))
    elif len(description) > MAX_DESCRIPTION:
        message = f"the description is longer than {MAX_DESCRIPTION} characters"
        problems.append(error(Code.INVALID_SKILL, message, at("description")))
    if problems:
        return None, problems
    assert isinstance(name, str) and isinstance(description, str)
    return FolderSkill(name, " ".join(description.split()), file), []
