"""A Mermaid diagram of a project: agents, their tools, sub-agent edges.

Printed by ``dagent-gen graph`` and written into the generated package's README.md, so a pull
request that changes the definition shows the changed picture. GitHub renders it as is.
"""

from __future__ import annotations

from dagent_gen.loop_vocabulary import WRITE_TODOS
from dagent_gen.model import ProjectModel


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
    if any(agent.planning for agent in project.agents):
        lines.append(f'    builtin_{WRITE_TODOS}{{{{"{WRITE_TODOS}<br/>built-in"}}}}:::builtin')
    for agent in project.agents:
        if agent.planning:
            lines.append(f"    agent_{agent.name} -.-> builtin_{WRITE_TODOS}")
        for tool in agent.tools:
            lines.append(f"    agent_{agent.name} --> tool_{tool.name}")
        for sub in agent.subagents:
            lines.append(f"    agent_{agent.name} ==>|delegates| agent_{sub.name}")
    lines += [
        "    classDef agent fill:#e8f0fe,stroke:#3b6fd8",
        "    classDef tool fill:#eaf7ea,stroke:#3a8f3a",
        "    classDef builtin fill:#f4f4f4,stroke:#999999",
    ]
    return "\n".join(lines) + "\n"
