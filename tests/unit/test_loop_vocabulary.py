"""The loop's vocabulary is named once, in ``dagent_gen.loop_vocabulary``.

The runtime cannot import ``dagent_gen`` (generated packages run without it), so its copies are
checked here; everything else must use the vocabulary module, not spell the names again.
"""

from __future__ import annotations

import re
from pathlib import Path

from dagent_gen import loop_vocabulary
from dagent_gen.runtime import loop_support, messages

ROOT = Path(__file__).resolve().parents[2]

SPELLS_IT_ITSELF = {"loop_vocabulary.py", "loop_support.py"}


def test_the_runtime_agrees_with_the_vocabulary() -> None:
    assert loop_support.WRITE_TODOS == loop_vocabulary.WRITE_TODOS
    assert messages.TODO_STATUSES == loop_vocabulary.TODO_STATUSES
    schema = loop_vocabulary.WRITE_TODOS_TOOL["function"]
    assert schema["name"] == loop_vocabulary.WRITE_TODOS
    status = schema["parameters"]["properties"]["todos"]["items"]["properties"]["status"]
    assert tuple(status["enum"]) == messages.TODO_STATUSES


def test_no_other_source_spells_a_builtin_tool_name_or_a_loop_prompt() -> None:
    """Generator modules and package templates name built-in tools and prompts through the
    vocabulary: a quoted literal of any of them elsewhere is a second source of truth."""
    words = [*loop_vocabulary.BUILTIN_TOOL_NAMES, *loop_vocabulary.LOOP_PROMPTS.values()]
    fragments = [word.split("\n")[0][:40] for word in words]
    sources = [*(ROOT / "generator" / "dagent_gen").rglob("*.py")]
    sources += (ROOT / "templates" / "package").rglob("*.j2")
    offenders = []
    for path in sources:
        if path.name in SPELLS_IT_ITSELF:
            continue
        text = path.read_text(encoding="utf-8")
        for fragment in fragments:
            if re.search(r"""["']""" + re.escape(fragment), text):
                offenders.append(f"{path.relative_to(ROOT)}: {fragment!r}")
    assert offenders == []


def test_every_loop_prompt_is_rendered_from_the_vocabulary() -> None:
    template = (ROOT / "templates/package/workflows/agent.py.j2").read_text(encoding="utf-8")
    for kind in loop_vocabulary.LOOP_PROMPTS:
        assert f"{kind.upper()}_PROMPT = {{{{ agent.prompts.{kind} | pyrepr }}}}" in template
