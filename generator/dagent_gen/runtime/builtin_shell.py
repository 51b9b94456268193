"""Activity body of the built-in shell tool ``execute(command)``.

One ``execute`` activity serves every agent with a shell: it looks up the calling agent's
``ShellConfig`` by the workflow type (the agent's name). A command the tool will not run
(``ShellToolError``) is returned as ``Error: ...`` text, an observation for the model. The body
heartbeats while the command runs, so cancelling the activity kills the command's process group.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity

from .shell import ShellConfig
from .shell import ShellToolError
from .shell import execute_activity_body
from .tool_support import arguments_adapter
from .tool_support import to_observation
from .tool_support import validate_arguments

HEARTBEAT_TIMEOUT_SECONDS = 30.0
GRACE_SECONDS = 15.0  # start-to-close = the command's timeout + this (kill grace, output drain)


def _execute(command: str) -> None: ...


ARGUMENTS = arguments_adapter(_execute)


async def shell_call(configs: dict[str, ShellConfig], arguments: dict[str, Any]) -> str:
    """Run the model's command for the agent whose workflow called this activity."""
    values = validate_arguments("execute", ARGUMENTS, arguments)
    agent = activity.info().workflow_type if activity.in_activity() else ""
    config = configs.get(agent or "")
    if config is None:
        return to_observation("Error: the tool 'execute' is not enabled for this agent.")
    try:
        text = await execute_activity_body(config, values["command"])
    except ShellToolError as err:
        text = f"Error: {err}"
    return to_observation(text, config.max_output_chars + 200)
