"""OpenTelemetry tracing of the worker, opt-in: ``DAGENT_TRACING=1``.

Off by default, and then nothing here imports OpenTelemetry (an optional dependency: the
project's ``tracing`` extra, ``opentelemetry-sdk``). On, the worker runs with Temporal's
``TracingInterceptor``: a span per workflow run, per activity (each model call, each tool) and
per signal, query and update, linked to the client's span when the client traces too.

Where spans go is OpenTelemetry's standard configuration: a tracer provider that is already set
(e.g. by ``opentelemetry-instrument python -m PACKAGE.worker``) is used as it is; otherwise one
is made from ``OTEL_TRACES_EXPORTER``: ``otlp`` (the default; needs
``opentelemetry-exporter-otlp``, configured by the ``OTEL_EXPORTER_OTLP_*`` variables) or
``console`` (JSON lines on stdout). ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` name
the worker.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from temporalio.worker import Interceptor

TRACING_ENV = "DAGENT_TRACING"
EXPORTER_ENV = "OTEL_TRACES_EXPORTER"
_OFF = ("", "0", "false", "no", "off")


class TracingSetupError(Exception):
    """Tracing is on but cannot work (a package is missing, an unknown exporter)."""


def tracing_enabled() -> bool:
    return os.environ.get(TRACING_ENV, "").strip().lower() not in _OFF


def tracing_interceptors() -> list[Interceptor]:
    """``[TracingInterceptor()]`` when ``DAGENT_TRACING`` is on, else ``[]``."""
    if not tracing_enabled():
        return []
    # imported by name: OpenTelemetry is optional, type checkers of projects without it pass
    try:
        trace = importlib.import_module("opentelemetry.trace")
        sdk = importlib.import_module("opentelemetry.sdk.trace")
        contrib = importlib.import_module("temporalio.contrib.opentelemetry")
    except ImportError as err:
        raise TracingSetupError(
            f"{TRACING_ENV} is set but OpenTelemetry is not installed ({err.name} is missing): "
            "install the project's `tracing` extra (opentelemetry-sdk)"
        ) from None
    if not isinstance(trace.get_tracer_provider(), sdk.TracerProvider):
        trace.set_tracer_provider(_provider(sdk))
    # workflow spans also when the starting client does not trace (a UI, the temporal CLI)
    interceptor: Interceptor = contrib.TracingInterceptor(always_create_workflow_spans=True)
    return [interceptor]


def _provider(sdk: Any) -> Any:
    export = importlib.import_module("opentelemetry.sdk.trace.export")
    provider = sdk.TracerProvider()  # reads OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES
    exporter = os.environ.get(EXPORTER_ENV, "").strip().lower() or "otlp"
    if exporter == "console":
        provider.add_span_processor(export.SimpleSpanProcessor(export.ConsoleSpanExporter()))
    elif exporter == "otlp":
        provider.add_span_processor(export.BatchSpanProcessor(_otlp_exporter()))
    elif exporter != "none":
        raise TracingSetupError(f"{EXPORTER_ENV}={exporter!r}: use otlp, console or none")
    return provider


def _otlp_exporter() -> Any:
    # imported by name: the OTLP exporter is optional, and type checkers need not know it
    for module in (
        "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    ):
        try:
            return importlib.import_module(module).OTLPSpanExporter()
        except ImportError:
            continue
    raise TracingSetupError(
        f"{EXPORTER_ENV} is otlp (the default) but no OTLP exporter is installed: "
        f"add opentelemetry-exporter-otlp, or set {EXPORTER_ENV}=console"
    )
