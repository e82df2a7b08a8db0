"""FastAPI's native OpenTelemetry is switched on for exactly the signals with a provider."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from app.main import create_app
from app.settings import Settings
from app.telemetry import native_telemetry


def test_with_no_provider_every_signal_is_off() -> None:
    assert native_telemetry({}) == {"tracing": False, "metrics": False, "logs": False}


def test_a_configured_provider_switches_its_signal_on(monkeypatch: pytest.MonkeyPatch) -> None:
    class VendorTracerProvider(trace.TracerProvider):  # any provider but the placeholder
        def get_tracer(self, *args: object, **kwargs: object) -> trace.Tracer:
            return trace.NoOpTracer()

    monkeypatch.setattr(trace, "get_tracer_provider", VendorTracerProvider)
    assert native_telemetry({}) == {"tracing": True, "metrics": False, "logs": False}


def test_fastapis_own_set_up_keeps_its_defaults() -> None:
    """With FASTAPI_OTEL_AUTO_CONFIGURE FastAPI adds exporters at start-up: nothing is decided
    before it does."""
    assert native_telemetry({"FASTAPI_OTEL_AUTO_CONFIGURE": "TRUE"}) == {}


def test_the_app_is_built_with_the_decision(sqlite_url: str) -> None:
    """No provider is configured in the tests, so FastAPI's per-request check is off."""
    app = create_app(Settings(database_url=sqlite_url))
    config = app._telemetry
    assert (config["tracing"], config["metrics"], config["logs"]) == (False, False, False)
