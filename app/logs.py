"""Where log lines go and how they look: plain text for people, JSON lines for shippers.

Every line carries the request id (`RequestIdFilter`). The app's access line replaces
uvicorn's: uvicorn's logs the raw path (owner ids, query strings) and not the request id, so
it is switched off here as well as in `make serve` (`--no-access-log`), and uvicorn's other
loggers are routed through the same handler, so `LOG_FORMAT=json` makes every line JSON.
Nothing logged here carries a body, a header value or a SQL parameter: the engine hides
parameters (`hide_parameters`), and the access line names the route template, not the path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from app.log_handler import BatchedStderrHandler
from app.request_id import RequestIdFilter
from app.settings import LogFormat, Settings

HANDLER_NAME = "app"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The structured fields of an access line, passed as `extra=` and written as JSON keys, and
# its message, made of the same values in the same order.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")
ACCESS_MESSAGE = "%s %s %d %.2fms"


def json_text(
    created: float,
    level: str,
    logger: str,
    request_id: str | None,
    message: str,
    fields: Mapping[str, Any],
) -> str:
    """One JSON line: time, level, logger, request_id, message, then `fields` in order."""
    line: dict[str, Any] = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "request_id": request_id,
        "message": message,
        **fields,
    }
    return json.dumps(line, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message, and the access
    fields or the exception when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {name: record.__dict__[name] for name in ACCESS_FIELDS if name in record.__dict__}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return json_text(
            record.created,
            record.levelname,
            record.name,
            getattr(record, "request_id", None),
            record.getMessage(),
            fields,
        )


class PlainFormatter(logging.Formatter):
    """`PLAIN_FORMAT`: time, level, logger, [request id], message (and a traceback if any)."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else PlainFormatter()


def build_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `log_format` lines with request ids (to `stream`, else stderr)."""
    handler: logging.Handler = (
        BatchedStderrHandler() if stream is None else logging.StreamHandler(stream)
    )
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(log_format))
    return handler


def configure_logging(settings: Settings) -> None:
    """Install the app's handler on the root logger once; later calls update its format."""
    root = logging.getLogger()
    installed = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
    if installed:
        installed[0].setFormatter(formatter(settings.log_format))
    else:
        handler = build_handler(settings.log_format)
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic says "Context impl ..." each time /readyz reads the schema's revision.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
