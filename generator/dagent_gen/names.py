"""Names: which user names are allowed, and the Python identifiers derived from them.

The generated code is safe by construction for every name the validator accepts: a user name
never becomes a bare identifier next to the generated code's own names. Tool activities are
``<tool>_activity`` (no generated or builtin name ends in ``_activity``), workflow classes are
``<CamelCase>Workflow`` (an injective mapping, so two agents never share a class), constants are
``<NAME>_TOOL`` / ``_AGENT`` / ``_DELEGATE``. What construction cannot fix is refused here:
names too long for a file system or for the model API, and package names that would shadow a
module the generated code imports.
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

# Agent and tool names: module file names, workflow/activity type names, model tool names.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# OpenAI function names match ^[a-zA-Z0-9_-]{1,64}$; sub-agents are offered as functions too,
# and 64 keeps ``workflows/<name>.py`` far from the 255-byte file name limit.
MAX_NAME_LENGTH = 64
MAX_PACKAGE_LENGTH = 64
ACTIVITY_SUFFIX = "_activity"

# Modules the generated package and its tests import: a package of that name would shadow them.
RUNTIME_MODULES = frozenset(
    {
        "conftest",
        "dagent_gen",
        "openai",
        "pydantic",
        "pydantic_core",
        "pytest",
        "temporalio",
        "tests",
        "typing_extensions",
    }
)
# Temporal activity type names of the generated code besides the tools (one namespace per
# worker): a tool of that name would be registered twice.
RESERVED_ACTIVITY_NAMES = frozenset({"call_model", "summarize_conversation"})
# Top-level modules of the generated package (a tool module there would be overwritten): those
# rendered from templates, plus every runtime module a build may copy in (read from the folder,
# so a new runtime module needs no second list).
GENERATED_MODULES = frozenset(
    {"agents", "all_workflows", "client", "mcp_tools", "tools", "worker", "workflows"}
) | frozenset(
    path.stem
    for path in (Path(__file__).parent / "runtime").glob("*.py")
    if path.stem not in {"__init__", "agents"}
)


def workflow_class_name(name: str) -> str:
    """``fact_checker`` -> ``FactCheckerWorkflow``. Injective on valid names: an underscore is
    kept where dropping it would merge two names (``agent_1`` -> ``Agent_1Workflow``, but
    ``agent1`` -> ``Agent1Workflow``; ``a__b`` -> ``A_BWorkflow``, ``a_b`` -> ``ABWorkflow``)."""
    parts = name.split("_")
    text = parts[0].capitalize()
    for part in parts[1:]:
        text += part.capitalize() if part[:1].isalpha() else "_" + part
    return text + "Workflow"


def activity_name(tool: str) -> str:
    """The Python name of a tool's activity function (its Temporal name is the tool's name)."""
    return tool + ACTIVITY_SUFFIX


def name_problem(kind: str, name: str) -> tuple[str, str] | None:
    """(message, hint) when ``name`` cannot name an agent or tool (``kind``), else None."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        return (
            f"{kind} name {name!r} must be a lowercase Python identifier",
            "use lowercase letters, digits and underscores, starting with a letter",
        )
    if len(name) > MAX_NAME_LENGTH:
        return (
            f"{kind} name {name[:20]!r}... is {len(name)} characters long; "
            f"the limit is {MAX_NAME_LENGTH}",
            "the model API refuses longer tool names, and the name is also a file name",
        )
    return None


def package_problem(package: str, what: str = "package") -> tuple[str, str] | None:
    """(message, hint) when ``package`` cannot name the generated package, else None.

    The one rule for package names: the definition's ``package`` and ``dagent-gen new``'s
    ``package_name`` (``what`` names it in the message).
    """
    if keyword.iskeyword(package):
        return (
            f"{what} {package!r} is a Python keyword, so it cannot be imported",
            f"pick another name, e.g. '{package}_agents'",
        )
    if not (package.isascii() and package.isidentifier()):
        return f"{what} {package!r} is not a valid Python package name", _package_hint(package)
    if len(package) > MAX_PACKAGE_LENGTH:
        return (
            f"{what} {package[:20]!r}... is {len(package)} characters long; "
            f"the limit is {MAX_PACKAGE_LENGTH}",
            "pick a shorter name",
        )
    if package in sys.stdlib_module_names:
        return (
            f"{what} {package!r} would shadow the standard library module {package!r}",
            f"pick another name, e.g. '{package}_agents'",
        )
    if package in RUNTIME_MODULES:
        return (
            f"{what} {package!r} would shadow the module {package!r} the generated code uses",
            f"pick another name, e.g. '{package}_agents'",
        )
    return None


def tool_module_problem(module: str, package: str) -> str | None:
    """Why a tool function in ``module`` cannot be imported by the package, or None."""
    if module == package:
        return (
            f"the tool module {module!r} has the name of the generated package: "
            "one of them would hide the other"
        )
    if module.split(".")[:2] in ([package, generated] for generated in GENERATED_MODULES):
        return f"the tool module {module!r} is a module of the generated package"
    return None


def _package_hint(package: str) -> str:
    fixed = re.sub(r"\W+", "_", package.strip()).strip("_")
    if fixed[:1].isdigit():
        fixed = fixed.lstrip("0123456789_")
        rule = "a package name cannot start with a digit"
    else:
        rule = "use only letters, digits and underscores"
    if not (fixed.isascii() and fixed.isidentifier()) or keyword.iskeyword(fixed):
        fixed = "my_agents"
    return f"{rule}, e.g. {fixed!r}"
