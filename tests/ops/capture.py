"""Capture what the app's log handler writes, in either format, while a block runs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.logs import build_handler
from app.settings import LogFormat


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    def lines(self) -> list[str]:
        return self.text.splitlines()

    def records(self) -> list[dict[str, Any]]:
        """The JSON lines, parsed (fails if any line is not one JSON object)."""
        return [json.loads(line) for line in self.lines()]


@contextmanager
def captured_logs(log_format: LogFormat = "plain") -> Iterator[Captured]:
    """The app's handler (request-id filter and formatter) on the root logger, to a buffer."""
    stream = io.StringIO()
    handler = build_handler(log_format, stream)
    # The test's own HTTP client logs each URL it calls; only the app's lines are wanted.
    handler.addFilter(lambda record: not record.name.startswith(("httpx", "httpcore")))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
