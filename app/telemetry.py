"""FastAPI's native OpenTelemetry, switched on per signal only where a provider is configured.

FastAPI 0.165 asks OpenTelemetry on every request whether a tracer, meter or logger provider
has been set (an environment lookup and three provider lookups each time), and does nothing
more when none has. Under `make bench` that check alone was about 5% of a read's CPU. A
deployment that wants FastAPI's spans, metrics or logs configures its providers before the
app is built: `opentelemetry-instrument`, an extension module that sets them on import, or
`FASTAPI_OTEL_AUTO_CONFIGURE=true` (FastAPI then adds exporters at start-up). So the question
is answered once, in `create_app`, and each signal with no provider is switched off.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import _logs, metrics, trace

# The placeholders OpenTelemetry's API hands out until a provider is set; FastAPI's own
# check compares against the same three classes.
_PLACEHOLDERS = frozenset(
    {
        ("opentelemetry.trace", "ProxyTracerProvider"),
        ("opentelemetry.metrics._internal", "_ProxyMeterProvider"),
        ("opentelemetry._logs._internal", "ProxyLoggerProvider"),
    }
)


def _configured(provider: Any) -> bool:
    kind = type(provider)
    return (kind.__module__, kind.__name__) not in _PLACEHOLDERS


def native_telemetry(environ: dict[str, str] | None = None) -> TelemetryConfig:
    """FastAPI's `telemetry=` for this process: each signal on only if its provider is set now,
    and all left to FastAPI when it is told to configure exporters itself at start-up."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true":
        return {}
    return {
        "tracing": _configured(trace.get_tracer_provider()),
        "metrics": _configured(metrics.get_meter_provider()),
        "logs": _configured(_logs.get_logger_provider()),
    }
