"""Stand-in for the ``agents.py`` every build writes: it lets the runtime type-check and be
unit-tested here. Not copied into generated packages."""

from __future__ import annotations

from .agent_spec import AgentSpec

TASK_QUEUE = "dagent-gen-runtime"

AGENTS: dict[str, AgentSpec] = {}
