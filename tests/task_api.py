"""The one set of helpers the hand-written tests of the Task API share.

What any resource's tests need (URLs, create and list calls, the error envelope) comes from the
generated `generated/tests/_contract.py`; this module adds what is Task's own: its shape, its
`/complete` extension and the checks that every error path of the Task routes must pass.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from typing import Any

import httpx

from generated.tests._contract import (
    PAGE_KEYS,
    Json,
    ResourceApi,
    assert_envelope,
    assert_error,
)

__all__ = [
    "INT64_MAX",
    "MIB",
    "PAGE_KEYS",
    "TASKS",
    "Json",
    "all_rows",
    "assert_envelope",
    "assert_error",
    "assert_not_server_error",
    "assert_task",
    "assert_validation_error",
    "collection",
    "complete_url",
    "create",
    "item",
    "read",
    "tick",
    "timestamp",
]

TASKS = ResourceApi("/api/{owner}/tasks")
MIB = 1024 * 1024
INT64_MAX = 2**63 - 1
TASK_KEYS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


def collection(owner: str) -> str:
    return TASKS.collection(owner)


def item(owner: str, task_id: int | str) -> str:
    return TASKS.item(owner, task_id)


def complete_url(owner: str, task_id: int | str) -> str:
    """The hand-written extension's URL for one task."""
    return f"{item(owner, task_id)}/complete"


def timestamp(value: Any) -> datetime.datetime:
    """A server timestamp, asserting its form: ISO-8601, in UTC, ending in `Z`."""
    assert isinstance(value, str) and _TIMESTAMP.match(value), value
    parsed = datetime.datetime.fromisoformat(value)
    assert parsed.utcoffset() == datetime.timedelta(0), value
    return parsed


def assert_task(task: Any) -> Json:
    """`task` has exactly the shape of a Task."""
    assert isinstance(task, dict), task
    assert set(task) == TASK_KEYS, task
    assert isinstance(task["id"], int) and not isinstance(task["id"], bool), task
    assert task["id"] >= 1, task
    assert isinstance(task["title"], str), task
    assert task["description"] is None or isinstance(task["description"], str), task
    assert isinstance(task["completed"], bool), task
    timestamp(task["created_at"])
    timestamp(task["updated_at"])
    return task


async def create(client: httpx.AsyncClient, owner: str, **fields: Any) -> Json:
    """A new task of `owner` ("A task" unless `fields` say otherwise), asserting the 201."""
    return assert_task(await TASKS.create(client, owner, {"title": "A task", **fields}))


async def read(client: httpx.AsyncClient, owner: str, task_id: int) -> Json:
    response = await client.get(item(owner, task_id))
    assert response.status_code == 200, response.text
    return assert_task(response.json())


async def all_rows(client: httpx.AsyncClient, owner: str) -> list[Json]:
    """Every row of `owner` (at most 100), oldest id first."""
    page = await TASKS.list_rows(client, owner, {"limit": 100, "sort": "id"})
    assert page["total_count"] == len(page["data"]), "more rows than one page holds"
    return [assert_task(row) for row in page["data"]]


def assert_validation_error(response: httpx.Response, *location: str | int) -> Json:
    """422 `validation_error` whose details name `location` (a prefix of some detail's loc)."""
    error = assert_error(response, 422, "validation_error")
    if location:
        locations = [tuple(detail["loc"][: len(location)]) for detail in error["details"]]
        assert tuple(location) in locations, error["details"]
    return error


def assert_not_server_error(response: httpx.Response) -> None:
    """Below 500; and every error keeps the envelope."""
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert_envelope(response)


async def tick() -> None:
    """Let the server clock move, so the next write gets a later `updated_at`."""
    await asyncio.sleep(0.002)
