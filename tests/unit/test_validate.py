"""Stage 2, validate: the schema, each semantic rule, and the wording users see."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic
from dagent_gen.load import load_definition
from dagent_gen.validate import parse_duration, validate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "01_research_agent" / "dagent.toml"

BASE = """
[project]
package = "agents"

[agents.main]
"""


def run(tmp_path: Path, text: str) -> tuple[Definition | None, list[Diagnostic]]:
    path = tmp_path / "dagent.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, source, problems = load_definition(path)
    assert problems == [], [p.render() for p in problems]
    assert data is not None
    return validate(data, source)


def problems(tmp_path: Path, text: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of each diagnostic."""
    definition, found = run(tmp_path, text)
    assert definition is None
    return [(d.code, d.location.line, d.location.column, d.message) for d in found]  # type: ignore[union-attr]


def only(tmp_path: Path, text: str) -> Diagnostic:
    definition, found = run(tmp_path, text)
    assert definition is None
    assert len(found) == 1, [d.render() for d in found]
    return found[0]


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        (" 10s ", 10.0),
        ("1m 30s", 90.0),
        (5, 5.0),
        (0.25, 0.25),
        ("30 sec", None),
        ("-5s", None),
        ("5", None),
        ("s", None),
        ("", None),
        ("5d", None),
        ("1m30", None),
        ("0s", None),
        (0, None),
        (-1, None),
        (True, None),
        (float("inf"), None),
        (float("nan"), None),
        ("9" * 400 + "s", None),
    ],
)
def test_parse_duration(value: str | float, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


# --- good definitions -------------------------------------------------------------------------


def test_example_definition_is_valid() -> None:
    data, source, found = load_definition(EXAMPLE)
    assert found == [] and data is not None
    definition, found = validate(data, source)
    assert found == []
    assert definition is not None
    assert list(definition.agents) == ["researcher", "writer"]
    assert definition.agents["researcher"].subagents == ["writer"]


def test_minimal_definition_gets_the_defaults(tmp_path: Path) -> None:
    definition, found = run(tmp_path, BASE)
    assert found == []
    assert definition is not None
    main = definition.agents["main"]
    assert (main.model, main.max_steps, main.planning) == ("openai:gpt-4o-mini", 20, True)
    assert (main.model_timeout, main.model_retries, main.tools) == ("120s", 5, [])
    assert definition.project.task_queue is None


def test_non_planning_agent_may_take_one_step(tmp_path: Path) -> None:
    definition, found = run(tmp_path, BASE + "planning = false\nmax_steps = 1\n")
    assert found == [] and definition is not None


# --- schema -----------------------------------------------------------------------------------


def test_unknown_keys_with_and_without_a_close_match(tmp_path: Path) -> None:
    found = run(tmp_path, BASE + 'modle = "x"\ncolour = "blue"\n[tool.x]\n')[1]
    rendered = [d.render().replace(str(tmp_path), "") for d in found]
    assert rendered[0] == (
        "/dagent.toml:5:1: error[DG201]: unknown key 'modle' in [agents.main]\n"
        "  hint: did you mean 'model'?"
    )
    assert rendered[1].startswith(
        "/dagent.toml:6:1: error[DG201]: unknown key 'colour' in [agents.main]\n"
        "  hint: allowed keys: api_key_env, base_url, context, conversational, description, "
    )
    assert rendered[2] == (
        "/dagent.toml:7:2: error[DG201]: unknown key 'tool' in the definition\n"
        "  hint: did you mean 'tools'?"
    )


def test_missing_keys(tmp_path: Path) -> None:
    assert problems(tmp_path, "[agents.main]\n") == [
        ("DG202", 1, 0, "the definition has no [project] table")
    ]
    text = '[project]\ndescription = "x"\n[agents.main]\ntools = ["t"]\n[tools.t]\n'
    assert problems(tmp_path, text) == [
        ("DG202", 1, 2, "[project] needs the key 'package'"),
        ("DG202", 5, 8, "[tools.t] needs the key 'function'"),
    ]


def test_wrong_types_are_one_readable_diagnostic_each(tmp_path: Path) -> None:
    text = BASE + 'max_steps = "20"\ntemperature = "hot"\nmodel_timeout = [1]\ntools = [1]\n'
    definition, found = run(tmp_path, text)
    assert definition is None
    assert [(d.location.line, d.message, d.hint) for d in found] == [  # type: ignore[union-attr]
        (5, "max_steps in [agents.main] must be an integer, not the string '20'",
         "remove the quotes: max_steps = 20"),
        (6, "temperature in [agents.main] must be a number, not the string 'hot'", None),
        (7, 'model_timeout in [agents.main] must be a duration such as "30s" or a number of '
         "seconds, not a list", None),
        (8, "tools[0] in [agents.main] must be a string, not 1", "put the value in double quotes"),
    ]  # fmt: skip


def test_sections_of_the_wrong_shape(tmp_path: Path) -> None:
    assert problems(tmp_path, 'agents = 3\n[project]\npackage = "p"\n') == [
        ("DG202", 1, 1, "[agents] must be a table, not 3"),
    ]


def test_schema_errors_and_semantic_errors_in_one_run(tmp_path: Path) -> None:
    text = BASE + 'tools = ["nope", "broken"]\nmax_steps = 1\n[tools.broken]\nretries = "2"\n'
    assert [(code, line) for code, line, _, _ in problems(tmp_path, text)] == [
        ("DG203", 5, ),
        ("DG202", 6),
        ("DG202", 7),  # [tools.broken] needs 'function'
        ("DG202", 8),  # retries must be an integer
    ]  # fmt: skip


# --- semantic rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "message", "hint"),
    [
        ("my-agent", "is not a valid Python package name", "e.g. 'my_agent'"),
        ("1abc", "is not a valid Python package name", "cannot start with a digit, e.g. 'abc'"),
        ("class", "is a Python keyword, so it cannot be imported", "e.g. 'class_agents'"),
        ("", "is not a valid Python package name", "e.g. 'my_agents'"),
    ],
)
def test_package_names(tmp_path: Path, package: str, message: str, hint: str) -> None:
    found = only(tmp_path, BASE.replace('"agents"', repr(package).replace("'", '"')))
    assert (found.code, found.location.line) == ("DG209", 2)  # type: ignore[union-attr]
    assert found.message == f"package {package!r} {message}"
    assert found.hint is not None and found.hint.endswith(hint)


def test_no_agents_and_bad_entry_agent(tmp_path: Path) -> None:
    assert problems(tmp_path, '[project]\npackage = "p"\n') == [
        ("DG210", 1, 2, "the definition has no agents")
    ]
    found = only(tmp_path, BASE.replace('"agents"\n', '"agents"\nentry_agent = "mian"\n'))
    assert (found.code, found.message, found.hint) == (
        "DG204", "entry_agent 'mian' is not an agent", "did you mean 'main'?"
    )  # fmt: skip


def test_empty_task_queue(tmp_path: Path) -> None:
    found = only(tmp_path, BASE.replace('"agents"\n', '"agents"\ntask_queue = " "\n'))
    assert (found.code, found.message) == ("DG202", "task_queue must not be empty")


@pytest.mark.parametrize(
    ("name", "code"), [("Main", "DG209"), ("my-agent", "DG209"), ("def", "DG209")]
)
def test_agent_and_tool_names(tmp_path: Path, name: str, code: str) -> None:
    text = f'[project]\npackage = "p"\n[agents."{name}"]\ntools = ["{name}"]\n'
    text += f'[tools."{name}"]\nfunction = "m:f"\n'
    found = problems(tmp_path, text)
    assert [(c, line) for c, line, _, _ in found] == [(code, 3), (code, 5)]
    assert found[0][3] == f"agent name {name!r} must be a lowercase Python identifier"
    assert found[1][3] == f"tool name {name!r} must be a lowercase Python identifier"


def test_reserved_tool_name(tmp_path: Path) -> None:
    text = BASE + 'tools = ["write_todos"]\n[tools.write_todos]\nfunction = "m:f"\n'
    assert problems(tmp_path, text) == [
        ("DG206", 6, 8, "tool name 'write_todos' is reserved for the built-in planner")
    ]


def test_models(tmp_path: Path) -> None:
    found = only(tmp_path, BASE + 'model = "gpt-4o"\n')
    assert (found.code, found.message) == ("DG211", "model 'gpt-4o' does not name its provider")
    assert found.hint == 'write it as provider:model, e.g. "openai:gpt-4o"'
    found = only(tmp_path, BASE + 'model = "antropic:x"\n')
    assert found.message == (
        "model 'antropic:x': unknown provider 'antropic' (supported: openai, anthropic, gemini, "
        "ollama, openrouter, groq, openai-compatible)"
    )
    assert found.hint == "did you mean 'anthropic'?"
    found = only(tmp_path, BASE + 'model = "vllm:x"\n')
    assert "openai-compatible:MODEL" in (found.hint or "")
    found = only(tmp_path, BASE + 'model = "openai-compatible:x"\n')
    assert found.message == (
        "model 'openai-compatible:x': the openai-compatible provider needs the agent's base_url"
    )
    for model in ("anthropic:c", "gemini:g", "ollama:llama3.1:8b", "openrouter:a/b:free", "groq:l"):
        assert run(tmp_path, BASE + f'model = "{model}"\n')[1] == []
    extra = 'model = "openai-compatible:x"\nbase_url = "http://h:8000/v1"\n'
    assert run(tmp_path, BASE + extra)[1] == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("max_steps = 2", "max_steps must be at least 3 for this agent, not 2"),
        ("planning = false\nmax_steps = 0", "max_steps must be at least 1 for this agent, not 0"),
        ('model_timeout = "30 sec"', "model_timeout is not a valid duration: '30 sec'"),
        ("model_timeout = 0", "model_timeout must be more than 0 seconds, not 0"),
        ("model_timeout = -2.5", "model_timeout must be more than 0 seconds, not -2.5"),
        ("model_timeout = inf", "model_timeout must be a finite number of seconds, not inf"),
        ("model_retries = -1", "model_retries must be 0 or more, not -1"),
        ("temperature = 3", "temperature must be between 0 and 2, not 3"),
        ("max_tokens = 0", "max_tokens must be 1 or more, not 0"),
        ('base_url = "localhost:11434"', "base_url 'localhost:11434' is not an http(s) URL"),
        ('api_key_env = "sk-123"', "api_key_env 'sk-123' is not an environment variable name"),
        ('idle_timeout = "2m"', "idle_timeout is set but conversational is not"),
        (
            'conversational = true\nidle_timeout = "25h"',
            "idle_timeout must be between 1s and 24h, not '25h'",
        ),
        (
            'conversational = true\nidle_timeout = "soon"',
            "idle_timeout is not a valid duration: 'soon'",
        ),
    ],
)
def test_agent_settings(tmp_path: Path, extra: str, message: str) -> None:
    found = only(tmp_path, BASE + extra + "\n")
    assert found.message == message
    assert found.location.line == 4 + extra.count("\n") + 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('timeout = "-5s"', "timeout is not a valid duration: '-5s'"),
        ("timeout = 0", "timeout must be more than 0 seconds, not 0"),
        ("retries = -1", "retries must be 0 or more, not -1"),
        ("max_output_chars = 99", "max_output_chars must be at least 100, not 99"),
        (
            'non_retryable_errors = ["KeyError", "not a class"]',
            "non_retryable_errors holds exception class names, not 'not a class'",
        ),
        ('approval_timeout = "1h"', "approval_timeout is set but approval is not"),
        (
            'approval_default = "approve"',
            "approval_default applies when approval_timeout expires, and there is no "
            "approval_timeout",
        ),
        (
            'approval = true\napproval_timeout = "31d"',
            "approval_timeout is not a valid duration: '31d'",
        ),
        (
            'approval = true\napproval_timeout = "721h"',
            "approval_timeout must be between 1s and 30d, not '721h'",
        ),
        (
            'approval = true\napproval_timeout = "0.5s"',
            "approval_timeout must be between 1s and 30d, not '0.5s'",
        ),
    ],
)
def test_tool_settings(tmp_path: Path, extra: str, message: str) -> None:
    text = BASE + f'tools = ["t"]\n[tools.t]\nfunction = "m:f"\n{extra}\n'
    found = only(tmp_path, text)
    line = 8 + extra.count("\n")  # the last key of ``extra`` is the wrong one
    assert (found.message, found.location.line) == (message, line)  # type: ignore[union-attr]


def test_approval_settings_that_are_valid(tmp_path: Path) -> None:
    for extra in (
        "approval = true",
        'approval = true\napproval_timeout = "720h"',
        'approval = true\napproval_timeout = 5\napproval_default = "approve"',
    ):
        text = BASE + f'tools = ["t"]\n[tools.t]\nfunction = "m:f"\n{extra}\n'
        definition, found = run(tmp_path, text)
        assert definition is not None and found == [], extra


def test_unknown_tools_and_sub_agents_point_at_the_element(tmp_path: Path) -> None:
    text = BASE + 'tools = [\n  "serch",\n  "other",\n]\nsubagents = ["mian", "x"]\n'
    text += '[tools.search]\nfunction = "m:f"\n'
    found = run(tmp_path, text)[1]
    assert [(d.location.line, d.location.column, d.message, d.hint) for d in found] == [  # type: ignore[union-attr]
        (6, 3, "agent 'main' uses unknown tool 'serch'", "did you mean 'search'?"),
        (7, 3, "agent 'main' uses unknown tool 'other'", "add a [tools.other] table"),
        (9, 14, "agent 'main' delegates to unknown agent 'mian'", "did you mean 'main'?"),
        (9, 22, "agent 'main' delegates to unknown agent 'x'", "add an [agents.x] table"),
    ]


def test_duplicates_and_name_clashes(tmp_path: Path) -> None:
    text = BASE + 'tools = ["t", "t", "helper"]\nsubagents = ["helper", "helper"]\n'
    text += "[agents.helper]\nplanning = false\n"
    text += '[tools.t]\nfunction = "m:f"\n[tools.helper]\nfunction = "m:g"\n'
    assert problems(tmp_path, text) == [
        ("DG206", 5, 15, "agent 'main' lists the tool 't' twice"),
        ("DG206", 6, 14, "agent 'main' offers two tools named 'helper' (a tool and a sub-agent)"),
        ("DG206", 6, 24, "agent 'main' lists the sub-agent 'helper' twice"),
    ]


def test_sub_agent_named_like_the_planner_tool(tmp_path: Path) -> None:
    text = BASE + 'subagents = ["write_todos"]\n[agents.write_todos]\nplanning = false\n'
    assert problems(tmp_path, text) == [
        ("DG206", 5, 14, "sub-agent name 'write_todos' is reserved for the built-in planner")
    ]
    # A non-planning agent offers no write_todos, so there is nothing to clash with.
    assert (
        run(tmp_path, text.replace("[agents.main]\n", "[agents.main]\nplanning = false\n"))[1] == []
    )


@pytest.mark.parametrize(
    ("agents", "cycles"),
    [
        ({"a": ["a"]}, [("a -> a", "a")]),
        ({"a": ["b"], "b": ["a"]}, [("a -> b -> a", "b")]),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, [("a -> b -> c -> a", "c")]),
        ({"a": ["b"], "b": ["a", "b"]}, [("a -> b -> a", "b"), ("b -> b", "b")]),
        ({"a": ["b", "c"], "b": ["c"], "c": []}, []),  # a diamond is fine
        (
            {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"]},
            [("a -> b -> a", "b"), ("c -> d -> c", "d")],
        ),
        ({"a": ["b", "c"], "b": ["c"], "c": ["a"]}, [("a -> c -> a", "c")]),  # the shortest
    ],
)
def test_sub_agent_cycles(
    tmp_path: Path, agents: dict[str, list[str]], cycles: list[tuple[str, str]]
) -> None:
    text = '[project]\npackage = "p"\n'
    for name, subs in agents.items():
        text += f"[agents.{name}]\nplanning = false\nsubagents = {subs!r}\n".replace("'", '"')
    definition, found = run(tmp_path, text)
    assert [d.message for d in found] == [f"sub-agent cycle: {c}" for c, _ in cycles]
    lines = {name: 5 + 3 * index for index, name in enumerate(agents)}
    assert [d.location.line for d in found] == [lines[at] for _, at in cycles]  # type: ignore[union-attr]
    assert (definition is None) == bool(cycles)


def test_diagnostics_are_sorted_by_position(tmp_path: Path) -> None:
    text = BASE + 'subagents = ["main"]\nmax_steps = 1\nmodel = "x"\n'
    lines = [line for _, line, _, _ in problems(tmp_path, text)]
    assert lines == sorted(lines) == [5, 6, 7]


# --- the Python form speaks Python ------------------------------------------------------------


def python_problems(tmp_path: Path, text: str) -> list[tuple[int, str, str | None]]:
    path = tmp_path / "dagent.py"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, source, found = load_definition(path)
    assert found == [] and data is not None
    definition, found = validate(data, source)
    assert definition is None
    return [(d.location.column, d.message, d.hint) for d in found]  # type: ignore[union-attr]


def test_python_form_wording(tmp_path: Path) -> None:
    text = """
        from dagent_gen import Agent, Project
        main = Agent('main', max_steps='20', planning='no')
        project = Project(package='p', agents=[main])
        """
    assert python_problems(tmp_path, text) == [
        (22, "max_steps in Agent 'main' must be an integer, not the string '20'",
         "remove the quotes: max_steps=20"),
        (38, "planning in Agent 'main' must be true or false, not the string 'no'",
         "write planning=True or planning=False"),
    ]  # fmt: skip
    text = """
        from dagent_gen import Agent, Project
        helper = Agent('helper')
        project = Project(package='p', agents=[Agent('main', subagents=[helper])])
        """
    assert python_problems(tmp_path, text) == [
        (65, "agent 'main' delegates to 'helper', which is not in the Project's agents",
         "add the Agent to Project(agents=[...])"),
    ]  # fmt: skip


def test_cycle_check_is_fast_with_many_paths(tmp_path: Path) -> None:
    """40 agents, each delegating to every later one: 2**39 paths, no cycle, instant."""
    names = [f"a{i:02d}" for i in range(40)]
    text = '[project]\npackage = "p"\n'
    for index, name in enumerate(names):
        subs = ", ".join(f'"{sub}"' for sub in names[index + 1 :])
        text += f"[agents.{name}]\nplanning = false\nsubagents = [{subs}]\n"
    definition, found = run(tmp_path, text)
    assert found == [] and definition is not None
    cyclic = text + f'[agents.z]\nplanning = false\nsubagents = ["{names[0]}"]\n'
    cyclic = cyclic.replace("subagents = []\n", 'subagents = ["z"]\n')
    assert [d.code for d in run(tmp_path, cyclic)[1]] == ["DG205"]


# --- values the server or the model API cannot honour -------------------------------------------

DURATION_KEYS = [("agent", "model_timeout"), ("agent", "idle_timeout"), ("tool", "timeout")]


def with_setting(table: str, line: str) -> str:
    """BASE with one tool; ``line`` goes into the agent's table or the tool's (line 5 / 8)."""
    agent_line, tool_line = (line, "") if table == "agent" else ("", line)
    if line.startswith("idle_timeout"):
        agent_line += "\nconversational = true"  # where idle_timeout applies
    return BASE + f'{agent_line}\ntools = ["t"]\n[tools.t]\nfunction = "m:f"\n{tool_line}\n'


@pytest.mark.parametrize(("table", "key"), DURATION_KEYS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"0.0000001s"', "must be between 1s and 24h, not '0.0000001s'"),
        ("1e-07", "must be between 1s and 24h, not 1e-07"),
        ('"500ms"', "must be between 1s and 24h, not '500ms'"),
        ('"25h"', "must be between 1s and 24h, not '25h'"),
        ("1e300", "must be between 1s and 24h, not 1e+300"),
        ('"9999999999999h"', "must be between 1s and 24h, not '9999999999999h'"),
        ('"1.0005s"', "must be a whole number of milliseconds, not '1.0005s'"),
        ("2.0000001", "must be a whole number of milliseconds, not 2.0000001"),
    ],
)
def test_timeouts_the_server_cannot_honour(
    tmp_path: Path, table: str, key: str, value: str, message: str
) -> None:
    """Every duration key: a value that rounds to zero (every call would fail the workflow
    task), overflows timedelta, or is finer than a millisecond is refused at its line."""
    found = only(tmp_path, with_setting(table, f"{key} = {value}"))
    assert (found.code, found.message) == ("DG207", f"{key} {message}")
    assert found.location.line == (5 if table == "agent" else 9)  # type: ignore[union-attr]


@pytest.mark.parametrize(("table", "key"), DURATION_KEYS)
@pytest.mark.parametrize("value", ['"1s"', "1", '"24h"', '"1.5s"', '"1m0.001s"', "86400"])
def test_timeouts_at_the_limits_are_accepted(
    tmp_path: Path, table: str, key: str, value: str
) -> None:
    definition, found = run(tmp_path, with_setting(table, f"{key} = {value}"))
    assert found == [] and definition is not None


def test_every_duration_key_is_range_checked() -> None:
    """A new duration field must join DURATION_KEYS (and the validator's checks)."""
    from pydantic import BaseModel

    from dagent_gen.definition import AgentSection, ToolSection

    def durations(model: type[BaseModel]) -> set[str]:
        return {
            name
            for name, field in model.model_fields.items()
            if str in getattr(field.annotation, "__args__", ()) and name.endswith("timeout")
        }

    assert {("agent", k) for k in durations(AgentSection)} | {
        ("tool", k) for k in durations(ToolSection)
    } == set(DURATION_KEYS) | {("tool", "approval_timeout")}  # its own range: see below


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"500ms"', "must be between 1s and 30d, not '500ms'"),
        ('"721h"', "must be between 1s and 30d, not '721h'"),
        ("1e300", "must be between 1s and 30d, not 1e+300"),
        ('"1.0005s"', "must be a whole number of milliseconds, not '1.0005s'"),
        ("0", "must be more than 0 seconds, not 0"),
    ],
)
def test_approval_timeouts_a_timer_cannot_honour(tmp_path: Path, value: str, message: str) -> None:
    """A human may take days (up to 30), but the timer has the same limits as a timeout."""
    text = with_setting("tool", f"approval = true\napproval_timeout = {value}")
    found = only(tmp_path, text)
    assert (found.code, found.message) == ("DG207", f"approval_timeout {message}")


@pytest.mark.parametrize(
    ("table", "key", "value", "code", "message"),
    [
        ("tool", "retries", -1, "DG208", "retries must be 0 or more, not -1"),
        ("tool", "retries", 101, "DG208", "retries must be at most 100, not 101"),
        ("tool", "retries", 2**40, "DG208", "retries must be at most 100, not 1099511627776"),
        ("agent", "model_retries", -1, "DG208", "model_retries must be 0 or more, not -1"),
        ("agent", "model_retries", 2**31, "DG208", "model_retries must be at most 100, not ..."),
        ("agent", "max_steps", 0, "DG202", "max_steps must be at least 3 for this agent, not 0"),
        ("agent", "max_steps", -5, "DG202", "max_steps must be at least 3 for this agent, not -5"),
        ("agent", "max_steps", 10_001, "DG202", "max_steps must be at most 10000, not 10001"),
        (
            "agent",
            "max_history_events",
            999,
            "DG202",
            "max_history_events must be at least 1000, not 999",
        ),
        (
            "agent",
            "max_history_events",
            9001,
            "DG202",
            "max_history_events must be at most 9000, not 9001",
        ),
        ("agent", "max_tokens", 0, "DG202", "max_tokens must be 1 or more, not 0"),
        ("agent", "max_tokens", -1, "DG202", "max_tokens must be 1 or more, not -1"),
        ("agent", "max_tokens", 10**7, "DG202", "max_tokens must be at most 1000000, not ..."),
        ("tool", "max_output_chars", 99, "DG202", "max_output_chars must be at least 100, not 99"),
        ("tool", "max_output_chars", 0, "DG202", "max_output_chars must be at least 100, not 0"),
        ("tool", "max_output_chars", 10**9, "DG202", "max_output_chars must be at most 500000..."),
        ("agent", "temperature", -0.1, "DG202", "temperature must be between 0 and 2, not -0.1"),
        ("agent", "temperature", "nan", "DG202", "temperature must be between 0 and 2, not nan"),
    ],
)
def test_numbers_out_of_range(
    tmp_path: Path, table: str, key: str, value: object, code: str, message: str
) -> None:
    """Every integer setting has both ends checked: negative, zero where invalid, and values
    the server cannot store (int32 attempts) or the history cannot hold."""
    found = only(tmp_path, with_setting(table, f"{key} = {value}"))
    assert found.code == code
    if message.endswith("..."):
        assert found.message.startswith(message[:-3]), found.message
    else:
        assert found.message == message
    assert found.location.line == (5 if table == "agent" else 9)  # type: ignore[union-attr]


def test_every_integer_setting_is_range_checked(tmp_path: Path) -> None:
    """A huge value of any integer key is refused: no integer setting is left unbounded."""
    from dagent_gen.definition import AgentSection, ToolSection

    for table, model in (("agent", AgentSection), ("tool", ToolSection)):
        for key, field in model.model_fields.items():
            if int in (field.annotation, *getattr(field.annotation, "__args__", ())):
                if key == "temperature":
                    continue  # a float range, checked above
                definition, found = run(tmp_path, with_setting(table, f"{key} = {2**62}"))
                assert definition is None and len(found) == 1, (key, found)


# --- names the generated code could not survive ---------------------------------------------------


@pytest.mark.parametrize("kind", ["agent", "tool"])
def test_names_longer_than_64_characters(tmp_path: Path, kind: str) -> None:
    """OpenAI refuses function names over 64 characters (sub-agents are functions too), and a
    250-character agent name is a file name the file system refuses."""
    for length, refused in ((64, False), (65, True), (250, True)):
        name = "a" * length
        text = f'[project]\npackage = "p"\n[agents.{name if kind == "agent" else "main"}]\n'
        text += f'tools = ["{name}"]\n[tools.{name}]\nfunction = "m:f"\n' if kind == "tool" else ""
        definition, found = run(tmp_path, text)
        assert (definition is None) == refused, found
        if refused:
            [problem] = found
            assert problem.code == "DG209"
            assert problem.message == (
                f"{kind} name {'a' * 20!r}... is {length} characters long; the limit is 64"
            )
            assert problem.location.line == (3 if kind == "agent" else 5)  # type: ignore[union-attr]


def test_tool_named_like_the_model_activity(tmp_path: Path) -> None:
    text = BASE + 'tools = ["call_model"]\n[tools.call_model]\nfunction = "m:f"\n'
    assert problems(tmp_path, text) == [
        ("DG206", 6, 8, "tool name 'call_model' is the name of the activity that calls the model")
    ]


@pytest.mark.parametrize(
    ("package", "message"),
    [
        *[(name, "would shadow the standard library module") for name in ("json", "typing")],
        *[(name, "would shadow the module") for name in ("temporalio", "openai", "pydantic")],
        ("é_agents", "is not a valid Python package name"),
        ("a" * 65, "... is 65 characters long; the limit is 64"),
    ],
)
def test_package_names_that_would_shadow_or_break(
    tmp_path: Path, package: str, message: str
) -> None:
    found = only(tmp_path, BASE.replace('"agents"', f'"{package}"'))
    assert (found.code, found.location.line) == ("DG209", 2)  # type: ignore[union-attr]
    assert message in found.message


def test_every_stdlib_and_runtime_module_is_refused_as_package() -> None:
    import sys

    from dagent_gen.names import RUNTIME_MODULES, package_problem

    for module in sorted(sys.stdlib_module_names | RUNTIME_MODULES):
        if module.isidentifier():
            assert package_problem(module) is not None, module


@pytest.mark.parametrize(
    ("function", "refused"),
    [
        ("agents:search", True),
        ("agents.tools:search", True),
        ("agents.llm:search", True),
        ("agents.my_tools:search", False),  # the user's own module inside the package
        ("agents_tools:search", False),
        ("tools:search", False),
    ],
)
def test_tool_module_named_like_the_package(tmp_path: Path, function: str, refused: bool) -> None:
    text = BASE + f'tools = ["search"]\n[tools.search]\nfunction = "{function}"\n'
    definition, found = run(tmp_path, text)
    assert (definition is None) == refused
    if refused:
        [problem] = found
        assert (problem.code, problem.location.line) == ("DG209", 7)  # type: ignore[union-attr]


# --- the file itself ------------------------------------------------------------------------------


def test_a_byte_order_mark_is_accepted_and_positions_stay_right(tmp_path: Path) -> None:
    path = tmp_path / "dagent.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.lstrip("\n").replace('"agents"', '"json"').encode())
    data, source, found = load_definition(path)
    assert found == [] and data is not None
    [problem] = validate(data, source)[1]
    assert (problem.location.line, problem.location.column) == (2, 1)  # type: ignore[union-attr]
    path.write_bytes(b"\xef\xbb\xbf[project\n")
    [syntax] = load_definition(path)[2]
    assert (syntax.code, syntax.location.line, syntax.location.column) == ("DG102", 1, 9)  # type: ignore[union-attr]


def test_generated_module_names_are_known_to_the_name_rules() -> None:
    """A tool module inside the generated package is refused when it would be overwritten:
    the list of generated top-level modules must follow the templates."""
    import dagent_gen.runtime
    from dagent_gen.names import GENERATED_MODULES
    from dagent_gen.render import templates_dir

    package = templates_dir() / "package"
    modules = {p.name.removesuffix(".py.j2") for p in package.glob("*.py.j2")}
    modules |= {p.name for p in package.iterdir() if p.is_dir()}
    runtime = Path(dagent_gen.runtime.__file__).parent
    modules |= {p.stem for p in runtime.glob("*.py")} - {"agents"}  # agents.py: a stand-in
    assert modules - {"__init__"} == GENERATED_MODULES
    assert {"agent_spec", "connection", "conversation"} <= GENERATED_MODULES


def test_a_conversational_agent_cannot_be_a_sub_agent(tmp_path: Path) -> None:
    text = BASE + 'subagents = ["chat"]\n[agents.chat]\nconversational = true\n'
    found = only(tmp_path, text)
    assert (found.code, found.location.line) == ("DG202", 5)  # type: ignore[union-attr]
    assert "'chat', a conversational agent" in found.message


def test_conversational_settings_that_are_valid(tmp_path: Path) -> None:
    definition, found = run(tmp_path, BASE + 'conversational = true\nidle_timeout = "2s"\n')
    assert found == [] and definition is not None
