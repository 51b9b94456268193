"""Test kit for dagent-gen and the projects it generates.

- :class:`ScriptedModelServer` — a scripted, strictly validating OpenAI-compatible
  Chat Completions server (replies built with :func:`text`, :func:`tool_calls` /
  :func:`call`, :func:`http_error`, :func:`respond`; :func:`offline_reply` is a
  deterministic stand-in model).
- :class:`TemporalDevServer` — a real ``temporal server start-dev`` on free ports (from
  :mod:`dagent_gen.devserver`, which ``dagent-gen run`` and ``dev`` use too).
- :mod:`dagent_gen.testing.histories` — ``record_offline_run``: one run of an agent on a private
  dev server and the offline model, returned as a history for replay tests.
- ``dagent_gen.testing.pytest_plugin`` — opt-in pytest fixtures ``temporal_server`` and
  ``model_server``; enable with ``pytest_plugins = ["dagent_gen.testing.pytest_plugin"]``
  in your root ``conftest.py``.
"""

from dagent_gen.devserver import TemporalDevServer
from dagent_gen.testing.model_server import (
    Reply,
    ScriptedModelServer,
    call,
    http_error,
    respond,
    text,
    tool_calls,
)
from dagent_gen.testing.offline_model import offline_reply

__all__ = [
    "Reply",
    "ScriptedModelServer",
    "TemporalDevServer",
    "call",
    "http_error",
    "offline_reply",
    "respond",
    "text",
    "tool_calls",
]
