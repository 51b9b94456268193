"""Tools of the research agent: plain Python functions, typed and documented.

dagent-gen derives each tool's JSON schema from these signatures and docstrings.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel

CORPUS = {
    "temporal": "Temporal is a durable execution platform: workflows survive crashes.",
    "durable execution": "Durable execution persists each step so a run resumes after failure.",
    "deep agents": "Deep agents plan with a todo list, use tools and delegate to sub-agents.",
}


class Style(str, Enum):
    BRIEF = "brief"
    DETAILED = "detailed"


class SearchResult(BaseModel):
    topic: str
    text: str


async def web_search(query: str, max_results: int = 3) -> list[SearchResult]:
    """Search the knowledge base.

    Args:
        query: What to look for, in a few words.
        max_results: How many results to return at most.
    """
    words = query.lower()
    hits = [SearchResult(topic=k, text=v) for k, v in sorted(CORPUS.items()) if k in words]
    return hits[:max_results] or [SearchResult(topic="none", text=f"No results for {query!r}.")]


def summarize(text: str, style: Style = Style.BRIEF) -> str:
    """Summarize a text.

    Args:
        text: The text to summarize.
        style: How long the summary should be.
    """
    sentences = [s.strip() for s in text.split(".") if s.strip()]
    keep = 1 if style is Style.BRIEF else 3
    return ". ".join(sentences[:keep]) + "."
