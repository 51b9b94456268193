"""The worker's tracing switch: off by default, clear errors when it cannot work."""

from __future__ import annotations

import opentelemetry.sdk.trace as sdk_trace
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from dagent_gen.runtime import tracing


@pytest.mark.parametrize("value", ["", "0", "false", "OFF", " no "])
def test_off_values_give_no_interceptor(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tracing.TRACING_ENV, value)
    assert tracing.tracing_interceptors() == []


def test_unset_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tracing.TRACING_ENV, raising=False)
    assert not tracing.tracing_enabled()


def test_console_exporter_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tracing.EXPORTER_ENV, "console")
    provider = tracing._provider(sdk_trace)
    assert isinstance(provider, TracerProvider)
    processors = provider._active_span_processor._span_processors
    assert [type(p) for p in processors] == [SimpleSpanProcessor]


def test_an_unknown_exporter_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tracing.EXPORTER_ENV, "zipkin-ish")
    with pytest.raises(tracing.TracingSetupError, match="use otlp, console or none"):
        tracing._provider(sdk_trace)


def test_otlp_without_its_exporter_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(tracing.EXPORTER_ENV, "otlp")

    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr("importlib.import_module", missing)
    with pytest.raises(tracing.TracingSetupError, match="opentelemetry-exporter-otlp"):
        tracing._otlp_exporter()
