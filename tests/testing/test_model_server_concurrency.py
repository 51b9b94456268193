"""The scripted model server takes as many simultaneous connections as a busy worker opens."""

from __future__ import annotations

import asyncio

import openai

from dagent_gen.testing import ScriptedModelServer, text

CONCURRENT = 200


def test_simultaneous_requests_are_all_answered() -> None:
    """With socketserver's default listen backlog (5) most of these failed to connect."""

    async def burst(server: ScriptedModelServer) -> list[object]:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        async with client:
            return await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="scripted", messages=[{"role": "user", "content": f"hi {i}"}]
                    )
                    for i in range(CONCURRENT)
                ),
                return_exceptions=True,
            )

    with ScriptedModelServer(default=text("hello")) as server:
        results = asyncio.run(burst(server))
        assert server.violations == []
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert len(server.requests) == CONCURRENT
