"""The access line's direct path writes the very line logging would, and only when the app's
own handler is the one that would write it; the handler batches access lines only."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from app.access_log import AccessLog
from app.log_handler import BatchedStderrHandler
from app.logs import build_handler, formatter
from app.request_id import RequestIdFilter, current_request_id
from app.settings import LogFormat


@pytest.fixture
def app_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[BatchedStderrHandler, io.StringIO]]:
    """The app's batched handler, writing to a buffer; `only` makes it the root's one."""
    stream = io.StringIO()
    handler = BatchedStderrHandler(lambda: stream)
    handler.addFilter(RequestIdFilter())
    monkeypatch.setattr(logging.getLogger(), "level", logging.INFO)
    yield handler, stream


def only(handler: logging.Handler, monkeypatch: pytest.MonkeyPatch) -> None:
    """The root logger with `handler` alone (pytest adds its capture handlers per test)."""
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])


def _logged(access: AccessLog, handler: BatchedStderrHandler, stream: io.StringIO) -> str:
    """What the access line looks like through logging: the same handler, one more handler
    on the logger so that the direct path stands aside."""
    spare = logging.NullHandler()
    access.logger.addHandler(spare)
    try:
        access.write("GET", "/api/{user_id}/tasks", 200, 0.001234)
    finally:
        access.logger.removeHandler(spare)
    handler.flush()
    line = stream.getvalue().splitlines()[-1]
    stream.seek(0)
    stream.truncate()
    return line


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_the_direct_line_is_the_line_logging_writes(
    app_handler: tuple[BatchedStderrHandler, io.StringIO],
    log_format: LogFormat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, stream = app_handler
    only(handler, monkeypatch)
    handler.setFormatter(formatter(log_format))
    access = AccessLog()
    token = current_request_id.set("req-42")
    # One clock for both lines: what logging's record and the direct path read.
    monkeypatch.setattr("time.time", lambda: 1_764_680_000.987654)
    monkeypatch.setattr("time.time_ns", lambda: 1_764_680_000_987_654_000)
    try:
        via_logging = _logged(access, handler, stream)
        assert access._direct_handler() is not None
        access.write("GET", "/api/{user_id}/tasks", 200, 0.001234)
        handler.flush()
        direct = stream.getvalue().splitlines()[-1]
    finally:
        current_request_id.reset(token)
    assert direct == via_logging
    if log_format == "json":
        fields = json.loads(direct)
        assert fields["duration_ms"] == 1.23 and fields["request_id"] == "req-42"
    else:
        assert direct.endswith(" INFO app.access [req-42] GET /api/{user_id}/tasks 200 1.23ms")


def test_any_other_set_up_gets_the_line_through_logging(
    app_handler: tuple[BatchedStderrHandler, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second root handler (a test capture, a shipper) sees the line with its fields."""
    handler, _ = app_handler
    only(handler, monkeypatch)
    handler.setFormatter(formatter("plain"))
    captured = io.StringIO()
    extra = build_handler("json", captured)
    logging.getLogger().addHandler(extra)
    access = AccessLog()
    assert access._direct_handler() is None
    access.write("DELETE", "/api/{user_id}/tasks/{id}", 204, 0.002)
    record = json.loads(captured.getvalue())
    assert (record["method"], record["status"], record["duration_ms"]) == ("DELETE", 204, 2.0)


def test_no_line_below_the_level(
    app_handler: tuple[BatchedStderrHandler, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, stream = app_handler
    only(handler, monkeypatch)
    handler.setFormatter(formatter("plain"))
    logging.getLogger().setLevel(logging.WARNING)
    AccessLog().write("GET", "/healthz", 200, 0.001)
    handler.flush()
    assert stream.getvalue() == ""


def test_access_lines_wait_for_the_batch_and_other_lines_do_not() -> None:
    stream = io.StringIO()
    handler = BatchedStderrHandler(lambda: stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.FLUSH_SECONDS = 0.01

    async def serve() -> list[str]:
        seen = []
        handler.write_line("access 1")
        handler.write_line("access 2")
        seen.append(stream.getvalue())  # nothing yet
        await asyncio.sleep(0.05)
        seen.append(stream.getvalue())  # the batch
        handler.write_line("access 3")
        handler.handle(logging.makeLogRecord({"msg": "server line", "levelno": logging.INFO}))
        seen.append(stream.getvalue())  # at once, after the access line before it
        return seen

    waiting, batch, ordered = asyncio.run(serve())
    assert waiting == ""
    assert batch == "access 1\naccess 2\n"
    assert ordered == "access 1\naccess 2\naccess 3\nserver line\n"


def test_outside_an_event_loop_and_at_close_nothing_waits() -> None:
    stream = io.StringIO()
    handler = BatchedStderrHandler(lambda: stream)
    handler.write_line("no loop")
    assert stream.getvalue() == "no loop\n"

    async def leave_one() -> None:
        handler.write_line("pending at exit")

    asyncio.run(leave_one())  # the loop ends before the scheduled flush
    handler.flush()  # what logging.shutdown() does at exit
    assert stream.getvalue() == "no loop\npending at exit\n"


def test_a_full_batch_is_written_without_waiting() -> None:
    stream = io.StringIO()
    handler = BatchedStderrHandler(lambda: stream)

    async def burst() -> str:
        for n in range(handler.MAX_PENDING):
            handler.write_line(f"line {n}")
        return stream.getvalue()

    assert asyncio.run(burst()).count("\n") == handler.MAX_PENDING
