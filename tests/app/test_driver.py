"""The driver path (app/driver.py) answers exactly what SQLAlchemy's own execute answers."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.driver import DriverConnection, bind_arguments
from app.settings import Settings
from generated.models.task import Task
from generated.paging import PageShape
from generated.routers import task as routes
from generated.support import row_dicts, utcnow

pytestmark = pytest.mark.anyio


@pytest.fixture
async def database(postgres_database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=postgres_database_url))
    yield database
    await database.dispose()


def _new_row(owner: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "user_id": owner,
        "title": "t\u00e9st",
        "description": None,
        "completed": False,
        "created_at": now,
        "updated_at": now,
    }


async def _both(database: Database, statement: Any, params: dict[str, Any]) -> list[Any]:
    """The rows of `statement` through SQLAlchemy and through the driver, as dicts."""
    async with database.engine.connect() as plain:
        expected = [dict(row._mapping) for row in await plain.execute(statement, params)]
    async with database.connect() as fast:
        assert isinstance(fast, DriverConnection)
        plan = fast.plans.find(fast, statement, tuple(sorted(params)))
        assert plan is not None and plan.slots is not None
        # The arguments resolved once per plan are those SQLAlchemy resolves every time.
        assert bind_arguments(plan, params) == bind_arguments(replace(plan, slots=None), params)
        got = [dict(row._mapping) for row in await fast.execute(statement, params)]
    assert got == expected
    return got


async def test_every_route_statement_gives_the_same_rows_and_types(database: Database) -> None:
    owner = f"drv-{uuid.uuid4().hex[:12]}"
    async with database.connect() as conn:
        created = (await conn.execute(routes.INSERT_ROW, _new_row(owner))).one()
        await conn.commit()
    assert created.created_at.tzinfo is datetime.UTC
    keys = routes.owned_row(owner, created.id)
    (row,) = await _both(database, await routes.select_row(), keys)
    assert row["id"] == created.id and row["created_at"].tzinfo is datetime.UTC
    page = {routes.OWNER.key: owner, "offset__": 0, "limit__": 20}
    by_offset = PageShape(counted=True, after=None)
    (listed,) = await _both(database, await routes.select_page("-created_at", (), by_offset), page)
    assert listed["_total_count"] == 1
    filtered = {**page, "completed__eq": False}
    await _both(
        database, await routes.select_page("title", ("completed__eq",), by_offset), filtered
    )
    # A cursor page: the keyset's bind parameters (typed), uncounted.
    keyset = routes.KEYSETS["-created_at"]
    after = {routes.OWNER.key: owner, "limit__": 20, **keyset.params(keyset.position(row))}
    uncounted = PageShape(counted=False, after="value")
    assert (
        await _both(database, await routes.select_page("-created_at", (), uncounted), after) == []
    )
    (total,) = await _both(database, await routes.select_total(()), page)
    assert list(total.values()) == [1]
    async with database.connect() as conn:
        changes = {"title": "changed", "updated_at": utcnow(), **keys}
        updated = (await conn.execute(routes.UPDATE_OWNED_ROW, changes)).one()
        deleting = await conn.execute(routes.DELETE_OWNED_ROW, keys)
        deleted = deleting.first()
        missing = await conn.execute(routes.DELETE_OWNED_ROW, keys)
    assert updated.title == "changed" and updated.updated_at.tzinfo is datetime.UTC
    assert deleted is not None and deleted.id == created.id
    assert getattr(deleting, "rowcount", None) == 1  # as a CursorResult would say
    assert missing.first() is None and getattr(missing, "rowcount", None) == 0


async def test_errors_are_translated_as_sqlalchemy_translates_them(database: Database) -> None:
    row = _new_row(f"drv-{uuid.uuid4().hex[:12]}")
    async with database.connect() as conn:
        with pytest.raises(sa_exc.IntegrityError) as fast_error:
            await conn.execute(routes.INSERT_ROW, {**row, "title": None})
    async with database.engine.connect() as plain:
        with pytest.raises(sa_exc.IntegrityError) as plain_error:
            await plain.execute(routes.INSERT_ROW, {**row, "title": None})
    fast_orig, plain_orig = fast_error.value.orig, plain_error.value.orig
    assert type(fast_orig) is type(plain_orig)
    assert getattr(fast_orig, "sqlstate", None) == getattr(plain_orig, "sqlstate", None) == "23502"


async def test_transactions_and_other_statements_take_sqlalchemys_path(
    database: Database,
) -> None:
    async with database.connect() as conn:
        assert isinstance(conn, DriverConnection)
        assert conn.plans.find(conn, sa.text("SELECT 1"), ()) is None  # no typed columns
        assert (await conn.execute(sa.text("SELECT 1"))).scalar_one() == 1
        await conn.commit()
        transaction = await conn.begin()
        query = await routes.select_total(())
        nobody = {routes.OWNER.key: f"drv-{uuid.uuid4().hex[:12]}"}  # an owner with no rows
        assert conn._plan_for(query, nobody) is None
        assert (await conn.execute(query, nobody)).scalar_one() == 0
        await transaction.commit()


async def test_sqlite_keeps_sqlalchemys_connection(sqlite_url: str) -> None:
    database = Database(Settings(database_url=sqlite_url))
    try:
        connection = database.connect()
        assert type(connection) is AsyncConnection
    finally:
        await database.dispose()


async def test_a_connection_goes_back_to_the_pool_in_the_requests_own_task(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No shielded close task when the return cannot wait on the server; the pool gets the
    connection back all the same, and the next checkout reuses it."""
    import asyncio

    tasks_created = 0
    create_task = asyncio.create_task

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal tasks_created
        tasks_created += 1
        return create_task(*args, **kwargs)

    pool = database.engine.sync_engine.pool
    backend = sa.select(sa.func.pg_backend_pid())  # a statement the driver path runs
    async with database.connect() as conn:
        first = (await conn.execute(backend)).scalar_one()
    monkeypatch.setattr(asyncio, "create_task", counting)
    for _ in range(3):
        async with database.connect() as conn:
            assert (await conn.execute(backend)).scalar_one() == first
    assert tasks_created == 0
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_connection_in_a_transaction_is_closed_by_sqlalchemy(
    database: Database,
) -> None:
    """An open transaction is rolled back on return, which waits on the server: SQLAlchemy's
    shielded close does it, and the row written in it is gone."""
    owner = f"tx-{uuid.uuid4().hex[:8]}"
    async with database.connect() as conn:
        await conn.execution_options(isolation_level="READ COMMITTED")
        await conn.begin()
        await conn.execute(sa.insert(Task).values(**_new_row(owner)))
    async with database.connect() as conn:
        count = sa.select(sa.func.count()).select_from(Task).where(Task.user_id == owner)
        assert (await conn.execute(count)).scalar_one() == 0
    assert database.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_failed_statement_still_returns_its_connection(database: Database) -> None:
    with pytest.raises(sa_exc.DBAPIError):
        async with database.connect() as conn:
            await conn.execute(sa.text("select 1/0"))
    assert database.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with database.connect() as conn:
        assert (await conn.execute(sa.text("select 1"))).scalar_one() == 1


async def test_row_dicts_come_straight_from_the_records_or_through_the_rows(
    database: Database,
) -> None:
    """Without result processors the dicts are the records' values; with one (a float read
    as a Decimal) they go through SQLAlchemy's rows, processed."""
    owner = f"dicts-{uuid.uuid4().hex[:8]}"
    async with database.connect() as conn:
        for _ in range(3):
            await conn.execute(routes.INSERT_ROW, _new_row(owner))
    page = sa.select(*routes.COLUMNS).where(Task.user_id == owner).order_by(Task.id)
    async with database.engine.connect() as plain:
        expected = [dict(row._mapping) for row in await plain.execute(page)]
    async with database.connect() as fast:
        result = await fast.execute(page)
        assert result.records is not None  # type: ignore[attr-defined]
        assert row_dicts(result) == expected and len(expected) == 3
        assert result.records is None  # type: ignore[attr-defined]  # consumed
        decimal_column = sa.cast(sa.literal(1.5), sa.Float(asdecimal=True)).label("x")
        processed = await fast.execute(sa.select(decimal_column))
        assert processed.records is None  # type: ignore[attr-defined]
        assert row_dicts(processed) == [{"x": decimal.Decimal("1.5")}]
