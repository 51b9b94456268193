"""A hand-edited workflow survives a rebuild and runs on the real server with the edit in effect.

The user edits the generated loop (the answer gets a signature line, and a new query reports the
steps); the definition then changes (the system prompt and a new tool). After `dagent-gen build`
merges both, the worker runs the agent: the edit is in the answer and the query, and the
generator's change (the new prompt and tool) is in the model's request.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, call, text, tool_calls

from .support import StartWorker, connect, unique, write_project

pytestmark = pytest.mark.e2e

DEFINITION = """
[project]
package = "edited_agent"

[agents.helper]
system_prompt = "You are helpful."
tools = ["shout"]
planning = false
max_steps = 5

[tools.shout]
function = "edit_tools:shout"
retries = 0
"""

TOOLS = '''
def shout(text: str) -> str:
    """Say it loudly.

    Args:
        text: What to say.
    """
    return text.upper()


def whisper(text: str) -> str:
    """Say it quietly.

    Args:
        text: What to say.
    """
    return text.lower()
'''

RUN_RETURN = '        return self._output(answer.content or "")\n'
EDITED_RETURN = (
    '        signed = (answer.content or "") + "\\n-- checked by a human edit"\n'
    "        return self._output(signed)\n"
)
QUERY_ANCHOR = '    @workflow.query(name="todos")\n'
EDITED_QUERY = (
    '    @workflow.query(name="step_count")\n'
    "    def step_count(self) -> int:\n"
    '        """Added by hand: how many model calls so far."""\n'
    "        return self._steps\n"
    "\n"
)


def test_hand_edit_survives_rebuild_and_runs(
    tmp_path: Path,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    project = write_project(tmp_path / "edited", "edited_agent", DEFINITION, {"edit_tools": TOOLS})
    workflow_file = project.root / "edited_agent" / "workflows" / "helper.py"
    source = workflow_file.read_text(encoding="utf-8")
    assert source.count(RUN_RETURN) == 1 and source.count(QUERY_ANCHOR) == 1
    workflow_file.write_text(
        source.replace(RUN_RETURN, EDITED_RETURN).replace(
            QUERY_ANCHOR, EDITED_QUERY + QUERY_ANCHOR
        ),
        encoding="utf-8",
    )

    definition = project.root / "dagent.toml"
    definition.write_text(
        DEFINITION.replace("You are helpful.", "You are helpful and brief.").replace(
            'tools = ["shout"]', 'tools = ["shout", "whisper"]'
        )
        + '\n[tools.whisper]\nfunction = "edit_tools:whisper"\nretries = 0\n',
        encoding="utf-8",
    )
    rebuilt = subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "build", str(project.root)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "edited_agent/workflows/helper.py (merged your edits)" in rebuilt.stdout
    merged = workflow_file.read_text(encoding="utf-8")
    assert EDITED_RETURN in merged and EDITED_QUERY in merged  # the edit is kept
    assert 'case "whisper":' in merged  # and the generator's change applied

    worker = start_worker(project)
    model_server.add(
        tool_calls(call("whisper", {"text": "HELLO"}), call("shout", {"text": "hi"})),
        text("hello and HI"),
    )

    async def run() -> tuple[dict[str, object], int]:
        client = await connect(temporal_server)
        handle = await client.start_workflow(
            "helper",
            {"task": "Greet"},
            id=unique("edited"),
            task_queue=worker.task_queue,
            result_type=dict,
        )
        result: dict[str, object] = await handle.result()
        steps = await handle.query("step_count", result_type=int)
        return result, steps

    result, steps = asyncio.run(run())
    assert result["answer"] == "hello and HI\n-- checked by a human edit"
    assert steps == 2
    first, second = model_server.requests
    assert first["messages"][0] == {"role": "system", "content": "You are helpful and brief."}
    assert [t["function"]["name"] for t in first["tools"]] == ["shout", "whisper"]
    tool_results = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    assert tool_results == ["hello", "HI"]
    assert model_server.violations == []


def test_hand_edited_system_prompt_survives_rebuild_and_reaches_the_model(
    tmp_path: Path,
    temporal_server: TemporalDevServer,
    model_server: ScriptedModelServer,
    start_worker: StartWorker,
) -> None:
    """Every prompt lives in the merged workflow module: the system prompt is edited there (not
    in the managed agents.py), kept by a rebuild that changes the definition, and sent."""
    project = write_project(tmp_path / "prompt", "edited_agent", DEFINITION, {"edit_tools": TOOLS})
    workflow_file = project.root / "edited_agent" / "workflows" / "helper.py"
    source = workflow_file.read_text(encoding="utf-8")
    generated_prompt = 'SYSTEM_PROMPT = "You are helpful."\n'
    assert source.count(generated_prompt) == 1
    assert "You are helpful." not in (project.root / "edited_agent" / "agents.py").read_text()
    edited_prompt = 'SYSTEM_PROMPT = "You are helpful. Answer in French (a hand edit)."\n'
    workflow_file.write_text(source.replace(generated_prompt, edited_prompt), encoding="utf-8")

    definition = project.root / "dagent.toml"
    definition.write_text(
        DEFINITION.replace('tools = ["shout"]', 'tools = ["shout", "whisper"]')
        + '\n[tools.whisper]\nfunction = "edit_tools:whisper"\nretries = 0\n',
        encoding="utf-8",
    )
    rebuilt = subprocess.run(
        [sys.executable, "-m", "dagent_gen.cli", "build", str(project.root)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    merged = workflow_file.read_text(encoding="utf-8")
    assert edited_prompt in merged and 'case "whisper":' in merged

    worker = start_worker(project)
    model_server.add(text("Bonjour"))

    async def run() -> dict[str, object]:
        client = await connect(temporal_server)
        result: dict[str, object] = await client.execute_workflow(
            "helper",
            {"task": "Greet"},
            id=unique("prompt"),
            task_queue=worker.task_queue,
            result_type=dict,
        )
        return result

    assert asyncio.run(run())["answer"] == "Bonjour"
    (request,) = model_server.requests
    assert request["messages"][0] == {
        "role": "system",
        "content": "You are helpful. Answer in French (a hand edit).",
    }
    assert model_server.violations == []
