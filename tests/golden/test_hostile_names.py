"""Every name the validator accepts gives a package that imports and registers the declared names.

The names are the ones most likely to collide with something: Python builtins, soft keywords,
standard library modules, every name the generated code itself uses (and those names with the
suffixes generated identifiers get), and pairs that used to share an identifier. Each accepted
one becomes a tool and an agent of one project, which is built, checked statically (no module
binds a name twice or shadows a builtin) and imported in a fresh interpreter.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from typer.testing import CliRunner

from dagent_gen.cli import app
from dagent_gen.names import (
    GENERATED_MODULES,
    RESERVED_ACTIVITY_NAMES,
    name_problem,
)
from dagent_gen.validate import RESERVED_TOOL_NAMES

ROOT = Path(__file__).resolve().parents[2]
GENERATED = [ROOT / "tests" / "golden" / "expected", ROOT / "examples"]
SUFFIXES = ("_activity", "_workflow", "_tool", "_agent", "_delegate")
PAIRS = ["agent_1", "agent1", "a__b", "a_b", "a_b_", "x_2", "x2"]
TOOLS = "def echo(text: str) -> str:\n    '''Say it back.'''\n    return f'echo {text}'\n"
IMPORT_CHECK = Path(__file__).with_name("hostile_import_check.py")


def generated_names() -> set[str]:
    """Every identifier in the generated code of the golden cases and examples."""
    found: set[str] = set()
    for base in GENERATED:
        for path in base.rglob("*.py"):
            if "__pycache__" in path.parts or path.parent.name in ("tests", base.name):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                found |= set(_bound(node))
                if isinstance(node, ast.Name | ast.arg):
                    found.add(node.id if isinstance(node, ast.Name) else node.arg)
    return found


def candidates() -> list[str]:
    names = set(dir(builtins)) | set(keyword.softkwlist) | set(sys.stdlib_module_names)
    names |= generated_names() | GENERATED_MODULES | set(PAIRS)
    names |= {name.lower().removesuffix(suffix) for name in names for suffix in SUFFIXES}
    return sorted(name for name in names if name_problem("tool", name) is None)


def _bound(node: ast.AST) -> Iterator[str]:
    """Names a statement binds at the level it appears."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:  # __future__ imports bind their name too
            yield alias.asname or alias.name.split(".")[0]
    elif isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))


def module_problems(path: Path, root: Path) -> list[str]:
    """Module-level names bound twice, or shadowing a builtin the module might use. In a
    package's ``__init__``, importing a submodule binds its name (``tools.search``) whatever the
    code says, so any other binding of a submodule's name is clobbered: that is a problem too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = ".".join(path.parent.relative_to(root).parts)
    submodules = {p.stem for p in path.parent.iterdir()} if path.name == "__init__.py" else set()
    seen: set[str] = set()
    problems: list[str] = []
    statements = list(tree.body)
    for statement in statements:
        if isinstance(statement, ast.With):  # workflow.unsafe.imports_passed_through()
            statements.extend(statement.body)
            continue
        own = isinstance(statement, ast.ImportFrom) and (statement.module or "").endswith(here)
        for name in _bound(statement):
            if name in seen:
                problems.append(f"{path.relative_to(root)}: {name!r} bound twice")
            seen.add(name)
            if name in submodules and not own:
                problems.append(
                    f"{path.relative_to(root)}: {name!r} is clobbered by the submodule of that name"
                )
            elif name in dir(builtins) and not (own and name in submodules):
                problems.append(f"{path.relative_to(root)}: {name!r} shadows the builtin")
    if submodules:  # a submodule's name is bound here too: no builtin may be used at run time
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - seen
        # only a name an agent or a tool may have can be a submodule's
        used &= {name for name in dir(builtins) if name_problem("agent", name) is None}
        problems += [f"{path.relative_to(root)}: uses the builtin {name!r}" for name in used]
    return problems


def build(folder: Path, package: str, tools: list[str], agents: list[str]) -> None:
    lines = [f'[project]\npackage = "{package}"\nentry_agent = "tool_hub"\n']
    lines.append(f"[agents.tool_hub]\ntools = {json.dumps(tools)}\nmax_steps = 5\n")
    if agents:
        lines.append(f"[agents.agent_hub]\nplanning = false\nsubagents = {json.dumps(agents)}\n")
    lines += [f"[agents.{name}]\nplanning = false\n" for name in agents]
    lines += [f'[tools.{name}]\nfunction = "hostile_tools:echo"\n' for name in tools]
    folder.mkdir()
    (folder / "dagent.toml").write_text("\n".join(lines), encoding="utf-8")
    (folder / "hostile_tools.py").write_text(TOOLS, encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(folder)])
    assert result.exit_code == 0, result.stdout + result.stderr


def import_check(folder: Path, package: str, sandboxed: list[str]) -> dict[str, object]:
    """Import the package in a fresh interpreter; what it registers and what the tools return."""
    done = subprocess.run(
        [sys.executable, str(IMPORT_CHECK), str(folder), package, *sandboxed],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_candidates_cover_the_names_that_broke() -> None:
    names = candidates()
    for name in ["next", "asyncio", "len", "workflow", "timedelta", "tool_function"]:
        assert name in names
    assert "to_observation" in names and "agent_1" in names and "agent1" in names
    assert len(names) > 300


def test_hostile_names_build_import_and_register_as_declared(tmp_path: Path) -> None:
    names = candidates()
    tools = [n for n in names if n not in RESERVED_TOOL_NAMES | RESERVED_ACTIVITY_NAMES]
    agents = [n for n in names if n not in ("tool_hub", "agent_hub", *RESERVED_TOOL_NAMES)]
    folder = tmp_path / "hostile"
    build(folder, "agents", tools, agents)

    files = sorted((folder / "agents").rglob("*.py"))
    problems = [problem for file in files for problem in module_problems(file, folder)]
    assert problems == []

    found = import_check(folder, "agents", ["tool_hub", "agent_hub"])
    assert sorted(found["workflows"]) == sorted([*agents, "tool_hub", "agent_hub"])  # type: ignore[call-overload]
    # summarize_conversation is reserved too, but registered only when an agent has context
    assert sorted(found["activities"]) == sorted([*tools, "call_model"])  # type: ignore[call-overload]
    assert found["outputs"] == {name: f"echo {name}" for name in tools}


def test_packages_named_like_generated_modules(tmp_path: Path) -> None:
    """A package may be called ``tools`` or ``agents``: the generated code imports absolutely."""
    for package in sorted(GENERATED_MODULES):
        folder = tmp_path / package
        build(folder, package, ["next", package], ["agent_1", "agent1"])
        found = import_check(folder, package, [])
        assert sorted(found["workflows"]) == ["agent1", "agent_1", "agent_hub", "tool_hub"]  # type: ignore[call-overload]
        assert found["outputs"] == {"next": "echo next", package: f"echo {package}"}
