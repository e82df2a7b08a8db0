"""The access line: one per request, so the one log line whose cost shows in throughput.

Through `logging`, each access line built a `LogRecord`, looked up its caller, ran the
request-id filter and the formatter: about 50 us of CPU per request under load, a sixth of a
read (docs/decisions.md). When the app's own handler is the only one that would see the line
(`configure_logging`'s set-up: no handler, filter or stop on `app.access` or the loggers above
it, and one app handler on the root), `AccessLog` writes the very line that handler would
format, in the same batch, without the record. Under any other set-up (a test capturing
lines, a deployment adding its own handlers) the line is logged as any other, so whatever
was configured sees it with its fields (`method`, `route`, `status`, `duration_ms`).
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from app.log_handler import BatchedStderrHandler
from app.logs import ACCESS_FIELDS, ACCESS_MESSAGE, JsonFormatter, PlainFormatter, json_text
from app.request_id import RequestIdFilter, current_request_id

ACCESS_LOGGER = "app.access"


class AccessLog:
    """Writes `METHOD /route/template STATUS 1.23ms` for each answered request."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)
        self._second = -1
        self._date = ""

    def write(self, method: str, route: str, status: int, seconds: float) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        values = (method, route, status, round(seconds * 1000, 2))
        direct = self._direct_handler()
        if direct is None:
            logger.info(
                ACCESS_MESSAGE, *values, extra=dict(zip(ACCESS_FIELDS, values, strict=True))
            )
            return
        handler, kind = direct
        message = ACCESS_MESSAGE % values
        created = time.time()
        request_id = current_request_id.get()
        if kind == "json":
            fields = dict(zip(ACCESS_FIELDS, values, strict=True))
            handler.write_line(json_text(created, "INFO", logger.name, request_id, message, fields))
        else:
            stamp = self._asctime(handler, created)
            handler.write_line(f"{stamp} INFO {logger.name} [{request_id}] {message}")

    def _direct_handler(
        self,
    ) -> tuple[BatchedStderrHandler, Literal["json", "plain"]] | None:
        """The app's handler and its format, if it alone would write this logger's lines."""
        logger: logging.Logger | None = self.logger
        while logger is not None and logger is not logging.root:
            if logger.handlers or not logger.propagate or logger.disabled:
                return None
            if logger is self.logger and logger.filters:
                return None
            logger = logger.parent
        handlers = logging.root.handlers
        if len(handlers) != 1:
            return None
        handler = handlers[0]
        if not isinstance(handler, BatchedStderrHandler) or handler.level > logging.INFO:
            return None
        if not all(isinstance(found, RequestIdFilter) for found in handler.filters):
            return None
        formatter = handler.formatter
        if type(formatter) is JsonFormatter:
            return handler, "json"
        if type(formatter) is PlainFormatter and formatter.datefmt is None:
            return handler, "plain"
        return None

    def _asctime(self, handler: BatchedStderrHandler, created: float) -> str:
        """`%(asctime)s` as `logging.Formatter.formatTime` writes it; the date part is
        formatted once per second."""
        formatter = handler.formatter
        assert formatter is not None
        second = int(created)
        if second != self._second:
            self._date = time.strftime(formatter.default_time_format, formatter.converter(created))
            self._second = second
        msecs = int((created - second) * 1000)
        return formatter.default_msec_format % (self._date, msecs)  # type: ignore[operator]
