"""The opt-in pytest plugin provides working ``model_server`` and ``temporal_server`` fixtures."""

from __future__ import annotations

import asyncio

import openai
import pytest
from temporalio.client import Client

from dagent_gen.testing import ScriptedModelServer, TemporalDevServer, text

pytest_plugins = ["dagent_gen.testing.pytest_plugin"]


def test_model_server_fixture(model_server: ScriptedModelServer) -> None:
    model_server.add(text("from the fixture"))
    client = openai.OpenAI(base_url=model_server.base_url, api_key="test", max_retries=0)
    completion = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "from the fixture"
    assert model_server.violations == []


@pytest.mark.e2e
def test_temporal_server_fixture(temporal_server: TemporalDevServer) -> None:
    async def describe() -> str:
        client = await Client.connect(temporal_server.address)
        return client.namespace

    assert asyncio.run(describe()) == "default"
    assert temporal_server.pid is not None
