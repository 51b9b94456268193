"""The runtime of every generated package, as ordinary, tested Python modules.

``dagent-gen build`` copies these modules verbatim (behind a one-line header) into each generated
package; see ``RUNTIME_MODULES``. They import each other relatively and never import
``dagent_gen``, so the generated package runs without dagent-gen installed. ``agents.py`` here
is a stand-in for type checking and tests: every build writes the project's own ``agents.py``.
"""

from __future__ import annotations

RUNTIME_MODULES = (
    "agent_spec.py",
    "approval.py",
    "budget.py",
    "connection.py",
    "conversation.py",
    "discovered.py",
    "inbox.py",
    "llm.py",
    "loop_support.py",
    "messages.py",
    "structured_output.py",
    "tool_support.py",
    "tracing.py",
    "stream_assembly.py",
    "text_stream.py",
    "progress.py",
)
"""The modules copied into each generated package (``agents.py`` is not: builds write it)."""

FILESYSTEM_MODULES = (
    "builtin_filesystem.py",
    "confined_paths.py",
    "file_search.py",
    "file_text.py",
    "filesystem.py",
)
"""Copied into packages where an agent has filesystem tools or memory files."""

SHELL_MODULES = ("builtin_shell.py", "shell.py", "shell_allow.py", "shell_process.py")
"""Copied into packages where an agent has the shell tool."""

MCP_RUNTIME_MODULES = ("mcp_activities.py", "mcp_client.py", "mcp_config.py", "mcp_sessions.py")
"""Copied only into packages whose agents use MCP servers (they need the ``mcp`` package)."""

CONTEXT_MODULES = ("context.py",)
"""Copied into packages where an agent has ``[agents.NAME.context]`` (context management)."""

SEARCH_ATTRIBUTE_MODULES = ("search_attributes.py",)
"""Copied into packages whose project sets ``search_attributes = true``."""
