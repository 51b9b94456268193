"""A Mermaid diagram of a project: agents, their tools, sub-agent edges, built-in tools
(filesystem, shell) and skills.

Printed by ``dagent-gen graph`` and written into the generated package's README.md, so a pull
request that changes the definition shows the changed picture. GitHub renders it as is.
"""

from __future__ import annotations

from dagent_gen.loop_vocabulary import WRITE_TODOS
from dagent_gen.model import AgentModel, ProjectModel, ToolModel


def _label(text: str) -> str:
    return text.replace('"', "'")


def mermaid(project: ProjectModel) -> str:
    lines = ["flowchart LR"]
    for agent in project.agents:
        traits = [agent.model]
        traits.append("plans" if agent.planning else "tool loop")
        traits.append(f"max {agent.max_steps} steps")
        label = f"{agent.name}<br/>{' · '.join(traits)}"
        lines.append(f'    agent_{agent.name}["{_label(label)}"]:::agent')
    for tool in project.tools:
        kind = "async" if tool.is_async else "thread pool"
        if tool.approval:  # the run waits for a human decision before each call
            kind += " · needs approval"
        lines.append(f'    tool_{tool.name}(["{tool.name}<br/>{kind}"]):::tool')
    for server in project.mcp_servers:
        count = sum(1 for tool in project.mcp_tools if tool.server.name == server.name)
        tools = "tools listed at run time" if server.runtime else f"{count} tools"
        label = f"{server.name}<br/>MCP · {tools}"
        lines.append(f'    mcp_{server.module_name}[("{_label(label)}")]:::mcp')
    if any(agent.planning for agent in project.agents):
        lines.append(f'    builtin_{WRITE_TODOS}{{{{"{WRITE_TODOS}<br/>built-in"}}}}:::builtin')
    for agent in project.agents:
        if agent.planning:
            lines.append(f"    agent_{agent.name} -.-> builtin_{WRITE_TODOS}")
        for used in agent.tools:
            if isinstance(used, ToolModel):  # built-ins are drawn per agent, below
                lines.append(f"    agent_{agent.name} --> tool_{used.name}")
        modules = {tool.server.module_name for tool in agent.mcp_tools}
        modules |= {server.module_name for server in agent.runtime_mcp}
        for module in sorted(modules):
            lines.append(f"    agent_{agent.name} --> mcp_{module}")
        for sub in agent.subagents:
            lines.append(f"    agent_{agent.name} ==>|delegates| agent_{sub.name}")
        lines += _toolkit_nodes(agent)
    lines += [
        "    classDef agent fill:#e8f0fe,stroke:#3b6fd8",
        "    classDef tool fill:#eaf7ea,stroke:#3a8f3a",
        "    classDef builtin fill:#f4f4f4,stroke:#999999",
    ]
    if any(agent.skills for agent in project.agents):
        lines.append("    classDef skill fill:#fff4e0,stroke:#c98a1b")
    if project.mcp_servers:
        lines.append("    classDef mcp fill:#fdf3e6,stroke:#c77d1a")
    return "\n".join(lines) + "\n"


def _toolkit_nodes(agent: AgentModel) -> list[str]:
    """The agent's own filesystem, shell and skill nodes (settings differ per agent)."""
    lines: list[str] = []
    if agent.filesystem is not None:
        fs = agent.filesystem
        mode = "read-only" if fs.read_only else "read-write"
        label = _label(f"filesystem {fs.root}<br/>{mode} · {', '.join(fs.tools)}")
        lines.append(f'    fs_{agent.name}[("{label}")]:::builtin')
        lines.append(f"    agent_{agent.name} --> fs_{agent.name}")
    if agent.shell is not None:
        label = _label(
            f"execute (shell) in {agent.shell.root}<br/>timeout {agent.shell.timeout:g}s"
        )
        lines.append(f'    shell_{agent.name}[/"{label}"/]:::builtin')
        lines.append(f"    agent_{agent.name} --> shell_{agent.name}")
    for index, skill in enumerate(agent.skills, 1):
        node = f"skill_{agent.name}_{index}"
        where = skill.path or "bundle"
        lines.append(f'    {node}>"skill {_label(skill.name)}<br/>{_label(where)}"]:::skill')
        lines.append(f"    agent_{agent.name} -.-o {node}")
    return lines
