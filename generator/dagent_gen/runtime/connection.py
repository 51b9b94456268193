"""How the worker and the client of this package connect to Temporal: the standard way.

``temporalio.envconfig`` reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS
settings and config profiles, as every Temporal tool does; without any, a local dev server.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.envconfig import ClientConfig

DEFAULT_ADDRESS = "localhost:7233"


async def connect() -> Client:
    """A client configured from the environment / config profile."""
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return await Client.connect(**config)
