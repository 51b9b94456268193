"""MCP servers in the Python form (``McpServer``): the same package as the ``[mcp.NAME]``
tables, and mistakes reported at their line in ``dagent.py``."""

from __future__ import annotations

import textwrap
from pathlib import Path

from dagent_gen.codes import Code
from dagent_gen.load import load_definition
from dagent_gen.pipeline import generate
from dagent_gen.validate import validate

TOML = """
[project]
package = "desk"

[mcp.tickets]
command = "python"
args = ["tickets_server.py", "stdio"]
env = { TICKETS_TOKEN = "${TICKETS_TOKEN}" }
tools = ["lookup_*"]
deny = ["lookup_internal"]
prefix = "tickets_"
discover = "runtime"
call_timeout = 30

[mcp.search-web]
url = "https://search.example.com/mcp"
headers = { Authorization = "Bearer ${SEARCH_TOKEN}" }
discover = "runtime"

[agents.support]
planning = false
mcp = ["tickets", "search-web"]

[agents.triage]
mcp = ["tickets"]
"""

PYTHON = """
from dagent_gen import Agent, McpServer, Project

tickets = McpServer(
    "tickets",
    command="python",
    args=["tickets_server.py", "stdio"],
    env={"TICKETS_TOKEN": "${TICKETS_TOKEN}"},
    tools=["lookup_*"],
    deny=["lookup_internal"],
    prefix="tickets_",
    discover="runtime",
    call_timeout=30,
)
search = McpServer(
    "search-web",
    url="https://search.example.com/mcp",
    headers={"Authorization": "Bearer ${SEARCH_TOKEN}"},
    discover="runtime",
)
project = Project(
    package="desk",
    agents=[
        Agent("support", planning=False, mcp=[tickets, "search-web"]),
        Agent("triage", mcp=[tickets]),
    ],
    mcp=[search],
)
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_both_forms_generate_the_same_package(tmp_path: Path) -> None:
    from_toml, problems = generate(write(tmp_path / "toml", "dagent.toml", TOML))
    assert problems == [] and from_toml is not None, [p.render() for p in problems]
    from_python, problems = generate(write(tmp_path / "py", "dagent.py", PYTHON))
    assert problems == [] and from_python is not None, [p.render() for p in problems]
    files = {
        file.path: file.content.replace("dagent.toml", "dagent.py") for file in from_toml.files
    }
    assert files == {file.path: file.content for file in from_python.files}
    assert "desk/mcp_tools/search_web.py" in files


def test_a_bad_server_value_is_reported_at_its_keyword(tmp_path: Path) -> None:
    text = PYTHON.replace("    call_timeout=30,\n", '    call_timeout=30,\n    prefx="t_",\n')
    path = write(tmp_path, "dagent.py", text)
    data, source, problems = load_definition(path)
    assert problems == [] and data is not None
    _, problems = validate(data, source)
    found = [(d.code, d.location.line if d.location else 0) for d in problems]
    assert found == [(Code.UNKNOWN_KEY.code, 13)], [p.render() for p in problems]


def test_two_different_servers_of_one_name_are_a_clash(tmp_path: Path) -> None:
    text = PYTHON.replace(
        "    mcp=[search],\n", '    mcp=[search, McpServer("tickets", url="http://x")],\n'
    )
    data, _, problems = load_definition(write(tmp_path, "dagent.py", text))
    assert data is None
    assert [(d.code, d.location.line if d.location else 0) for d in problems] == [
        (Code.NAME_CLASH.code, 26)
    ]
