"""Stage 3, model: names, defaults and the tool definitions each agent offers the model.

Signatures are written by hand here, so these tests import no tool code.
"""

from __future__ import annotations

from typing import Any

import pytest

from dagent_gen.definition import Definition
from dagent_gen.introspect import ToolSignature
from dagent_gen.loop_vocabulary import WRITE_TODOS_TOOL
from dagent_gen.model import ProjectModel, build_model, class_name

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string"}},
    "required": ["query"],
    "additionalProperties": False,
}


def signature(name: str, description: str = "", is_async: bool = False) -> ToolSignature:
    return ToolSignature(
        function_module="my_tools",
        function_name=name,
        is_async=is_async,
        description=description,
        parameters_schema=SCHEMA,
    )


def model(data: dict[str, Any], signatures: dict[str, ToolSignature] | None = None) -> ProjectModel:
    definition = Definition.model_validate(data)
    if signatures is None:
        used = {tool for agent in definition.agents.values() for tool in agent.tools}
        signatures = {name: signature(name, f"Doc of {name}.") for name in used}
    return build_model(definition, signatures, "dagent.toml")


def project(**agents: dict[str, Any]) -> dict[str, Any]:
    return {"project": {"package": "my_agents"}, "agents": agents}


def tools(*names: str, **options: dict[str, Any]) -> dict[str, Any]:
    found = {name: {"function": f"my_tools:{name}"} for name in names}
    for name, extra in options.items():
        found[name] = {**found.get(name, {"function": f"my_tools:{name}"}), **extra}
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("researcher", "ResearcherWorkflow"),
        ("fact_checker", "FactCheckerWorkflow"),
        ("a__b_", "A_B_Workflow"),
        ("agent2", "Agent2Workflow"),
        ("agent_2", "Agent_2Workflow"),
        ("x_2b_c", "X_2bCWorkflow"),
    ],
)
def test_class_names(name: str, expected: str) -> None:
    assert class_name(name) == expected


def test_class_names_never_collide() -> None:
    """Every agent name up to 4 characters (from letters, digits and '_') gets its own class:
    two agents sharing a class would break the import of the workflows package."""
    alphabet = "ab1_"
    names = ["a"]
    for _ in range(3):
        names += [name + char for name in names for char in alphabet if len(name) < 4]
        names = list(dict.fromkeys(names))
    classes = {class_name(name) for name in names}
    assert len(classes) == len(names)
    assert all(name.isidentifier() for name in classes)


def test_names_of_generated_things() -> None:
    built = model({**project(fact_checker={"tools": ["web_search"]}), "tools": tools("web_search")})
    [agent] = built.agents
    assert (agent.class_name, agent.module_name, agent.const_name) == (
        "FactCheckerWorkflow", "fact_checker", "FACT_CHECKER_AGENT"
    )  # fmt: skip
    [tool] = built.tools
    assert (tool.const_name, tool.function_ref, tool.impl_name) == (
        "WEB_SEARCH_TOOL", "my_tools:web_search", "tool_function"
    )  # fmt: skip
    assert built.definition_file == "dagent.toml"


def test_task_queue_defaults_to_the_package_with_dashes() -> None:
    assert model(project(main={})).task_queue == "my-agents"
    data = project(main={})
    data["project"]["task_queue"] = "custom.queue"
    assert model(data).task_queue == "custom.queue"


def test_entry_agent_defaults_to_the_first_agent_written() -> None:
    built = model(project(zeta={}, alpha={}))
    assert built.entry_agent == "zeta"
    assert [agent.name for agent in built.agents] == ["alpha", "zeta"]  # files sorted by name
    data = project(zeta={}, alpha={})
    data["project"]["entry_agent"] = "alpha"
    assert model(data).entry_agent == "alpha"


def test_tool_definitions_order() -> None:
    data = project(
        lead={"tools": ["zebra", "apple"], "subagents": ["writer", "checker"]},
        writer={"planning": False, "tools": ["apple"]},
        checker={"planning": False},
    )
    built = model({**data, "tools": tools("apple", "zebra")})
    lead = next(agent for agent in built.agents if agent.name == "lead")
    names = [d["function"]["name"] for d in lead.tool_definitions]
    assert names == ["write_todos", "zebra", "apple", "writer", "checker"]
    assert lead.offered_names == names
    assert lead.tool_constants == [
        "WRITE_TODOS_PLANNER", "ZEBRA_TOOL", "APPLE_TOOL", "WRITER_DELEGATE", "CHECKER_DELEGATE"
    ]  # fmt: skip
    assert lead.tool_definitions[0] == WRITE_TODOS_TOOL
    writer = next(agent for agent in built.agents if agent.name == "writer")
    assert [d["function"]["name"] for d in writer.tool_definitions] == ["apple"]
    checker = next(agent for agent in built.agents if agent.name == "checker")
    assert checker.tool_definitions == [] and not checker.runs_tools
    assert [tool.name for tool in built.tools] == ["apple", "zebra"]
    assert [sub.name for sub in built.delegates] == ["checker", "writer"]
    assert built.uses_planning


def test_no_planning_anywhere() -> None:
    built = model(project(main={"planning": False}))
    assert not built.uses_planning
    assert built.agents[0].tool_definitions == []


def test_sub_agent_schema() -> None:
    built = model(
        project(
            lead={"subagents": ["writer", "quiet"]},
            writer={"description": "Writes reports", "planning": False},
            quiet={"planning": False},
        )
    )
    lead = next(agent for agent in built.agents if agent.name == "lead")
    writer, quiet = lead.subagents
    assert (writer.class_name, writer.module_name, writer.const_name) == (
        "WriterWorkflow", "writer", "WRITER_DELEGATE"
    )  # fmt: skip
    definition = writer.definition
    assert definition["type"] == "function"
    function = definition["function"]
    assert function["name"] == "writer"
    assert function["description"].startswith(
        "Delegate a task to the writer agent: Writes reports."
    )
    assert function["parameters"] == {
        "type": "object",
        "properties": {
            "task": {
                "type": "string",
                "description": (
                    "A complete, self-contained description of the work: the agent sees "
                    "nothing else."
                ),
            }
        },
        "required": ["task"],
        "additionalProperties": False,
    }  # fmt: skip
    assert quiet.definition["function"]["description"].startswith(
        "Delegate a task to the quiet agent. "
    )


def test_description_overrides_the_docstring() -> None:
    data = project(main={"tools": ["documented", "overridden", "silenced"]})
    data["tools"] = tools(
        "documented",
        overridden={"description": "From the definition."},
        silenced={"description": ""},
    )
    signatures = {name: signature(name, "From the docstring.") for name in data["tools"]}
    built = model(data, signatures)
    by_name = {tool.name: tool for tool in built.tools}
    assert by_name["documented"].description == "From the docstring."
    assert by_name["overridden"].description == "From the definition."
    assert by_name["silenced"].description == ""
    assert by_name["overridden"].definition == {
        "type": "function",
        "function": {
            "name": "overridden",
            "description": "From the definition.",
            "parameters": SCHEMA,
        },
    }
    assert "description" not in by_name["silenced"].definition["function"]


def test_values_are_resolved() -> None:
    data = project(
        main={
            "tools": ["search"],
            "model": "openai:gpt-4o",
            "temperature": 1,
            "model_timeout": "1m30s",
            "base_url": "http://localhost:11434/v1",
        }
    )
    data["tools"] = tools(search={"timeout": "500ms", "retries": 0, "max_output_chars": 1000})
    built = model(data, {"search": signature("search", is_async=True)})
    [agent] = built.agents
    assert (agent.model, agent.temperature, agent.model_timeout) == ("gpt-4o", 1.0, 90.0)
    assert isinstance(agent.temperature, float)
    assert agent.base_url == "http://localhost:11434/v1"
    [tool] = built.tools
    assert (tool.timeout, tool.retries, tool.max_output_chars, tool.is_async) == (
        0.5, 0, 1000, True
    )  # fmt: skip


def test_unused_tools_are_left_out() -> None:
    data = {**project(main={"tools": ["used"]}), "tools": tools("used", "unused")}
    built = model(data)
    assert [tool.name for tool in built.tools] == ["used"]


def test_model_is_frozen() -> None:
    """Frozen dataclasses: the renderer cannot change the model by accident."""
    built = model(project(main={}))
    with pytest.raises(AttributeError):
        built.package = "other"  # type: ignore[misc]


def test_non_retryable_errors_from_both_definition_forms(tmp_path: Any) -> None:
    """TOML and dagent.py give the tool the same non-retryable exception types."""
    from dagent_gen.pipeline import generate

    (tmp_path / "nr_tools_mod.py").write_text(
        'def look(key: str) -> str:\n    """Look."""\n    return key\n', encoding="utf-8"
    )
    toml_dir = tmp_path / "toml"
    toml_dir.mkdir()
    (toml_dir / "nr_tools_mod.py").write_text((tmp_path / "nr_tools_mod.py").read_text())
    (toml_dir / "dagent.toml").write_text(
        '[project]\npackage = "nr"\n[agents.a]\ntools = ["look"]\n'
        '[tools.look]\nfunction = "nr_tools_mod:look"\nnon_retryable_errors = ["KeyError"]\n',
        encoding="utf-8",
    )
    py_dir = tmp_path / "py"
    py_dir.mkdir()
    (py_dir / "nr_tools_mod.py").write_text((tmp_path / "nr_tools_mod.py").read_text())
    (py_dir / "dagent.py").write_text(
        "from dagent_gen import Agent, Project, Tool\nfrom nr_tools_mod import look\n"
        'project = Project(package="nr", agents=[Agent("a", tools=[Tool(look, '
        'non_retryable_errors=["KeyError"])])])\n',
        encoding="utf-8",
    )
    for folder in (toml_dir, py_dir):
        generation, problems = generate(folder)
        assert generation is not None, [p.render() for p in problems]
        assert generation.model.tools[0].non_retryable_errors == ("KeyError",)
        workflow = next(f for f in generation.files if f.path == "nr/workflows/a.py")
        assert 'non_retryable_error_types=[\n                                "KeyError",' in (
            workflow.content
        )


LOCAL_TOOLS = '''
def quick(key: str) -> str:
    """Quick."""
    return key


def slow(key: str) -> str:
    """Slow."""
    return key
'''
LOCAL_FORMS = {
    "dagent.toml": '[project]\npackage = "lo"\n[agents.a]\ntools = ["quick", "slow"]\n'
    '[tools.quick]\nfunction = "lo_tools_mod:quick"\ntimeout = "3s"\nretries = 1\n'
    "local = true\n"
    '[tools.slow]\nfunction = "lo_tools_mod:slow"\ntimeout = "3s"\nretries = 1\n',
    "dagent.py": "from dagent_gen import Agent, Project, Tool\n"
    "from lo_tools_mod import quick, slow\n"
    'project = Project(package="lo", agents=[Agent("a", tools=[\n'
    '    Tool(quick, timeout="3s", retries=1, local=True),\n'
    '    Tool(slow, timeout="3s", retries=1),\n'
    "])])\n",
}


@pytest.mark.parametrize("definition_name", sorted(LOCAL_FORMS))
def test_local_tools_run_as_local_activities(tmp_path: Any, definition_name: str) -> None:
    """``local`` (both forms) makes that tool's call branch, and only it, a local activity
    with the tool's own timeout and retry policy."""
    from dagent_gen.pipeline import generate

    (tmp_path / "lo_tools_mod.py").write_text(LOCAL_TOOLS, encoding="utf-8")
    (tmp_path / definition_name).write_text(LOCAL_FORMS[definition_name], encoding="utf-8")
    generation, problems = generate(tmp_path)
    assert generation is not None, [p.render() for p in problems]
    assert {tool.name: tool.local for tool in generation.model.tools} == {
        "quick": True,
        "slow": False,
    }
    workflow = next(f for f in generation.files if f.path == "lo/workflows/a.py").content
    branches = {
        name: workflow.split(f'case "{name}":')[1].split("case ")[0] for name in ("quick", "slow")
    }
    assert "workflow.execute_local_activity(\n" in branches["quick"]
    assert "execute_local_activity" not in branches["slow"]
    assert "workflow.execute_activity(\n" in branches["slow"]
    for branch in branches.values():
        assert "start_to_close_timeout=timedelta(seconds=3)" in branch
        assert "retry_policy=RetryPolicy(maximum_attempts=2)" in branch
    # Local tools get slots of their own, and the thread pool a thread for each slot, so a
    # sync local tool never waits for a thread while its timeout runs.
    worker = next(f for f in generation.files if f.path == "lo/worker.py").content
    assert "ThreadPoolExecutor(max_workers=2 * slots)" in worker
    assert "max_concurrent_local_activities=slots," in worker


def test_local_must_be_a_bool() -> None:
    data = {**project(main={"tools": ["search"]}), "tools": tools(search={"local": "yes"})}
    with pytest.raises(ValueError, match="local"):
        Definition.model_validate(data)


def test_approval_settings_reach_the_model() -> None:
    options: dict[str, dict[str, Any]] = {
        "mail": {"approval": True, "approval_timeout": "1h30m", "approval_default": "approve"},
        "ask": {"approval": True},
    }
    data = project(main={"tools": ["mail", "ask", "look"]})
    built = model({**data, "tools": tools("mail", "ask", "look", **options)})
    [agent] = built.agents
    assert [tool.name for tool in agent.approval_tools] == ["mail", "ask"]
    by_name = {tool.name: tool for tool in built.tools}
    assert (by_name["mail"].approval_timeout, by_name["mail"].approval_default) == (5400, "approve")
    assert (by_name["ask"].approval_timeout, by_name["ask"].approval_default) == (None, "reject")
    assert by_name["mail"].arguments_name == "MAIL_ARGUMENTS"
    assert built.uses_approval
    assert not model(project(main={})).uses_approval


def test_conversational_settings_reach_the_model() -> None:
    built = model(
        project(main={"conversational": True, "idle_timeout": "1m30s", "planning": False})
    )
    [agent] = built.agents
    assert (agent.conversational, agent.idle_timeout) == (True, 90)
    assert agent.continues_as_new and not agent.runs_tools  # turns continue as new too
    assert built.uses_conversation
    [plain] = model(project(main={})).agents
    assert (plain.conversational, plain.idle_timeout) == (False, 3600)
    assert not model(project(main={})).uses_conversation
