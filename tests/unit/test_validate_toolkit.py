"""The toolkit keys (filesystem, shell, skills, memory): schema, cross-checks and the model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic
from dagent_gen.load import load_definition
from dagent_gen.model import ProjectModel, ToolModel, build_model
from dagent_gen.validate import validate

BASE = """
[project]
package = "agents"

[agents.main]
"""

SKILL = "---\nname: {name}\ndescription: {description}\n---\n\nBody.\n"


def run(tmp_path: Path, text: str) -> tuple[Definition | None, list[Diagnostic]]:
    path = tmp_path / "dagent.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, source, problems = load_definition(path)
    assert problems == [], [p.render() for p in problems]
    assert data is not None
    return validate(data, source)


def found(tmp_path: Path, text: str) -> list[tuple[str, str, int, str]]:
    """(code, file name, line, message) of each diagnostic."""
    definition, problems = run(tmp_path, text)
    assert definition is None, "expected problems"
    return [
        (d.code, Path(d.location.file).name, d.location.line, d.message)  # type: ignore[union-attr]
        for d in problems
    ]


def model(tmp_path: Path, text: str) -> ProjectModel:
    definition, problems = run(tmp_path, text)
    assert definition is not None, [p.render() for p in problems]
    return build_model(definition, {}, "dagent.toml", tmp_path)


def skill(folder: Path, name: str, text: str | None = None) -> Path:
    (folder / name).mkdir(parents=True, exist_ok=True)
    file = folder / name / "SKILL.md"
    file.write_text(text if text is not None else SKILL.format(name=name, description="Does X."))
    return file


# --- filesystem -------------------------------------------------------------------------------


def test_filesystem_defaults_offer_all_six_tools(tmp_path: Path) -> None:
    agent = model(tmp_path, BASE + "[agents.main.filesystem]\n").agents[0]
    assert agent.offered_names == [
        "write_todos",
        *("ls", "read_file", "write_file", "edit_file", "glob", "grep"),
    ]
    assert agent.filesystem is not None and agent.filesystem.root == "."


def test_read_only_filesystem_offers_no_write_tools(tmp_path: Path) -> None:
    text = BASE + '[agents.main.filesystem]\nroot = "w"\nread_only = true\n'
    project = model(tmp_path, text)
    assert [tool.name for tool in project.agents[0].tools] == ["ls", "read_file", "glob", "grep"]
    assert [tool.name for tool in project.builtin_tools] == ["glob", "grep", "ls", "read_file"]


def test_filesystem_tool_subset_keeps_the_canonical_order(tmp_path: Path) -> None:
    text = BASE + '[agents.main.filesystem]\ntools = ["grep", "ls"]\n'
    assert [tool.name for tool in model(tmp_path, text).agents[0].tools] == ["ls", "grep"]


def test_bad_filesystem_settings(tmp_path: Path) -> None:
    text = BASE + (
        "[agents.main.filesystem]\n"
        'tools = ["ls", "cat", "ls", "write_file"]\n'
        "read_only = true\n"
        "max_output_chars = 10\n"
    )
    assert found(tmp_path, text) == [
        ("DG202", "dagent.toml", 6, "'cat' is not a filesystem tool"),
        ("DG202", "dagent.toml", 6, "filesystem tools list 'ls' twice"),
        ("DG202", "dagent.toml", 6, "'write_file' writes, but this filesystem is read_only"),
        ("DG202", "dagent.toml", 8, "max_output_chars must be at least 1000, not 10"),
    ]


def test_filesystem_unknown_key_is_an_error(tmp_path: Path) -> None:
    codes = [c for c, *_ in found(tmp_path, BASE + "[agents.main.filesystem]\nwritable = 1\n")]
    assert codes == ["DG201"]


# --- shell ------------------------------------------------------------------------------------


def test_shell_becomes_execute_with_grace_and_heartbeat(tmp_path: Path) -> None:
    text = BASE + '[agents.main.shell]\nroot = "w"\ntimeout = "2m"\nenv = ["HOME"]\n'
    agent = model(tmp_path, text).agents[0]
    (execute,) = agent.tools
    assert execute.name == "execute" and execute.timeout == 135.0
    assert execute.heartbeat_timeout == 30.0 and execute.retries == 0
    assert agent.shell is not None and agent.shell.env == ("HOME",) and agent.shell.allow is None


def test_bad_shell_settings(tmp_path: Path) -> None:
    text = BASE + (
        "[agents.main.shell]\n"
        'timeout = "2h"\n'
        'env = ["OK", "NOT-A-NAME"]\n'
        'allow = ["ls", "/bin/rm"]\n'
        "max_output_chars = 5\n"
    )
    codes = [(code, line) for code, _, line, _ in found(tmp_path, text)]
    assert codes == [("DG207", 6), ("DG202", 7), ("DG202", 8), ("DG202", 9)]


# --- name clashes -----------------------------------------------------------------------------


def test_a_tool_named_like_an_enabled_builtin_is_a_clash(tmp_path: Path) -> None:
    text = BASE + (
        'tools = ["grep"]\n[agents.main.filesystem]\n[tools.grep]\nfunction = "t:grep"\n'
    )
    problems = found(tmp_path, text)
    assert (
        "DG206",
        "dagent.toml",
        5,
        "'grep' is also the name of a built-in tool of this agent",
    ) in problems
    assert any(p[0] == "DG206" and p[2] == 7 for p in problems)


def test_a_subagent_named_like_a_builtin_is_a_clash(tmp_path: Path) -> None:
    text = BASE + 'subagents = ["execute"]\n[agents.main.shell]\n[agents.execute]\n'
    assert found(tmp_path, text) == [
        ("DG206", "dagent.toml", 5, "'execute' is also the name of a built-in tool of this agent")
    ]


def test_tool_named_ls_is_fine_when_no_agent_enables_the_filesystem(tmp_path: Path) -> None:
    definition, problems = run(tmp_path, BASE + '[tools.ls]\nfunction = "t:ls"\n')
    assert problems == [] and definition is not None


# --- skills -----------------------------------------------------------------------------------


def test_skill_bundle_adds_prompt_and_tools(tmp_path: Path) -> None:
    text = BASE + (
        'system_prompt = "Base."\n'
        'skills = ["review"]\n'
        "[skills.review]\n"
        'prompt = "Review carefully."\n'
        'tools = ["lint"]\n'
        "[tools.lint]\n"
        'function = "t:lint"\n'
    )
    definition, problems = run(tmp_path, text)
    assert definition is not None, problems
    assert definition.skills["review"].tools == ["lint"]


def test_skill_folder_goes_into_the_prompt_with_its_path(tmp_path: Path) -> None:
    skill(tmp_path / "work" / "skills", "tidy-notes")
    text = BASE + (
        'system_prompt = "Base."\n'
        'skills = ["work/skills/"]\n'
        '[agents.main.filesystem]\nroot = "work"\n'
    )
    agent = model(tmp_path, text).agents[0]
    assert agent.system_prompt.startswith("Base.\n\n## Skills\n")
    assert "- tidy-notes: Does X. (read skills/tidy-notes/SKILL.md)" in agent.system_prompt
    assert [(s.name, s.path) for s in agent.skills] == [
        ("tidy-notes", "skills/tidy-notes/SKILL.md")
    ]


def test_unknown_bundle_and_missing_folder(tmp_path: Path) -> None:
    text = BASE + 'skills = ["nope", "gone/"]\n[agents.main.filesystem]\n'
    assert found(tmp_path, text) == [
        ("DG230", "dagent.toml", 5, "unknown skill 'nope'"),
        ("DG230", "dagent.toml", 5, "skills folder 'gone/' does not exist"),
    ]


def test_skills_folder_needs_a_filesystem_that_holds_it(tmp_path: Path) -> None:
    skill(tmp_path / "skills", "a")
    no_fs = found(tmp_path, BASE + 'skills = ["skills/"]\n')
    assert [(c, line) for c, _, line, _ in no_fs] == [("DG231", 5)]
    outside = BASE + 'skills = ["skills/"]\n[agents.main.filesystem]\nroot = "work"\n'
    (tmp_path / "work").mkdir()
    assert found(tmp_path, outside) == [
        ("DG231", "dagent.toml", 5, "skills folder 'skills/' is outside the filesystem root 'work'")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# no front matter\n", 1, "SKILL.md does not start with YAML front matter"),
        ("---\nname: a\n", 1, "the front matter of SKILL.md has no closing ---"),
        ("---\nname: [a\n---\n", 2, "the front matter is not valid YAML: ..."),
        ("---\n- a\n---\n", 2, "the front matter must be a mapping with name and description"),
        ("---\ndescription: Does X.\n---\n", 1, "the front matter has no name"),
        ("---\nname: a\n---\n", 1, "the front matter has no description"),
        ("---\nname: Bad_Name\ndescription: x\n---\n", 2, "skill name 'Bad_Name' must be ..."),
        ("---\ndescription: x\nname: b\n---\n", 3, "skill name 'b' does not match its folder 'a'"),
    ],
)
def test_broken_skill_md_points_at_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    file = skill(tmp_path / "skills", "a", text)
    ((code, name, at, said),) = found(
        tmp_path, BASE + 'skills = ["skills/"]\n[agents.main.filesystem]\n'
    )
    assert (code, name, at) == ("DG230", file.name, line)
    assert (
        said.startswith(message.removesuffix("...")) if message.endswith("...") else said == message
    )


def test_folder_without_skill_md_and_duplicate_names(tmp_path: Path) -> None:
    (tmp_path / "one" / "empty").mkdir(parents=True)
    skill(tmp_path / "one", "same")
    skill(tmp_path / "two", "same")
    text = BASE + 'skills = ["one/", "two/"]\n[agents.main.filesystem]\n'
    problems = found(tmp_path, text)
    assert ("DG230", "dagent.toml", 5, "skill folder 'one/empty' has no SKILL.md") in problems
    assert ("DG230", "dagent.toml", 5, "two skills of this agent are named 'same'") in problems


# --- memory -----------------------------------------------------------------------------------


def test_memory_files_relative_to_the_filesystem_root(tmp_path: Path) -> None:
    text = BASE + 'memory = ["AGENTS.md"]\n[agents.main.filesystem]\nroot = "work"\n'
    project = model(tmp_path, text)
    assert project.agents[0].memory == ("AGENTS.md",)
    assert project.agents[0].memory_root == "work"
    assert project.uses_filesystem and project.memory_agents == [project.agents[0]]


@pytest.mark.parametrize("entry", ["../x.md", "/etc/passwd", "~/.notes", ""])
def test_memory_outside_the_root_is_refused(tmp_path: Path, entry: str) -> None:
    text = BASE + f"memory = [{entry!r}]\n".replace("'", '"')
    assert [(c, line) for c, _, line, _ in found(tmp_path, text)] == [("DG231", 5)]


def test_a_tool_named_read_memory_clashes_when_an_agent_has_memory(tmp_path: Path) -> None:
    text = BASE + 'memory = ["A.md"]\n[tools.read_memory]\nfunction = "t:f"\n'
    assert [(c, line) for c, _, line, _ in found(tmp_path, text)] == [("DG206", 6)]


def test_user_tools_stay_tool_models(tmp_path: Path) -> None:
    project = model(tmp_path, BASE + "[agents.main.filesystem]\n")
    assert not any(isinstance(tool, ToolModel) for tool in project.agents[0].tools)
    assert project.tools == ()


# --- the Python form --------------------------------------------------------------------------

PYTHON_FORM = """
from dagent_gen import Agent, Project

project = Project(
    package="agents",
    agents=[
        Agent(
            "main",
            filesystem={"root": ".", "read_only": True},
            shell={"timeout": "1m", "allow": ["ls"]},
            skills=["review"],
            memory=["AGENTS.md"],
        )
    ],
    skills={"review": {"prompt": "Review carefully."}},
)
"""


def test_python_form_accepts_the_toolkit_keys(tmp_path: Path) -> None:
    path = tmp_path / "dagent.py"
    path.write_text(PYTHON_FORM, encoding="utf-8")
    data, source, problems = load_definition(path)
    assert problems == [] and data is not None, [p.render() for p in problems]
    definition, problems = validate(data, source)
    assert definition is not None, [p.render() for p in problems]
    agent = definition.agents["main"]
    assert agent.filesystem is not None and agent.filesystem.read_only
    assert agent.shell is not None and agent.shell.allow == ["ls"]
    assert agent.skills == ["review"] and agent.memory == ["AGENTS.md"]
    assert definition.skills["review"].prompt == "Review carefully."


# --- the graph --------------------------------------------------------------------------------


def test_graph_shows_filesystem_shell_and_skill_nodes(tmp_path: Path) -> None:
    from dagent_gen.graph import mermaid

    skill(tmp_path / "skills", "tidy")
    text = BASE + (
        'skills = ["skills/", "review"]\n'
        "[agents.main.filesystem]\nread_only = true\n"
        '[agents.main.shell]\nroot = "w"\ntimeout = "30s"\n'
        '[skills.review]\nprompt = "Twice."\n'
    )
    graph = mermaid(model(tmp_path, text))
    assert 'fs_main[("filesystem .<br/>read-only · ls, read_file, glob, grep")]:::builtin' in graph
    assert "agent_main --> fs_main" in graph
    assert 'shell_main[/"execute (shell) in w<br/>timeout 30s"/]:::builtin' in graph
    assert 'skill_main_1>"skill tidy<br/>skills/tidy/SKILL.md"]:::skill' in graph
    assert 'skill_main_2>"skill review<br/>bundle"]:::skill' in graph
    assert "classDef skill" in graph
