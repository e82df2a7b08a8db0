"""Every operation of the Task contract, on each database: shapes, defaults, sorting and paging.

Ties on the sort keys cannot be produced on demand through the API (timestamps come from the
server clock), so the sorting tests insert a few rows with identical timestamps straight into
the table and read them back through the API.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from generated.models.task import Task
from tests.api.tasks import Json, collection, create, item, read

pytestmark = pytest.mark.anyio


TASK_KEYS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
PAGE_KEYS = {"data", "total_count", "has_more", "offset", "limit"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
SORTS = (
    "id",
    "-id",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "title",
    "-title",
)
SPEC_DESCRIPTION = "A to-do item that belongs to one user."
FIXED_TIME = datetime.datetime(2020, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)


def timestamp(value: Any) -> datetime.datetime:
    """Parse a timestamp of the API, asserting its form: ISO-8601, UTC, ending in `Z`."""
    assert isinstance(value, str), value
    assert TIMESTAMP.match(value), value
    parsed = datetime.datetime.fromisoformat(value)
    assert parsed.utcoffset() == datetime.timedelta(0)
    return parsed


def assert_task_shape(task: Json, owner: str) -> None:
    assert set(task) == TASK_KEYS
    assert isinstance(task["id"], int) and not isinstance(task["id"], bool)
    assert task["id"] >= 1
    assert task["user_id"] == owner
    assert isinstance(task["title"], str)
    assert task["description"] is None or isinstance(task["description"], str)
    assert isinstance(task["completed"], bool)
    timestamp(task["created_at"])
    timestamp(task["updated_at"])


async def list_page(client: httpx.AsyncClient, owner: str, **params: str | int) -> Json:
    response = await client.get(collection(owner), params=params)
    assert response.status_code == 200, response.text
    page: Json = response.json()
    assert set(page) == PAGE_KEYS
    for task in page["data"]:
        assert_task_shape(task, owner)
    return page


def ids(page: Json) -> list[int]:
    return [task["id"] for task in page["data"]]


async def tick() -> None:
    """Let the server clock move, so the next write gets a later `updated_at`."""
    await asyncio.sleep(0.002)


def sort_key(sort: str) -> Callable[[Json], tuple[Any, int]]:
    field = sort.removeprefix("-")

    def key(task: Json) -> tuple[Any, int]:
        value = task[field]
        if field in ("created_at", "updated_at"):
            value = timestamp(value)
        return (value, task["id"])

    return key


def expected_ids(tasks: list[Json], sort: str) -> list[int]:
    """The contract's order: by the key, ties by id in the same direction."""
    ordered = sorted(tasks, key=sort_key(sort), reverse=sort.startswith("-"))
    return [task["id"] for task in ordered]


async def insert_rows(app: FastAPI, owner: str, titles: list[str]) -> None:
    """Rows with identical timestamps, written directly: the API cannot make ties on demand."""
    rows = [
        {
            "user_id": owner,
            "title": title,
            "description": None,
            "completed": False,
            "created_at": FIXED_TIME,
            "updated_at": FIXED_TIME,
        }
        for title in titles
    ]
    async with app.state.database.engine.connect() as conn:
        await conn.execute(insert(Task), rows)
        await conn.commit()


async def mixed_rows(app: FastAPI, client: httpx.AsyncClient, owner: str) -> list[Json]:
    """Seven rows with ties on every sort key, mixed case titles, and updates out of order."""
    await insert_rows(app, owner, ["b", "B", "b", "a"])
    for title in ("Zeta", "alpha", "b"):
        await create(client, owner, title=title)
        await tick()
    everything = await list_page(client, owner, limit=100, sort="id")
    first_id = everything["data"][0]["id"]
    # Move one of the tied rows to the latest updated_at, away from its created_at order.
    response = await client.patch(item(owner, first_id), json={"description": "touched"})
    assert response.status_code == 200, response.text
    page = await list_page(client, owner, limit=100, sort="id")
    assert page["total_count"] == 7
    data: list[Json] = page["data"]
    return data


# --- list -----------------------------------------------------------------------------------


async def test_empty_list_has_the_envelope_and_defaults(
    client: httpx.AsyncClient, owner: str
) -> None:
    response = await client.get(collection(owner))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "data": [],
        "total_count": 0,
        "has_more": False,
        "offset": 0,
        "limit": 20,
    }


async def test_list_returns_at_most_20_rows_by_default(
    client: httpx.AsyncClient, owner: str
) -> None:
    for number in range(21):
        await create(client, owner, title=f"task {number}")
    page = await list_page(client, owner)
    assert len(page["data"]) == 20
    assert page["total_count"] == 21
    assert page["has_more"] is True
    assert page["offset"] == 0
    assert page["limit"] == 20


async def test_list_echoes_offset_and_limit(client: httpx.AsyncClient, owner: str) -> None:
    for number in range(3):
        await create(client, owner, title=f"task {number}")
    page = await list_page(client, owner, offset=1, limit=1)
    assert page["offset"] == 1
    assert page["limit"] == 1
    assert len(page["data"]) == 1
    assert page["total_count"] == 3
    assert page["has_more"] is True


async def test_list_accepts_the_limit_bounds(client: httpx.AsyncClient, owner: str) -> None:
    await create(client, owner)
    await create(client, owner)
    smallest = await list_page(client, owner, limit=1)
    assert len(smallest["data"]) == 1
    assert smallest["has_more"] is True
    largest = await list_page(client, owner, limit=100)
    assert largest["limit"] == 100
    assert len(largest["data"]) == 2
    assert largest["has_more"] is False


async def test_list_sorts_newest_first_by_default(client: httpx.AsyncClient, owner: str) -> None:
    created = []
    for number in range(3):
        created.append(await create(client, owner, title=f"task {number}"))
        await tick()
    page = await list_page(client, owner)
    assert ids(page) == [task["id"] for task in reversed(created)]
    explicit = await list_page(client, owner, sort="-created_at")
    assert ids(explicit) == ids(page)


async def test_default_sort_breaks_created_at_ties_by_id_descending(
    app: FastAPI, client: httpx.AsyncClient, owner: str
) -> None:
    await insert_rows(app, owner, ["one", "two", "three"])
    page = await list_page(client, owner)
    assert len(page["data"]) == 3
    assert ids(page) == sorted(ids(page), reverse=True)


@pytest.mark.parametrize("sort", SORTS)
async def test_list_sorts_by_each_sortable_key_with_id_tie_break(
    app: FastAPI, client: httpx.AsyncClient, owner: str, sort: str
) -> None:
    rows = await mixed_rows(app, client, owner)
    page = await list_page(client, owner, sort=sort, limit=100)
    assert ids(page) == expected_ids(rows, sort)


async def test_title_sorts_by_code_point_on_every_database(
    client: httpx.AsyncClient, owner: str
) -> None:
    titles = ["b", "B", "a", "Zeta", "alpha", "é", "_x", "10", "9"]
    for title in titles:
        await create(client, owner, title=title)
    ascending = await list_page(client, owner, sort="title", limit=100)
    assert [task["title"] for task in ascending["data"]] == sorted(titles)
    descending = await list_page(client, owner, sort="-title", limit=100)
    assert [task["title"] for task in descending["data"]] == sorted(titles, reverse=True)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_paging_is_stable_for_every_sort(
    app: FastAPI, client: httpx.AsyncClient, owner: str, sort: str, limit: int
) -> None:
    rows = await mixed_rows(app, client, owner)
    whole = ids(await list_page(client, owner, sort=sort, limit=100))
    paged: list[int] = []
    offset = 0
    while True:
        page = await list_page(client, owner, sort=sort, limit=limit, offset=offset)
        assert page["total_count"] == len(rows)
        assert page["offset"] == offset
        assert page["limit"] == limit
        paged.extend(ids(page))
        offset += limit
        assert page["has_more"] is (offset < len(rows))
        if not page["has_more"]:
            break
    assert paged == whole
    assert sorted(paged) == sorted(row["id"] for row in rows)


@pytest.mark.parametrize("value", [True, False])
async def test_list_filters_on_completed(
    client: httpx.AsyncClient, owner: str, value: bool
) -> None:
    for number in range(3):
        await create(client, owner, title=f"done {number}", completed=True)
    for number in range(2):
        await create(client, owner, title=f"open {number}", completed=False)
    page = await list_page(client, owner, completed=str(value).lower())
    expected = 3 if value else 2
    assert page["total_count"] == expected
    assert len(page["data"]) == expected
    assert all(task["completed"] is value for task in page["data"])
    everything = await list_page(client, owner)
    assert everything["total_count"] == 5


async def test_filtered_list_pages_and_counts_only_matching_rows(
    client: httpx.AsyncClient, owner: str
) -> None:
    for number in range(3):
        await create(client, owner, title=f"done {number}", completed=True)
    await create(client, owner, title="open", completed=False)
    page = await list_page(client, owner, completed="true", limit=2)
    assert page["total_count"] == 3
    assert len(page["data"]) == 2
    assert page["has_more"] is True
    rest = await list_page(client, owner, completed="true", limit=2, offset=2)
    assert rest["total_count"] == 3
    assert len(rest["data"]) == 1
    assert rest["has_more"] is False


async def test_offset_past_the_end_still_reports_total_count(
    client: httpx.AsyncClient, owner: str
) -> None:
    for number in range(3):
        await create(client, owner, title=f"task {number}", completed=number == 0)
    page = await list_page(client, owner, offset=10)
    assert page["data"] == []
    assert page["total_count"] == 3
    assert page["has_more"] is False
    assert page["offset"] == 10
    filtered = await list_page(client, owner, offset=10, completed="true")
    assert filtered["data"] == []
    assert filtered["total_count"] == 1
    assert filtered["has_more"] is False


async def test_largest_offset_is_accepted(client: httpx.AsyncClient, owner: str) -> None:
    await create(client, owner)
    page = await list_page(client, owner, offset=2**63 - 1, limit=100)
    assert page["data"] == []
    assert page["total_count"] == 1
    assert page["has_more"] is False
    assert page["offset"] == 2**63 - 1


async def test_offset_at_the_end_has_no_more(client: httpx.AsyncClient, owner: str) -> None:
    for number in range(4):
        await create(client, owner, title=f"task {number}")
    full_last_page = await list_page(client, owner, offset=2, limit=2)
    assert len(full_last_page["data"]) == 2
    assert full_last_page["has_more"] is False
    exactly_at_end = await list_page(client, owner, offset=4, limit=2)
    assert exactly_at_end["data"] == []
    assert exactly_at_end["total_count"] == 4
    assert exactly_at_end["has_more"] is False


async def test_list_rows_equal_the_rows_read_one_by_one(
    client: httpx.AsyncClient, owner: str
) -> None:
    await create(client, owner, title="x", description="d", completed=True)
    await create(client, owner, title="y")
    page = await list_page(client, owner)
    for task in page["data"]:
        assert await read(client, owner, task["id"]) == task


# --- create ---------------------------------------------------------------------------------


async def test_create_answers_201_with_location_and_server_fields(
    client: httpx.AsyncClient, owner: str
) -> None:
    response = await client.post(collection(owner), json={"title": "Buy milk"})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    task: Json = response.json()
    assert_task_shape(task, owner)
    assert response.headers["location"] == item(owner, task["id"])
    assert task["title"] == "Buy milk"
    assert task["created_at"] == task["updated_at"]


async def test_create_applies_defaults(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Buy milk")
    assert task["description"] is None
    assert task["completed"] is False


async def test_create_keeps_every_given_field(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Buy milk", description="2 litres", completed=True)
    assert task["title"] == "Buy milk"
    assert task["description"] == "2 litres"
    assert task["completed"] is True
    assert await read(client, owner, task["id"]) == task


async def test_create_accepts_explicit_null_description(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, description=None)
    assert task["description"] is None


async def test_create_strips_the_title(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="  \t Buy milk \n ")
    assert task["title"] == "Buy milk"
    assert (await read(client, owner, task["id"]))["title"] == "Buy milk"


async def test_create_strips_before_checking_the_length(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="  " + "x" * 200 + "  ")
    assert task["title"] == "x" * 200


async def test_create_accepts_the_longest_values(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="t" * 200, description="d" * 1000)
    stored = await read(client, owner, task["id"])
    assert stored["title"] == "t" * 200
    assert stored["description"] == "d" * 1000


async def test_create_round_trips_non_ascii_text(client: httpx.AsyncClient, owner: str) -> None:
    title = "😀" * 200
    description = "Café ☕ 日本語 \u200b ünïcödé\n\ttabs"
    task = await create(client, owner, title=title, description=description)
    stored = await read(client, owner, task["id"])
    assert stored["title"] == title
    assert stored["description"] == description


async def test_create_gives_each_row_a_new_id(client: httpx.AsyncClient, owner: str) -> None:
    first = await create(client, owner)
    second = await create(client, owner)
    assert first["id"] != second["id"]


async def test_create_accepts_json_content_type_variants(
    client: httpx.AsyncClient, owner: str
) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            collection(owner),
            content=b'{"title": "typed"}',
            headers={"content-type": content_type},
        )
        assert response.status_code == 201, (content_type, response.text)


# --- read -----------------------------------------------------------------------------------


async def test_read_returns_the_created_task(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Read me", description="body")
    response = await client.get(item(owner, task["id"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == task


async def test_read_of_a_missing_task_is_404(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.get(item(owner, 2**63 - 1))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- replace --------------------------------------------------------------------------------


async def test_replace_resets_omitted_fields_to_their_defaults(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="Old", description="old text", completed=True)
    await tick()
    response = await client.put(item(owner, task["id"]), json={"title": "New"})
    assert response.status_code == 200, response.text
    replaced: Json = response.json()
    assert_task_shape(replaced, owner)
    assert replaced["title"] == "New"
    assert replaced["description"] is None
    assert replaced["completed"] is False
    assert replaced["id"] == task["id"]
    assert replaced["created_at"] == task["created_at"]
    assert timestamp(replaced["updated_at"]) > timestamp(task["updated_at"])
    assert await read(client, owner, task["id"]) == replaced


async def test_replace_sets_every_given_field(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Old")
    body = {"title": "  New  ", "description": "new text", "completed": True}
    response = await client.put(item(owner, task["id"]), json=body)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["title"] == "New"
    assert replaced["description"] == "new text"
    assert replaced["completed"] is True
    assert await read(client, owner, task["id"]) == replaced


async def test_replace_without_the_required_title_is_422_and_changes_nothing(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="Keep", description="keep")
    response = await client.put(
        item(owner, task["id"]), json={"description": "lost", "completed": True}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(detail["loc"][-1] == "title" for detail in error["details"])
    assert await read(client, owner, task["id"]) == task


# --- update ---------------------------------------------------------------------------------


async def test_update_changes_only_the_given_fields(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Title", description="text")
    await tick()
    response = await client.patch(item(owner, task["id"]), json={"completed": True})
    assert response.status_code == 200, response.text
    updated: Json = response.json()
    assert_task_shape(updated, owner)
    assert updated["completed"] is True
    unchanged = ("id", "user_id", "title", "description", "created_at")
    assert {key: updated[key] for key in unchanged} == {key: task[key] for key in unchanged}
    assert timestamp(updated["updated_at"]) > timestamp(task["updated_at"])
    assert await read(client, owner, task["id"]) == updated


async def test_update_strips_the_title(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Title", description="text")
    response = await client.patch(item(owner, task["id"]), json={"title": "  Renamed  "})
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Renamed"
    assert response.json()["description"] == "text"


async def test_update_accepts_explicit_null_for_description(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="Title", description="text", completed=True)
    response = await client.patch(item(owner, task["id"]), json={"description": None})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["description"] is None
    assert updated["title"] == "Title"
    assert updated["completed"] is True


@pytest.mark.parametrize("field", ["title", "completed"])
async def test_update_refuses_null_for_non_nullable_fields(
    client: httpx.AsyncClient, owner: str, field: str
) -> None:
    task = await create(client, owner, title="Title", description="text")
    response = await client.patch(item(owner, task["id"]), json={field: None})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(field in detail["loc"] for detail in error["details"])
    assert await read(client, owner, task["id"]) == task


async def test_created_at_never_moves_and_updated_at_moves_on_every_write(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="Title")
    previous = timestamp(task["updated_at"])
    writes: list[tuple[str, str, Json | None]] = [
        ("PATCH", "", {"description": "a"}),
        ("PUT", "", {"title": "Replaced"}),
        ("PATCH", "/complete", None),
        ("PATCH", "/complete", {"completed": True}),
    ]
    for method, suffix, body in writes:
        await tick()
        response = await client.request(method, item(owner, task["id"]) + suffix, json=body)
        assert response.status_code == 200, response.text
        written = response.json()
        assert written["created_at"] == task["created_at"]
        current = timestamp(written["updated_at"])
        assert current > previous, (method, suffix)
        assert timestamp(written["created_at"]) < current
        previous = current


# --- delete ---------------------------------------------------------------------------------


async def test_delete_answers_204_with_an_empty_body_then_404(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner)
    kept = await create(client, owner, title="kept")
    response = await client.delete(item(owner, task["id"]))
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(item(owner, task["id"]))).status_code == 404
    again = await client.delete(item(owner, task["id"]))
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"
    page = await list_page(client, owner)
    assert ids(page) == [kept["id"]]
    assert page["total_count"] == 1


@pytest.mark.parametrize(
    ("method", "body"),
    [("PUT", {"title": "x"}), ("PATCH", {"title": "x"}), ("GET", None)],
)
async def test_a_deleted_task_cannot_be_read_or_written(
    client: httpx.AsyncClient, owner: str, method: str, body: Json | None
) -> None:
    task = await create(client, owner)
    assert (await client.delete(item(owner, task["id"]))).status_code == 204
    response = await client.request(method, item(owner, task["id"]), json=body)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- OpenAPI --------------------------------------------------------------------------------


async def test_openapi_lists_exactly_the_task_operations_and_complete(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    methods = {
        path: {key for key in operations if key in {"get", "post", "put", "patch", "delete"}}
        for path, operations in paths.items()
    }
    assert methods == {
        "/api/{user_id}/tasks": {"get", "post"},
        "/api/{user_id}/tasks/{id}": {"get", "put", "patch", "delete"},
        "/api/{user_id}/tasks/{id}/complete": {"patch"},
    }
    collection_ops = paths["/api/{user_id}/tasks"]
    item_ops = paths["/api/{user_id}/tasks/{id}"]
    generated = [
        collection_ops["get"],
        collection_ops["post"],
        item_ops["get"],
        item_ops["put"],
        item_ops["patch"],
        item_ops["delete"],
    ]
    for operation in generated:
        assert SPEC_DESCRIPTION in operation["description"]
