"""The key store of `api.idempotency` (generator/runtime/idempotency.py) driven directly.

The generated contract tests send real requests; what they cannot reach from outside is
covered here with a clock the test moves: a key still running answers 409 at once, a crashed
holder's lease runs out and the same request takes the key over (while the old holder, when
it wakes, rolls its row back), an expired key is a new key, and each claim deletes a bounded
batch of its owner's expired keys. On SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import HTTPException, Response
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import make_engine
from app.settings import Settings
from generator.runtime import idempotency
from generator.runtime.idempotency import (
    CLEANUP_BATCH,
    LEASE,
    Create,
    IdempotencyKeyReused,
    IdempotentCreates,
    idempotency_table,
)
from tests.fixtures import postgres_url, scratch_postgres_url

pytestmark = pytest.mark.anyio

METADATA = sa.MetaData()
KEYS = idempotency_table(METADATA, owner_length=64)
ROWS = sa.Table(
    "idem_rows",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("label", sa.String(40), nullable=False),
)
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
TTL_HOURS = 24


class Clock:
    """The time the key store sees; tests move it instead of waiting."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture(scope="module")
def scratch_postgres() -> str:
    """A PostgreSQL database of this module's own (its tables are not the app's)."""
    if postgres_url() is None:
        pytest.skip("PostgreSQL tests skipped: set TEST_DATABASE_URL to run them")
    return scratch_postgres_url("idempotency_keys") or ""


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    return str(request.getfixturevalue("scratch_postgres"))


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    """Empty tables on each database; the engine is set up as the app's is."""
    built = make_engine(Settings(database_url=url))
    async with built.connect() as conn:
        await conn.run_sync(METADATA.drop_all)
        await conn.run_sync(METADATA.create_all)
    yield built
    await built.dispose()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(idempotency, "utcnow", found)
    return found


@pytest.fixture
def store() -> IdempotentCreates:
    return IdempotentCreates(KEYS, scope="Thing", ttl_hours=TTL_HOURS)


def creating(
    label: str, started: asyncio.Event | None = None, go: asyncio.Event | None = None
) -> Create:
    """A create that inserts one row labelled `label`; with events, it signals that it runs
    and then waits to be let go before writing anything (so it holds no lock meanwhile)."""

    async def create(conn: AsyncConnection) -> Response:
        if started is not None and go is not None:
            started.set()
            await go.wait()
        row_id = (
            await conn.execute(sa.insert(ROWS).values(label=label).returning(ROWS.c.id))
        ).scalar_one()
        body = json.dumps({"id": row_id, "label": label})
        return Response(
            body, 201, {"Location": f"/things/{row_id}", "ETag": '"1"'}, "application/json"
        )

    return create


async def send(
    engine: AsyncEngine,
    store: IdempotentCreates,
    body: dict[str, Any],
    create: Create,
    *,
    owner: str = "alice",
    key: str = "k1",
) -> Response:
    return await store.create(
        engine.connect, owner=owner, key=key, body=json.dumps(body).encode(), create=create
    )


async def count(engine: AsyncEngine, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    async with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await conn.execute(query)).scalar_one())


async def test_a_replay_has_the_first_status_headers_and_body(
    engine: AsyncEngine, store: IdempotentCreates, clock: Clock
) -> None:
    first = await send(engine, store, {"label": "a", "n": 1}, creating("a"))
    again = await send(engine, store, {"n": 1, "label": "a"}, creating("a"))
    assert (again.status_code, again.body) == (201, first.body)
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == '"1"'
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(engine, ROWS) == 1


async def test_a_key_still_running_answers_409_at_once_and_then_replays(
    engine: AsyncEngine, store: IdempotentCreates, clock: Clock
) -> None:
    started, go = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(send(engine, store, {"label": "a"}, creating("a", started, go)))
    await started.wait()
    with pytest.raises(HTTPException) as running:
        await asyncio.wait_for(send(engine, store, {"label": "a"}, creating("a")), 2)
    assert running.value.status_code == 409
    with pytest.raises(IdempotencyKeyReused):
        await send(engine, store, {"label": "b"}, creating("b"))
    go.set()
    assert (await first).status_code == 201
    replay = await send(engine, store, {"label": "a"}, creating("a"))
    assert replay.headers["idempotent-replayed"] == "true"
    assert await count(engine, ROWS) == 1


async def test_a_crashed_holders_key_is_taken_over_after_its_lease_and_its_row_rolled_back(
    engine: AsyncEngine, store: IdempotentCreates, clock: Clock
) -> None:
    started, go = asyncio.Event(), asyncio.Event()
    stuck = asyncio.create_task(send(engine, store, {"label": "a"}, creating("a", started, go)))
    await started.wait()
    clock.now += LEASE + datetime.timedelta(seconds=1)
    with pytest.raises(IdempotencyKeyReused):
        await send(engine, store, {"label": "other"}, creating("other"))
    retried = await send(engine, store, {"label": "a"}, creating("a"))
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    go.set()
    with pytest.raises(HTTPException) as lost:
        await stuck
    assert lost.value.status_code == 409
    assert await count(engine, ROWS) == 1
    replay = await send(engine, store, {"label": "a"}, creating("a"))
    assert replay.body == retried.body


async def test_a_failed_create_leaves_the_key_free(
    engine: AsyncEngine, store: IdempotentCreates, clock: Clock
) -> None:
    async def refused(conn: AsyncConnection) -> Response:
        await conn.execute(sa.insert(ROWS).values(label="half"))
        raise HTTPException(409, "a unique value is taken")

    with pytest.raises(HTTPException):
        await send(engine, store, {"label": "a"}, refused)
    assert await count(engine, KEYS) == 0
    assert await count(engine, ROWS) == 0
    created = await send(engine, store, {"label": "b"}, creating("b"))
    assert created.status_code == 201 and "idempotent-replayed" not in created.headers


async def test_an_expired_key_is_a_new_key(
    engine: AsyncEngine, store: IdempotentCreates, clock: Clock
) -> None:
    await send(engine, store, {"label": "a"}, creating("a"))
    clock.now += datetime.timedelta(hours=TTL_HOURS) - datetime.timedelta(seconds=1)
    assert (await send(engine, store, {"label": "a"}, creating("a"))).headers["idempotent-replayed"]
    clock.now += datetime.timedelta(seconds=1)
    fresh = await send(engine, store, {"label": "b"}, creating("b"))
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert await count(engine, ROWS) == 2


async def test_each_claim_deletes_a_batch_of_its_owners_expired_keys(
    engine: AsyncEngine, store: IdempotentCreates, clock: Clock
) -> None:
    expired = clock.now - datetime.timedelta(seconds=1)
    stale = {"fingerprint": "0" * 64, "lease_token": "0" * 32, "lease_until": expired}
    async with engine.connect() as conn:
        await conn.execute(
            sa.insert(KEYS),
            [
                {**stale, "owner": owner, "key": f"old-{index}", "expires_at": expired}
                for owner, many in (("alice", CLEANUP_BATCH + 20), ("bob", 5))
                for index in range(many)
            ],
        )
    await send(engine, store, {"label": "a"}, creating("a"))
    assert await count(engine, KEYS, KEYS.c.owner == "alice", KEYS.c.expires_at <= clock.now) == 20
    assert await count(engine, KEYS, KEYS.c.owner == "bob") == 5
    await send(engine, store, {"label": "b"}, creating("b"), key="k2")
    assert await count(engine, KEYS, KEYS.c.owner == "alice") == 2
