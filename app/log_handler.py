"""The app's log handler: lines to stderr, written in batches while the event loop runs."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from typing import TextIO


class BatchedStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time (test runners swap it), like
    `logging.lastResort`; access lines in batches.

    stderr is line-buffered, so one write per line means one `write` system call per request
    for the access line alone: under `make bench` that was about a tenth of a read's CPU
    (docs/decisions.md). Access lines (`write_line`, from app/access_log.py) written in a
    running event loop wait at most `FLUSH_SECONDS` (or `MAX_PENDING` lines) and go out
    together. Every other line, a record of any logger at any level, is written at once,
    after the access lines before it, so order is kept and a server's last words (uvicorn
    re-raises SIGTERM after its shutdown lines, skipping `atexit`) are never held back.
    `logging.shutdown()` flushes what is left at a normal exit; a process killed outright
    loses at most `FLUSH_SECONDS` of access lines.
    """

    FLUSH_SECONDS = 0.05
    MAX_PENDING = 256

    def __init__(self, stream: Callable[[], TextIO] | None = None) -> None:
        logging.Handler.__init__(self)
        self._stream = stream or (lambda: sys.stderr)
        self._pending: list[str] = []
        self._flush_on: asyncio.AbstractEventLoop | None = None

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return self._stream()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._pending.append(line)
        self.flush()

    def write_line(self, line: str) -> None:
        """Queue one access line (formatted by app/access_log.py) for the next batch."""
        self.acquire()
        try:
            self._pending.append(line)
            if len(self._pending) >= self.MAX_PENDING or not self._flush_soon():
                self.flush()
        finally:
            self.release()

    def _flush_soon(self) -> bool:
        """Schedule a flush on the running loop (once); False when there is no loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._flush_on is not loop:  # none pending, or pending on a loop now gone
            loop.call_later(self.FLUSH_SECONDS, self._scheduled_flush, loop)
            self._flush_on = loop
        return True

    def _scheduled_flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self.acquire()
        try:
            if self._flush_on is loop:
                self._flush_on = None
            self.flush()
        finally:
            self.release()

    def flush(self) -> None:
        self.acquire()
        try:
            if self._pending:
                lines = "\n".join(self._pending) + "\n"
                self._pending.clear()
                stream = self.stream
                try:
                    stream.write(lines)
                    stream.flush()
                except Exception:  # a closed or broken stderr: drop, as logging would
                    pass
        finally:
            self.release()


__all__ = ["BatchedStderrHandler"]
