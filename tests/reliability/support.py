"""Helpers shared by the reliability tests: URLs, the error envelope, one owner's rows."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import httpx

Json = dict[str, Any]

MIB = 1024 * 1024
INT64_MAX = 2**63 - 1
SERVER_ERROR = 500
TASK_KEYS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
PAGE_KEYS = {"data", "total_count", "has_more", "offset", "limit"}
LEAKS = ("Traceback", "[SQL:", "sqlalche.me", "sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")
"""Text an error body must never carry: stack traces, SQL text, driver names."""


def collection(owner: str) -> str:
    return f"/api/{owner}/tasks"


def item(owner: str, task_id: int | str) -> str:
    return f"/api/{owner}/tasks/{task_id}"


def complete_url(owner: str, task_id: int | str) -> str:
    return f"/api/{owner}/tasks/{task_id}/complete"


def timestamp(value: str) -> datetime.datetime:
    """A server timestamp: ISO-8601, in UTC, with the `Z` suffix."""
    assert isinstance(value, str) and value.endswith("Z"), value
    parsed = datetime.datetime.fromisoformat(value)
    assert parsed.utcoffset() == datetime.timedelta(0), value
    return parsed


def assert_task(task: Any) -> Json:
    """`task` has exactly the shape of a Task."""
    assert isinstance(task, dict), task
    assert set(task) == TASK_KEYS, task
    assert isinstance(task["id"], int) and task["id"] >= 1, task
    timestamp(task["created_at"])
    timestamp(task["updated_at"])
    return task


def assert_envelope(response: httpx.Response) -> Json:
    """Any 4xx or 5xx: the contract's JSON envelope; returns the inner `error` object."""
    assert response.status_code >= 400, response.text
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error: Json = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["details"], list), body
    text = response.text
    for leak in LEAKS:
        assert leak not in text, f"the error leaks {leak!r}: {text}"
    return error


def assert_error(response: httpx.Response, status: int, code: str) -> Json:
    """The envelope with this status and code."""
    assert response.status_code == status, (response.status_code, response.text)
    error = assert_envelope(response)
    assert error["code"] == code, error
    if status == 422:
        assert error["details"], "a 422 lists its problems"
        for detail in error["details"]:
            assert isinstance(detail, dict), detail
            assert isinstance(detail.get("loc"), list) and detail["loc"], detail
            assert isinstance(detail.get("message"), str) and detail["message"], detail
    return error


def assert_not_server_error(response: httpx.Response) -> None:
    """Below 500; and every error keeps the envelope."""
    assert response.status_code < SERVER_ERROR, (response.status_code, response.text)
    if response.status_code >= 400:
        assert_envelope(response)


async def create(client: httpx.AsyncClient, owner: str, **fields: Any) -> Json:
    response = await client.post(collection(owner), json={"title": "A task", **fields})
    assert response.status_code == 201, response.text
    return assert_task(response.json())


async def all_rows(client: httpx.AsyncClient, owner: str) -> list[Json]:
    """Every row of `owner` (at most 100), oldest id first."""
    response = await client.get(collection(owner), params={"limit": 100, "sort": "id"})
    assert response.status_code == 200, response.text
    page: Json = response.json()
    assert set(page) == PAGE_KEYS, page
    assert page["total_count"] == len(page["data"]), "more rows than one page holds"
    return [assert_task(row) for row in page["data"]]


def join_sqlite_worker_threads(timeout: float = 5.0) -> None:
    """Wait, while the event loop is still open, for aiosqlite's threads to finish.

    When SQLite cannot open the file, aiosqlite stops its worker thread without waiting for it;
    if the test's event loop closed first, the thread would fail handing its result back.
    """
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            thread.join(timeout)
