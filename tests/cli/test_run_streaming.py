"""`dagent-gen run` on an agent with ``stream = true``: the reply's text is printed as it comes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dagent_gen.testing import Reply, ScriptedModelServer, TemporalDevServer, call, text, tool_calls

CLI = [sys.executable, "-m", "dagent_gen.cli"]
DEFINITION = """
[project]
package = "chatty_agent"

[agents.chatty]
system_prompt = "You think aloud."
planning = false
stream = true
tools = ["note"]

[tools.note]
function = "chatty_tools:note"
"""
TOOLS = '''
def note(text: str) -> str:
    """Take a note.

    Args:
        text: The note.
    """
    return "noted"
'''
ANSWER = "Streaming works: " + " ".join(f"token{i}" for i in range(12)) + "."


@pytest.mark.e2e
def test_run_prints_the_streamed_text(tmp_path: Path, temporal_server: TemporalDevServer) -> None:
    (tmp_path / "dagent.toml").write_text(textwrap.dedent(DEFINITION).lstrip())
    (tmp_path / "chatty_tools.py").write_text(textwrap.dedent(TOOLS).lstrip())
    script: list[Reply] = [
        tool_calls(call("note", {"text": "x"}), content="First a note.", chunk_delay=0.05),
        text(ANSWER, chunk_delay=0.1),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TEMPORAL_"))}
    with ScriptedModelServer(script) as model:
        env.update(
            TEMPORAL_ADDRESS=temporal_server.address,
            OPENAI_BASE_URL=model.base_url,
            OPENAI_API_KEY="sk-test",
        )
        result = subprocess.run(
            [*CLI, "run", str(tmp_path), "Think aloud."],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        assert model.violations == []
        assert all(request.get("stream") is True for request in model.requests)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ANSWER
    lines = result.stderr.splitlines()
    assert "First a note." in lines
    assert ANSWER in lines  # the whole reply, once, on its own line
    assert "says:" not in result.stderr  # the streamed text replaces the one-line excerpt
    assert any(line.startswith("→ note(") for line in lines)
