"""The build pipeline in one place: load -> validate -> introspect -> model -> render -> format.

``generate`` is pure with respect to the project folder: it reads the definition and imports the
tool modules, and returns the files a build would produce. ``build`` and ``check`` both call it,
so the check can never drift from the build.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from dagent_gen.diagnostics import Diagnostic, Location, has_errors
from dagent_gen.format import format_files
from dagent_gen.introspect import ToolSignature, introspect_tool
from dagent_gen.load import find_definition, load_definition
from dagent_gen.model import ProjectModel, build_model
from dagent_gen.render import GeneratedFile, render_project
from dagent_gen.validate import validate


@dataclass(frozen=True)
class Generation:
    project_dir: Path
    definition_file: Path
    model: ProjectModel
    files: list[GeneratedFile]


def generate(path: Path) -> tuple[Generation | None, list[Diagnostic]]:
    file, problems = find_definition(path)
    if file is None:
        return None, problems
    project_dir = file.parent
    with _isolated_imports(project_dir):
        data, source, problems = load_definition(file)
        if data is None:
            return None, problems
        definition, problems = validate(data, source)
        if definition is None:
            return None, problems
        signatures: dict[str, ToolSignature] = {}
        used = {tool for agent in definition.agents.values() for tool in agent.tools}
        for name, tool in definition.tools.items():
            if name not in used:
                continue
            signature, found = introspect_tool(
                tool.function,
                search_path=project_dir,
                location=source.locate(("tools", name, "function")),
            )
            problems.extend(sorted(found, key=lambda d: d.location or Location("")))
            if signature is not None:
                signatures[name] = signature
    if has_errors(problems):
        return None, problems
    model = build_model(definition, signatures, file.name)
    files = render_project(model)
    first_party = [model.package, *(tool.function_module.split(".")[0] for tool in model.tools)]
    files, format_problems = format_files(files, first_party)
    problems.extend(format_problems)
    if has_errors(problems):
        return None, problems
    return Generation(project_dir, file, model, files), problems


class _isolated_imports:
    """Forget modules imported from the project folder after the build, so a second build in
    the same process (tests, ``dev`` mode) sees edited tools instead of stale cached modules."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.before: set[str] = set()

    def __enter__(self) -> None:
        self.before = set(sys.modules)

    def __exit__(self, *exc: object) -> None:
        for name in set(sys.modules) - self.before:
            module_file = getattr(sys.modules.get(name), "__file__", None)
            if module_file and Path(module_file).resolve().is_relative_to(self.folder):
                del sys.modules[name]
