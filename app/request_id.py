"""The request id: taken from `X-Request-ID` when it is sane, made up otherwise.

One id follows a request through every log line written while it is served (a contextvar read
by `RequestIdFilter`) and goes back to the client on the response, so a client's report and
the server's log meet on one value.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from contextvars import ContextVar

HEADER = b"x-request-id"
# Bounded, and only characters that cannot break a log line, a JSON string or a header:
# ids from proxies and tracing tools (UUIDs, `Root=1-5e..`, base64) all fit.
_SANE = re.compile(rb"[A-Za-z0-9._~:/+=@-]{1,128}")
NO_REQUEST = "-"
"""The id on log lines written outside any request (start-up, shutdown)."""

current_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The client's `X-Request-ID` if it is sane, else a new random one (32 hex digits)."""
    for name, value in headers:
        if name == HEADER:
            if _SANE.fullmatch(value):
                return value.decode("ascii")
            break
    return os.urandom(16).hex()  # as random as uuid4().hex, at a third of its cost


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record as `record.request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
