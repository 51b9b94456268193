"""Tools listed at run time (``runtime/discovered.py``): what the workflow offers, and how the
model activity finds the schemas from a digest, in its cache or through the workflow."""

from __future__ import annotations

import asyncio

import pytest

from dagent_gen.runtime.discovered import (
    DiscoveredTools,
    ToolSetCache,
    ToolSetUnavailableError,
    tool_set_digest,
)
from dagent_gen.runtime.messages import ListedTool

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}}


def listed(name: str, prefix: str = "") -> ListedTool:
    return ListedTool(name=name, exposed_name=prefix + name, description=name, input_schema=SCHEMA)


def test_taken_invalid_and_repeated_names_are_not_offered() -> None:
    tools = DiscoveredTools(["search", "write_todos"])
    problems = tools.add("a", [listed("search"), listed("lookup"), listed("bad name")])
    problems += tools.add("b", [listed("lookup"), listed("close")])
    assert [p.split(": ", 1)[1] for p in problems] == [
        "tool 'search' not offered: the agent has a tool of that name (set a prefix, or deny "
        "the tool)",
        "tool 'bad name' not offered: the model API accepts letters, digits, '_' and '-', at "
        "most 64 characters",
        "tool 'lookup' not offered: MCP server 'a' has a tool of that name (set a prefix, or "
        "deny the tool)",
    ]
    assert {server: [t.name for t in ts] for server, ts in tools.sets.items()} == {
        "a": ["lookup"],
        "b": ["close"],
    }
    assert tools.route("lookup") == ("a", "lookup") and tools.route("search") is None
    assert tools.available() == "search, write_todos, lookup, close"
    assert tools.missing(["a", "c"]) == ["c"]


def test_routes_use_the_name_on_the_server() -> None:
    tools = DiscoveredTools([])
    tools.add("tickets", [listed("lookup", "tk_")])
    assert tools.route("tk_lookup") == ("tickets", "lookup") and tools.route("lookup") is None


def test_a_continued_run_restores_the_same_key() -> None:
    first = DiscoveredTools(["x"])
    first.add("a", [listed("one"), listed("x")])
    first.add("b", [])
    again = DiscoveredTools(["x"])
    again.restore(first.sets)
    assert again.key == first.key and len(again.key.split()) == 2
    assert again.missing(["a", "b"]) == []


def test_the_digest_follows_what_the_model_sees() -> None:
    base = [listed("one")]
    assert tool_set_digest(base) == tool_set_digest([listed("one")])
    changed = [ListedTool(name="one", exposed_name="one", description="other", input_schema={})]
    assert tool_set_digest(changed) != tool_set_digest(base)


def test_the_cache_answers_from_memory_and_falls_back_to_the_workflow() -> None:
    cache = ToolSetCache()
    workflow = DiscoveredTools([])
    workflow.add("a", [listed("one")])
    workflow.add("b", [listed("two")])
    queries: list[int] = []

    async def fetch() -> list[list[ListedTool]]:
        queries.append(1)
        return list(workflow.sets.values())

    cache.remember([listed("one")])  # the list activity of this process
    names = asyncio.run(cache.definitions(workflow.key, fetch))
    assert [d["function"]["name"] for d in names] == ["one", "two"] and len(queries) == 1
    asyncio.run(cache.definitions(workflow.key, fetch))
    assert len(queries) == 1  # both sets are cached now

    async def stale() -> list[list[ListedTool]]:
        return [[listed("three")]]

    with pytest.raises(ToolSetUnavailableError):
        asyncio.run(ToolSetCache().definitions(workflow.key, stale))


def test_a_full_cache_forgets_the_oldest_set() -> None:
    cache = ToolSetCache(limit=1)
    first = cache.remember([listed("one")])
    cache.remember([listed("two")])

    async def nothing() -> list[list[ListedTool]]:
        return []

    with pytest.raises(ToolSetUnavailableError):
        asyncio.run(cache.definitions(first, nothing))
