"""The Temporal dev server for tests: :mod:`dagent_gen.devserver`, re-exported here.

It lives outside the test kit because ``dagent-gen run`` and ``dev`` embed it too.
"""

from dagent_gen.devserver import (
    DAGENT_SEARCH_ATTRIBUTES,
    FAST_TRANSFER_QUEUE,
    TemporalDevServer,
    TemporalDevServerError,
    find_temporal_cli,
)

__all__ = [
    "DAGENT_SEARCH_ATTRIBUTES",
    "FAST_TRANSFER_QUEUE",
    "TemporalDevServer",
    "TemporalDevServerError",
    "find_temporal_cli",
]
