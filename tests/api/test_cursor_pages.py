"""Cursor pages of the Task list beyond the generated contract tests, on each database.

The generated tests page through rows the API creates; these add rows tied on every sort key
(written straight into the table, since the server's clock never ties on demand), forged
cursors whose hash is right but whose values are not (each must be a 422, never a 500), and,
on PostgreSQL, the plans: a cursor page seeks in the owner-leading index of its sort instead
of reading the rows before it.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from generated.cursor import fingerprint, seal
from generated.models.task import Task
from generated.paging import PageShape
from generated.routers import task as task_router
from generated.tests._contract import expected_order
from tests.api.test_operations import SORTS, mixed_rows
from tests.task_api import TASKS, collection

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("sort", SORTS)
async def test_cursor_pages_through_ties_on_every_sort_key(
    app: FastAPI, client: httpx.AsyncClient, owner: str, sort: str
) -> None:
    rows = await mixed_rows(app, client, owner)
    for limits in ((1,), (2, 3, 1)):
        seen = await TASKS.walk(client, owner, {"sort": sort}, limits=limits, total=len(rows))
        key = sort.removeprefix("-")
        assert seen == expected_order(rows, key, descending=sort.startswith("-")), limits


async def test_filters_and_count_false_page_by_cursor(
    app: FastAPI, client: httpx.AsyncClient, owner: str
) -> None:
    rows = await mixed_rows(app, client, owner)
    open_rows = [row for row in rows if not row["completed"]]
    params = {"sort": "-updated_at", "completed": "false", "count": "false"}
    seen = await TASKS.walk(client, owner, params, limits=(2,))
    assert seen == expected_order(open_rows, "updated_at", descending=True)


def forged(owner: str, sort: str, values: list[Any]) -> str:
    """A cursor with a right hash and fingerprint around `values`, as anyone could make one."""
    # Escaped JSON, which can carry what text cannot: a lone surrogate, say.
    return seal(json.dumps([sort, fingerprint("Task", owner, {}), values]).encode())


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("id", ["1"]),
        ("id", [2**63]),
        ("id", [True]),
        ("id", [1, 2]),
        ("id", None),
        ("title", ["a\x00b", 1]),
        ("title", ["\ud800", 1]),
        ("title", [None, 1]),
        ("title", [7, 1]),
        ("created_at", ["2026-01-01T00:00:00", 1]),
        ("created_at", ["yesterday", 1]),
        ("created_at", [1.5, 1]),
        ("-updated_at", ["2026-01-01T00:00:00Z", -(2**63) - 1]),
        ("created_at", ["0001-01-01T00:00:00+01:00", 1]),  # before UTC's first instant
        ("created_at", ["9999-12-31T23:59:59-01:00", 1]),  # after UTC's last instant
    ],
)
async def test_a_forged_cursor_with_bad_values_is_422_not_500(
    client: httpx.AsyncClient, owner: str, sort: str, values: list[Any]
) -> None:
    cursor = forged(owner, sort, values)
    response = await client.get(collection(owner), params={"sort": sort, "cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["loc"] == ["query", "cursor"]


async def test_a_forged_cursor_of_deeply_nested_json_is_422_not_500(
    client: httpx.AsyncClient, owner: str
) -> None:
    cursor = seal(b"[" * 1000)
    response = await client.get(collection(owner), params={"sort": "title", "cursor": cursor})
    assert response.status_code == 422, response.text


async def test_a_forged_cursor_with_good_values_only_moves_within_the_owners_rows(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    mine = [(await TASKS.create(client, owner, {"title": f"t{n}"}))["id"] for n in range(3)]
    await TASKS.create(client, other_owner, {"title": "not yours"})
    page = await TASKS.list_rows(client, owner, {"sort": "id", "cursor": forged(owner, "id", [0])})
    assert [row["id"] for row in page["data"]] == mine


async def test_a_cursor_is_not_bound_to_include_limit_or_count(
    client: httpx.AsyncClient, owner: str
) -> None:
    for n in range(3):
        await TASKS.create(client, owner, {"title": f"t{n}"})
    first = await TASKS.list_rows(client, owner, {"sort": "title", "limit": 1})
    for params in ({"limit": 2}, {"count": "false"}, {"limit": 1, "count": "true"}):
        query = {"sort": "title", "cursor": first["next_cursor"], **params}
        page = await TASKS.list_rows(client, owner, query)
        assert page["data"][0]["title"] == "t1", params


@pytest.mark.postgres
async def test_cursor_pages_seek_in_the_owner_leading_index(
    app: FastAPI, database_url: str, owner: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("plans are PostgreSQL's")
    start = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)
    rows = [
        {
            "user_id": owner,
            "title": f"task {n % 97:03d}",
            "description": None,
            "completed": n % 2 == 0,
            "created_at": start + datetime.timedelta(seconds=n // 3),
            "updated_at": start + datetime.timedelta(seconds=n),
        }
        for n in range(20_000)
    ]
    engine = app.state.database.engine
    async with engine.connect() as conn:
        await conn.execute(sa.insert(Task), rows)
        await conn.commit()
        await conn.execute(sa.text("ANALYZE tasks"))
        await conn.commit()
        for sort in SORTS:
            keyset = task_router.KEYSETS[sort]
            middle = (
                await conn.execute(
                    sa.select(keyset.column, keyset.id_column)
                    .where(Task.user_id == owner)
                    .order_by(*task_router.ORDER_BY[sort])
                    .offset(15_000)
                    .limit(1)
                )
            ).one()
            query = await task_router.select_page(sort, (), PageShape(False, "value"))
            params = {"owner__": owner, "limit__": 21, **keyset.params(tuple(middle))}
            statement = query.compile(dialect=engine.dialect)
            values = [params[name] for name in statement.positiontup or ()]
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            explained = await driver.fetch(f"EXPLAIN {statement}", *values)
            plan = "\n".join(line[0] for line in explained)
            key = sort.removeprefix("-")
            index = "ix_tasks_user_id_id" if key == "id" else f"ix_tasks_user_id_{key}_id"
            assert "Sort" not in plan and "Seq Scan" not in plan, (sort, plan)
            assert f"Index Scan {'Backward ' if sort[0] == '-' else ''}using" in plan, plan
            if key != "id":  # for id alone the primary key may serve as well
                assert index in plan, (sort, plan)
            # A seek: the index scan starts at the cursor's value, not at the owner's first row.
            seek = next(line for line in plan.splitlines() if "Index Cond:" in line)
            comparison = rf"\b{key}\)?(::\w+)? {'<' if sort[0] == '-' else '>'}"
            assert re.search(comparison, seek), (sort, plan)
            assert key == "id" or "user_id" in seek, (sort, plan)


@pytest.mark.parametrize("character", ["\x1f", "😀", '"'])
async def test_the_longest_titles_make_cursors_the_list_takes_back(
    client: httpx.AsyncClient, owner: str, character: str
) -> None:
    """The cursor's length bound holds for the widest text JSON can carry."""
    titles = [character * 200, character * 199 + "~"]
    for title in titles:
        await TASKS.create(client, owner, {"title": title})
    page = await TASKS.list_rows(client, owner, {"sort": "title", "limit": 1})
    assert len(page["next_cursor"]) <= task_router.MAX_CURSOR_LENGTH
    after = {"sort": "title", "cursor": page["next_cursor"]}
    second = (await TASKS.list_rows(client, owner, after))["data"]
    assert [row["title"] for row in second] == sorted(titles)[1:]  # code point order
