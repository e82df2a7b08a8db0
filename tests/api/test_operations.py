"""What the Task operations do beyond the generated contract tests, on each database.

The generated `test_task_contract.py` checks each operation's answers as the spec defines them;
these add what the spec alone cannot produce: ties on every sort key, paging through them,
collation, filters combined with paging, text the samples do not use, and the `/complete`
extension's place in the timestamps and the OpenAPI schema.

Ties on the sort keys cannot be produced on demand through the API (timestamps come from the
server clock), so the sorting tests insert a few rows with identical timestamps straight into
the table and read them back through the API.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from generated.models.task import Task
from tests.task_api import (
    TASKS,
    Json,
    assert_task,
    collection,
    create,
    item,
    read,
    tick,
    timestamp,
)

pytestmark = pytest.mark.anyio


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


async def list_page(client: httpx.AsyncClient, owner: str, **params: str | int) -> Json:
    page = await TASKS.list_rows(client, owner, params)
    for task in page["data"]:
        assert assert_task(task)["user_id"] == owner
    return page


def ids(page: Json) -> list[int]:
    return [task["id"] for task in page["data"]]


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


# --- create ---------------------------------------------------------------------------------


async def test_create_accepts_explicit_null_description(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, description=None)
    assert task["description"] is None


async def test_create_strips_before_checking_the_length(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="  " + "x" * 200 + "  ")
    assert task["title"] == "x" * 200


async def test_create_round_trips_non_ascii_text(client: httpx.AsyncClient, owner: str) -> None:
    title = "😀" * 200
    description = "Café ☕ 日本語 \u200b ünïcödé\n\ttabs"
    task = await create(client, owner, title=title, description=description)
    stored = await read(client, owner, task["id"])
    assert stored["title"] == title
    assert stored["description"] == description


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


# --- replace --------------------------------------------------------------------------------


async def test_replace_strips_the_title_and_stores_what_it_answers(
    client: httpx.AsyncClient, owner: str
) -> None:
    """The generated replace test sends only the required fields and checks PUT's answer; this
    sends every field, the title to be stripped, and reads back what PUT answered."""
    task = await create(client, owner, title="Old")
    body = {"title": "  New  ", "description": "new text", "completed": True}
    response = await client.put(item(owner, task["id"]), json=body)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert {key: replaced[key] for key in body} == {**body, "title": "New"}
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


async def test_update_strips_the_title(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Title", description="text")
    response = await client.patch(item(owner, task["id"]), json={"title": "  Renamed  "})
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Renamed"
    assert response.json()["description"] == "text"


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
