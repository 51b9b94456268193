"""Stage 1, load: TOML and Python definitions become plain data plus a source map.

The source map is what lets every later diagnostic say ``file:line:col``, so most tests here
pin exact positions. Python-form fixtures import tool modules: each test uses module names
unique to it, and the modules are forgotten afterwards.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagent_gen.diagnostics import Location
from dagent_gen.load import SourceMap, find_definition, load_definition
from dagent_gen.validate import validate

PREFIX = "dgl_"


@pytest.fixture(autouse=True)
def _forget_fixture_modules() -> Iterator[None]:
    yield
    for name in [n for n in sys.modules if n.startswith(PREFIX)]:
        del sys.modules[name]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_toml_text(tmp_path: Path, text: str) -> tuple[dict[str, object], SourceMap]:
    data, source, problems = load_definition(write(tmp_path, "dagent.toml", text))
    assert problems == []
    assert data is not None
    return data, source


def at(source: SourceMap, *path: str | int) -> tuple[int, int]:
    assert path in source.locations, f"{path} not recorded; have {sorted(source.locations)}"
    found = source.locations[path]
    return found.line, found.column


# --- TOML source map --------------------------------------------------------------------------


def test_tables_and_keys_are_located(tmp_path: Path) -> None:
    _, source = load_toml_text(
        tmp_path,
        """
        [project]
        package = "agents"

          [agents.main]
          model = "openai:gpt-4o"
        """,
    )
    assert at(source, "project") == (1, 2)
    assert at(source, "project", "package") == (2, 1)
    assert at(source, "agents") == (4, 4)
    assert at(source, "agents", "main") == (4, 11)  # the name inside the header
    assert at(source, "agents", "main", "model") == (5, 3)


def test_dotted_and_quoted_keys_locate_each_part(tmp_path: Path) -> None:
    _, source = load_toml_text(
        tmp_path,
        """
        [project]
        package = "agents"
        agents.main.model = "openai:x"
        [agents."odd name"]
        "quoted key" = 1
        tools . web = 2
        """,
    )
    assert at(source, "project", "agents") == (3, 1)
    assert at(source, "project", "agents", "main") == (3, 8)
    assert at(source, "project", "agents", "main", "model") == (3, 13)
    assert at(source, "agents", "odd name") == (4, 9)
    assert at(source, "agents", "odd name", "quoted key") == (5, 1)
    assert at(source, "agents", "odd name", "tools", "web") == (6, 9)


def test_array_elements_across_lines(tmp_path: Path) -> None:
    _, source = load_toml_text(
        tmp_path,
        """
        [agents.main]
        tools = [
            "search",  # a comment with "quotes", [brackets] and commas
            'fetch', "summarize",
            3, {name = "a, b"}, ["x", "y"],
            '''multi-line
        string element''', "last"
        ]
        after = 1
        """,
    )
    assert at(source, "agents", "main", "tools") == (2, 1)
    elements = [at(source, "agents", "main", "tools", i) for i in range(8)]
    assert elements == [(3, 5), (4, 5), (4, 14), (5, 5), (5, 8), (5, 25), (6, 5), (7, 20)]
    assert ("agents", "main", "tools", 8) not in source.locations
    assert at(source, "agents", "main", "after") == (9, 1)


def test_array_element_locations(tmp_path: Path) -> None:
    _, source = load_toml_text(
        tmp_path,
        """
        [agents.main]
        tools = ["a", "b,c",   "d"]   # ["not", "an", "element"]
        subagents = [
          "writer",
        ]
        """,
    )
    tools = [at(source, "agents", "main", "tools", i) for i in range(3)]
    assert tools == [(2, 10), (2, 15), (2, 24)]
    assert ("agents", "main", "tools", 3) not in source.locations
    assert at(source, "agents", "main", "subagents", 0) == (4, 3)


def test_multiline_strings_do_not_confuse_the_scanner(tmp_path: Path) -> None:
    data, source = load_toml_text(
        tmp_path,
        '''
        [agents.main]
        system_prompt = """
        [agents.fake]
        tools = ["not", "real"]
        """
        description = \'\'\'one line\'\'\'
        notes = \'\'\'
        max_steps = 3
        \'\'\'
        max_steps = 4
        ''',
    )
    assert at(source, "agents", "main", "system_prompt") == (2, 1)
    assert ("agents", "fake") not in source.locations
    assert ("agents", "main", "tools") not in source.locations
    assert at(source, "agents", "main", "description") == (6, 1)
    assert at(source, "agents", "main", "max_steps") == (10, 1)
    assert data["agents"] == {
        "main": {
            "system_prompt": '[agents.fake]\ntools = ["not", "real"]\n',
            "description": "one line",
            "notes": "max_steps = 3\n",
            "max_steps": 4,
        }
    }


def test_hash_and_brackets_inside_strings(tmp_path: Path) -> None:
    _, source = load_toml_text(
        tmp_path,
        """
        [agents.main]
        system_prompt = "Use [tools] # wisely"
        tools = ["a#b", "c"]
        """,
    )
    assert at(source, "agents", "main", "tools", 1) == (3, 17)


def test_locate_falls_back_to_the_nearest_recorded_parent(tmp_path: Path) -> None:
    _, source = load_toml_text(tmp_path, '[agents.main]\nmodel = "openai:x"\n')
    assert source.locate(("agents", "main", "max_steps")) == Location(source.file, 1, 9)
    assert source.locate(("agents", "main", "tools", 4)) == Location(source.file, 1, 9)
    assert source.locate(("project", "package")) == Location(source.file, 1)
    assert source.locate(()) == Location(source.file, 1)


def test_source_map_keeps_the_first_location() -> None:
    source = SourceMap("f")
    source.add(("a",), Location("f", 1, 1))
    source.add(("a",), Location("f", 9, 9))
    assert source.locate(("a", "b")) == Location("f", 1, 1)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('[project]\npackage = "x\n', 2, 13),
        ("[project]\npackage =\n", 2, 10),
        ("[project]\n[project]\n", 2, 9),
        ("[project\n", 1, 9),
    ],
)
def test_toml_syntax_errors_have_a_position(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    data, _, problems = load_definition(write(tmp_path, "dagent.toml", text))
    assert data is None
    [problem] = problems
    assert problem.code == "DG102"
    assert problem.message.startswith("invalid TOML: ")
    assert "(at line" not in problem.message
    assert (problem.location.line, problem.location.column) == (line, column)  # type: ignore[union-attr]


def test_unreadable_definition(tmp_path: Path) -> None:
    path = tmp_path / "dagent.toml"
    path.write_bytes(b"[project]\npackage = '\xff'\n")
    data, _, problems = load_definition(path)
    assert data is None
    assert [p.code for p in problems] == ["DG101"]


# --- finding the definition -------------------------------------------------------------------


def test_find_definition(tmp_path: Path) -> None:
    assert find_definition(tmp_path)[0] is None
    assert find_definition(tmp_path)[1][0].message.startswith("no dagent.toml or dagent.py")
    assert find_definition(tmp_path / "missing")[1][0].code == "DG101"
    toml = write(tmp_path, "dagent.toml", "")
    assert find_definition(tmp_path) == (toml, [])
    python = write(tmp_path, "dagent.py", "")
    assert find_definition(tmp_path)[1][0].message.startswith("both dagent.toml and dagent.py")
    assert find_definition(python) == (python, [])


# --- Python form ------------------------------------------------------------------------------


def test_python_and_toml_forms_give_the_same_definition(tmp_path: Path) -> None:
    module = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    write(tmp_path, f"{module}.py", "def search(q: str) -> str:\n    return q\n")
    write(tmp_path, f"{module}_b.py", "def fetch(url: str) -> str:\n    return url\n")
    toml_dir, py_dir = tmp_path / "toml", tmp_path / "py"
    toml_dir.mkdir()
    py_dir.mkdir()
    toml = write(
        toml_dir,
        "dagent.toml",
        f"""
        [project]
        package = "agents"
        task_queue = "agents-q"
        description = "Both forms."
        entry_agent = "lead"

        [agents.lead]
        description = "Leads"
        system_prompt = "You lead."
        tools = ["search", "fetch"]
        subagents = ["writer"]
        max_steps = 12
        temperature = 0.5
        model_timeout = "2m"

        [agents.writer]
        model = "openai:gpt-4o"
        planning = false
        base_url = "http://localhost:11434/v1"
        api_key_env = "OLLAMA_KEY"
        max_tokens = 500

        [tools.search]
        function = "{module}:search"
        timeout = "5s"
        retries = 0

        [tools.fetch]
        function = "{module}_b:fetch"
        description = "Fetch a URL."
        """,
    )
    python = write(
        py_dir,
        "dagent.py",
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from dagent_gen import Agent, Project, Tool
        from {module} import search

        writer = Agent(
            "writer",
            model="openai:gpt-4o",
            planning=False,
            base_url="http://localhost:11434/v1",
            api_key_env="OLLAMA_KEY",
            max_tokens=500,
        )
        lead = Agent(
            "lead",
            description="Leads",
            system_prompt="You lead.",
            tools=[
                Tool(search, timeout="5s", retries=0),
                Tool("{module}_b:fetch", description="Fetch a URL."),
            ],
            subagents=[writer],
            max_steps=12,
            temperature=0.5,
            model_timeout="2m",
        )
        project = Project(
            package="agents",
            task_queue="agents-q",
            description="Both forms.",
            entry_agent="lead",
            agents=[lead, writer],
        )
        """,
    )
    results = []
    for file in (toml, python):
        data, source, problems = load_definition(file)
        assert problems == []
        assert data is not None
        definition, problems = validate(data, source)
        assert [p.render() for p in problems] == []
        results.append(definition)
    assert results[0] == results[1]
    assert list(results[1].agents) == ["lead", "writer"]  # type: ignore[union-attr]


def test_python_locations_point_at_the_arguments(tmp_path: Path) -> None:
    module = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    write(tmp_path, f"{module}.py", "def search(q: str) -> str:\n    return q\n")
    path = write(
        tmp_path,
        "dagent.py",
        f"""
        from dagent_gen import Agent, Project, Tool
        from {module} import search

        helper = Agent("helper", planning=False)
        main = Agent(
            "main",
            model="openai:x",
            tools=[search,
                   Tool(search, name="again", timeout="5s")],
            subagents=[helper, "other"],
        )
        project = Project(package="pkg", agents=[main, helper])
        """,
    )
    data, source, problems = load_definition(path)
    assert problems == []
    assert data is not None
    assert source.file == str(path)
    assert at(source, "project") == (12, 11)
    assert at(source, "project", "package") == (12, 19)
    assert at(source, "agents", "helper") == (4, 10)
    assert at(source, "agents", "helper", "planning") == (4, 26)
    assert at(source, "agents", "main") == (5, 8)
    assert at(source, "agents", "main", "model") == (7, 5)
    assert at(source, "agents", "main", "tools", 0) == (8, 12)
    assert at(source, "agents", "main", "tools", 1) == (9, 12)
    assert at(source, "agents", "main", "subagents", 1) == (10, 24)
    assert at(source, "tools", "search", "function") == (8, 12)
    assert at(source, "tools", "again") == (9, 12)
    assert at(source, "tools", "again", "timeout") == (9, 39)
    assert all(loc.file == str(path) for loc in source.locations.values())


def test_python_form_one_project_under_two_names_is_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dagent.py",
        """
        from dagent_gen import Agent, Project

        project = Project(package="pkg", agents=[Agent("main")])
        alias = project
        """,
    )
    data, _, problems = load_definition(path)
    assert problems == []
    assert data == {
        "project": {"package": "pkg"},
        "agents": {"main": {"tools": [], "subagents": []}},
        "tools": {},
    }


def test_python_form_restores_sys_path(tmp_path: Path) -> None:
    before = list(sys.path)
    path = write(tmp_path, "dagent.py", "raise ValueError('boom')\n")
    _, _, problems = load_definition(path)
    assert sys.path == before
    assert [p.render() for p in problems] == [
        f"{path}:1:1: error[DG103]: running dagent.py raised ValueError: boom\n"
        "  hint: fix the definition so that it runs with `python dagent.py`"
    ]


def test_python_form_keyboard_interrupt_is_not_swallowed(tmp_path: Path) -> None:
    path = write(tmp_path, "dagent.py", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        load_definition(path)


def test_python_form_rejects_non_agents_and_bad_tools(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dagent.py",
        """
        from dagent_gen import Agent, Project

        main = Agent("main", tools=[42, lambda q: q])
        project = Project(package="pkg", agents=[main, "writer"])
        """,
    )
    data, _, problems = load_definition(path)
    assert data is None
    assert [(p.code, p.location.line) for p in problems] == [  # type: ignore[union-attr]
        ("DG104", 3),
        ("DG104", 3),
        ("DG202", 4),
    ]
    assert problems[0].message == "42 is not a function"
    assert "defined in the definition file itself" in problems[1].message


def test_python_form_string_references_and_project_tools(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dagent.py",
        """
        from dagent_gen import Agent, Project, Tool

        project = Project(
            package="pkg",
            agents=[Agent("main", tools=["tools_mod:search"])],
            tools=[Tool("tools_mod:search", retries=1)],
        )
        """,
    )
    data, _, problems = load_definition(path)
    assert problems == []
    assert data is not None
    assert data["tools"] == {"search": {"function": "tools_mod:search", "retries": 1}}
    assert data["agents"] == {"main": {"tools": ["search"], "subagents": []}}


def test_python_form_bare_functions_share_the_tool_options(tmp_path: Path) -> None:
    """A bare function refers to the tool of that function wherever its options are set; two
    different option sets for one name are an error."""
    path = write(
        tmp_path,
        "dagent.py",
        """
        from dagent_gen import Agent, Project, Tool

        first = Agent("first", tools=["mod:search"])
        second = Agent("second", tools=[Tool("mod:search", timeout="5s")])
        third = Agent("third", tools=[Tool("mod:search", timeout="9s")])
        project = Project(package="pkg", agents=[first, second])
        """,
    )
    data, _, problems = load_definition(path)
    assert problems == []
    assert data is not None
    assert data["tools"] == {"search": {"function": "mod:search", "timeout": "5s"}}
    path.write_text(path.read_text().replace("[first, second]", "[first, second, third]"))
    data, _, problems = load_definition(path)
    assert data is None
    assert [(p.code, p.location.line, p.location.column) for p in problems] == [  # type: ignore[union-attr]
        ("DG206", 5, 31)
    ]
