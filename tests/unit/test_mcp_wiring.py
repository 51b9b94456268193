"""MCP servers in a definition: the keys, their checks, the model, the lock's record."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from dagent_gen import mcp_build
from dagent_gen.codes import Code
from dagent_gen.definition import Definition, McpSection
from dagent_gen.diagnostics import Diagnostic
from dagent_gen.graph import mermaid
from dagent_gen.load import load_definition
from dagent_gen.mcp_build import McpMode, mcp_tools
from dagent_gen.mcp_definition import server_configs
from dagent_gen.mcp_model import module_stem
from dagent_gen.mcp_record import McpRecord
from dagent_gen.model import build_model
from dagent_gen.render import render_project
from dagent_gen.runtime import MCP_RUNTIME_MODULES
from dagent_gen.runtime.mcp_config import McpServerConfig, ToolInfo
from dagent_gen.state import Lock
from dagent_gen.validate import validate

BASE = """
[project]
package = "agents"

[mcp.tickets]
command = "python"
args = ["tickets_server.py"]
env = { TICKETS_TOKEN = "${TICKETS_TOKEN}" }
prefix = "tickets_"

[agents.main]
planning = false
mcp = ["tickets"]
"""
SCHEMA = {"type": "object", "properties": {"ticket_id": {"type": "string"}}}


def run(tmp_path: Path, text: str) -> tuple[Definition | None, list[Diagnostic]]:
    path = tmp_path / "dagent.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, source, problems = load_definition(path)
    assert problems == [], [p.render() for p in problems]
    assert data is not None
    return validate(data, source)


def tool(name: str, prefix: str = "tickets_") -> ToolInfo:
    return ToolInfo(name=name, exposed_name=prefix + name, description="", input_schema=SCHEMA)


def test_the_definition_mirrors_every_field_of_the_runtime_config() -> None:
    assert set(McpSection.model_fields) | {"name"} == set(McpServerConfig.model_fields)
    section = McpSection(command="x").model_dump(mode="json")
    config = McpServerConfig(name="s", command="x").model_dump(mode="json")
    assert section == {key: value for key, value in config.items() if key != "name"}


def test_a_valid_mcp_definition(tmp_path: Path) -> None:
    definition, problems = run(tmp_path, BASE)
    assert problems == []
    assert definition is not None
    assert server_configs(definition)["tickets"].prefix == "tickets_"


def test_an_unknown_or_repeated_server_is_reported_at_its_line(tmp_path: Path) -> None:
    text = BASE.replace('mcp = ["tickets"]', 'mcp = ["tickets", "tikets", "tickets"]')
    _, problems = run(tmp_path, text)
    found = [(d.code, d.location.line if d.location else 0, d.message) for d in problems]
    assert found[0][:2] == (Code.UNKNOWN_MCP_SERVER.code, 12)
    assert "'tikets'" in found[0][2]
    assert found[1][:2] == (Code.NAME_CLASH.code, 12)


def test_a_config_the_runtime_refuses_is_reported_without_its_values(tmp_path: Path) -> None:
    text = BASE.replace('command = "python"', 'command = "python"\nurl = "https://x/?t=hunter2"')
    _, problems = run(tmp_path, text)
    assert [d.code for d in problems] == [Code.INVALID_VALUE.code]
    assert problems[0].location is not None and problems[0].location.line == 4
    assert "command" in problems[0].message and "hunter2" not in problems[0].render()


def test_servers_whose_modules_would_clash_are_refused(tmp_path: Path) -> None:
    text = BASE + '\n[mcp.a-b]\nurl = "http://x"\n[mcp.a_b]\nurl = "http://y"\n'
    _, problems = run(tmp_path, text)
    assert [d.code for d in problems] == [Code.NAME_CLASH.code]


def test_runtime_discovery_is_accepted_unless_its_activity_types_are_taken(
    tmp_path: Path,
) -> None:
    text = BASE.replace('prefix = "tickets_"', 'prefix = "tickets_"\ndiscover = "runtime"')
    _, problems = run(tmp_path, text)
    assert problems == []
    text += "\n[agents.mcp_tickets_call]\nplanning = false\n"
    _, problems = run(tmp_path, text)
    assert [(d.code, d.location.line if d.location else 0) for d in problems] == [
        (Code.NAME_CLASH.code, 9)
    ]


def test_runtime_discovery_renders_list_and_call_activities_and_no_record() -> None:
    definition = Definition.model_validate(
        {
            "project": {"package": "agents"},
            "mcp": {"help-desk": {"url": "http://x/mcp", "discover": "runtime"}},
            "agents": {"main": {"planning": False, "mcp": ["help-desk"]}},
        }
    )
    tools, problems = mcp_tools(definition, Path("dagent.toml"), None, McpMode.DISCOVER)
    assert problems == [] and tools.record is None and tools.found == {}
    project = build_model(definition, {}, "dagent.toml", mcp_configs=tools.configs)
    [main] = project.agents
    assert main.runs_tools and [server.name for server in main.runtime_mcp] == ["help-desk"]
    files = {file.path: file.content for file in render_project(project)}
    module = files["agents/mcp_tools/help_desk.py"]
    assert '@activity.defn(name="mcp_help-desk_list")' in module
    assert '@activity.defn(name="mcp_help-desk_call")' in module
    assert "help_desk_call_activity" in files["agents/tools/__init__.py"]
    assert "self._discovered.key" in files["agents/workflows/main.py"]
    graph = mermaid(project)
    assert 'mcp_help_desk[("help-desk<br/>MCP · tools listed at run time")]:::mcp' in graph
    assert "agent_main --> mcp_help_desk" in graph


@pytest.mark.parametrize(
    ("name", "stem"), [("tickets", "tickets"), ("my-server", "my_server"), ("1x", "mcp_1x")]
)
def test_module_stems_are_identifiers(name: str, stem: str) -> None:
    assert module_stem(name) == stem


def definition_of(**agents: Any) -> Definition:
    return Definition.model_validate(
        {
            "project": {"package": "agents"},
            "mcp": {"tickets": {"command": "python", "prefix": "tickets_"}},
            "agents": agents,
        }
    )


def test_the_model_offers_mcp_tools_to_the_agents_that_list_the_server() -> None:
    definition = definition_of(main={"planning": False, "mcp": ["tickets"]}, other={})
    configs = server_configs(definition)
    found = {"tickets": [tool("look-up"), tool("Look_up")]}
    project = build_model(definition, {}, "dagent.toml", mcp_configs=configs, mcp_found=found)
    main, other = project.agents
    assert main.offered_names == ["tickets_Look_up", "tickets_look-up"]
    assert other.mcp_tools == ()
    stems = [t.activity_name for t in main.mcp_tools]
    assert len({s.lower() for s in stems}) == 2 and all(s.isidentifier() for s in stems)
    paths = {file.path for file in render_project(project)}
    assert {f"agents/{m}" for m in MCP_RUNTIME_MODULES} <= paths
    assert "agents/mcp_tools/tickets.py" in paths


def test_the_graph_shows_mcp_servers() -> None:
    definition = definition_of(main={"mcp": ["tickets"]})
    configs = server_configs(definition)
    project = build_model(
        definition, {}, "dagent.toml", mcp_configs=configs, mcp_found={"tickets": [tool("a")]}
    )
    graph = mermaid(project)
    assert 'mcp_tickets[("tickets<br/>MCP · 1 tools")]:::mcp' in graph
    assert "agent_main --> mcp_tickets" in graph


def test_a_package_without_mcp_gets_no_mcp_modules() -> None:
    definition = definition_of(main={})
    project = build_model(definition, {}, "dagent.toml")
    paths = {file.path for file in render_project(project)}
    assert not {p for p in paths if "mcp" in p}


def test_the_lock_of_a_project_without_mcp_has_no_mcp_key() -> None:
    lock = Lock(generator="g", definition="dagent.toml", definition_sha256="0")
    assert '"mcp"' not in lock.dump()


def test_check_uses_the_record_and_never_lists_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_discovery(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a server was contacted")

    monkeypatch.setattr(mcp_build, "discover", no_discovery)
    definition = definition_of(main={"mcp": ["tickets"]})
    configs = server_configs(definition)
    record = McpRecord.of(configs, {"tickets": [tool("lookup")]})
    lock = Lock(generator="g", definition="d", definition_sha256="0", mcp=record)
    stored = Lock.model_validate_json(lock.dump()).mcp
    for mode in (McpMode.OFFLINE, McpMode.DISCOVER):  # a fresh record: build does not list
        tools, problems = mcp_tools(definition, Path("dagent.toml"), stored, mode)
        assert problems == [] and tools.record == record
        assert [t.exposed_name for t in tools.found["tickets"]] == ["tickets_lookup"]


def test_a_stale_record_is_listed_again_by_build_only(monkeypatch: pytest.MonkeyPatch) -> None:
    listed: list[str] = []

    def fake_discover(servers: Any, **options: Any) -> Any:
        listed.extend(servers)
        return {name: [tool("fresh")] for name in servers}, []

    monkeypatch.setattr(mcp_build, "discover", fake_discover)
    definition = definition_of(main={"mcp": ["tickets"]})
    old = McpServerConfig(name="tickets", command="python", prefix="tickets_", call_timeout=5)
    record = McpRecord.of({"tickets": old}, {"tickets": [tool("old")]})
    offline, _ = mcp_tools(definition, Path("dagent.toml"), record, McpMode.OFFLINE)
    assert listed == [] and offline.record != record  # check: the lock would change (stale)
    built, _ = mcp_tools(definition, Path("dagent.toml"), record, McpMode.DISCOVER)
    assert listed == ["tickets"]
    assert [t.name for t in built.found["tickets"]] == ["fresh"]
    assert built.record is not None and built.record.stale(server_configs(definition)) == []


def test_a_recorded_tool_that_now_clashes_with_a_project_tool_is_an_error() -> None:
    definition = Definition.model_validate(
        {
            "project": {"package": "agents"},
            "mcp": {"tickets": {"command": "python"}},
            "tools": {"lookup": {"function": "m:lookup"}},
            "agents": {"main": {"mcp": ["tickets"], "tools": ["lookup"]}},
        }
    )
    configs = server_configs(definition)
    record = McpRecord.of(configs, {"tickets": [tool("lookup", prefix="")]})
    _, problems = mcp_tools(definition, Path("dagent.toml"), record, McpMode.OFFLINE)
    assert [d.code for d in problems] == [Code.MCP_NAME_CLASH.code]


def test_a_hostile_record_name_is_refused_not_generated() -> None:
    """The lock is collapsed in reviews: a recorded name is checked as a listed one would be."""
    definition = definition_of(main={"mcp": ["tickets"]})
    configs = server_configs(definition)
    record = McpRecord.of(configs, {"tickets": [tool('x"); import os; ("')]})
    _, problems = mcp_tools(definition, Path("dagent.toml"), record, McpMode.OFFLINE)
    assert [d.code for d in problems] == [Code.MCP_INVALID_TOOL_NAME.code]


def test_a_pyproject_without_the_mcp_dependency_gets_a_warning(tmp_path: Path) -> None:
    definition = Definition.model_validate(
        {
            "project": {"package": "agents"},
            "mcp": {"desk": {"url": "http://x/mcp", "discover": "runtime"}},
            "agents": {"main": {"mcp": ["desk"]}},
        }
    )
    file = tmp_path / "dagent.toml"

    def codes() -> list[str]:
        return [d.code for d in mcp_tools(definition, file, None, McpMode.DISCOVER)[1]]

    assert codes() == []  # no pyproject.toml: packages are installed some other way
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["temporalio>=1.35"]\n')
    assert codes() == [Code.MCP_DEPENDENCY_MISSING.code]
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["MCP[cli] >= 2.3"]\n')
    assert codes() == []
