"""The build pipeline in one place: load -> validate -> introspect -> model -> render -> format.

``generate`` is pure with respect to the project folder and to this process: it reads the
definition and imports the tool modules in a child interpreter (``dagent_gen.user_code``), and
returns the files a build would produce. ``build`` and ``check`` both call it, so the check
can never drift from the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagent_gen.diagnostics import Diagnostic, has_errors
from dagent_gen.format import format_files
from dagent_gen.load import find_definition
from dagent_gen.mcp_build import McpMode, mcp_tools
from dagent_gen.mcp_record import McpRecord
from dagent_gen.model import ProjectModel, build_model
from dagent_gen.render import GeneratedFile, render_project
from dagent_gen.state import read_mcp_record
from dagent_gen.user_code import inspect_in_child


@dataclass(frozen=True)
class Generation:
    project_dir: Path
    definition_file: Path
    model: ProjectModel
    files: list[GeneratedFile]
    mcp_record: McpRecord | None = None  # for the lock


def generate(
    path: Path, mcp_mode: McpMode = McpMode.OFFLINE
) -> tuple[Generation | None, list[Diagnostic]]:
    """``mcp_mode``: whether build-discovered MCP servers may be contacted (see mcp_build)."""
    file, problems = find_definition(path)
    if file is None:
        return None, problems
    inspection, problems = inspect_in_child(file)
    if inspection is None or inspection.definition is None or has_errors(problems):
        return None, problems
    definition = inspection.definition
    mcp, mcp_problems = mcp_tools(definition, file, read_mcp_record(file.parent), mcp_mode)
    problems.extend(mcp_problems)
    if has_errors(problems):
        return None, problems
    model = build_model(
        definition,
        inspection.signatures,
        file.name,
        file.parent,
        mcp.configs,
        mcp.found,
        inspection.outputs,
    )
    files = render_project(model)
    first_party = [model.package, *(tool.function_module.split(".")[0] for tool in model.tools)]
    first_party += [
        agent.output.module.split(".")[0] for agent in model.output_agents if agent.output
    ]
    files, format_problems = format_files(files, first_party)
    problems.extend(format_problems)
    if has_errors(problems):
        return None, problems
    return Generation(file.parent, file, model, files, mcp.record), problems
