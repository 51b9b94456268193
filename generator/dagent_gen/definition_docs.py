"""The key tables of docs/definition.md, generated from the fields of ``definition.py``.

``uv run --frozen python -m dagent_gen.definition_docs docs/definition.md`` rewrites the tables
between ``<!-- keys: SECTION -->`` and ``<!-- /keys -->``; a unit test fails while they are stale.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from dagent_gen.definition import (
    AgentSection,
    ContextSection,
    McpSection,
    PriceSection,
    ProjectSection,
    ToolSection,
)

SECTIONS: dict[str, type[BaseModel]] = {
    "project": ProjectSection,
    "agents": AgentSection,
    "tools": ToolSection,
    "mcp": McpSection,
    "context": ContextSection,
    "prices": PriceSection,
}
_BLOCK = re.compile(r"(<!-- keys: (\w+) -->\n).*?(<!-- /keys -->)", re.DOTALL)


def key_table(section: type[BaseModel]) -> str:
    """A Markdown table: key, type, default, meaning; required keys first."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    fields = sorted(section.model_fields.items(), key=lambda item: not item[1].is_required())
    for name, info in fields:
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if info.is_required():
            shown = "—"
        elif extra.get("shown"):
            shown = str(extra["shown"])
        else:
            shown = _toml(info.get_default(call_default_factory=True))
        rows.append(f"| `{name}` | {extra.get('kind', '')} | {shown} | {info.description} |")
    return "\n".join(rows) + "\n"


def _toml(value: Any) -> str:
    """A default as the user writes it in dagent.toml; no default is shown as a dash."""
    return "—" if value is None else f"`{json.dumps(value, ensure_ascii=False)}`"


def with_tables(text: str) -> str:
    """``text`` (docs/definition.md) with every key table regenerated."""

    def table(match: re.Match[str]) -> str:
        return match.group(1) + key_table(SECTIONS[match.group(2)]) + match.group(3)

    return _BLOCK.sub(table, text)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
