"""Behind PgBouncer in transaction mode (Neon's pooled host): what the app sends, and what holds.

PgBouncer refuses `statement_timeout` as a start-up parameter, so behind it the app sends only
the parameters PgBouncer tracks (TimeZone, application_name) and the driver's own timeout
enforces the statement timeout, with a cancel request that PgBouncer forwards to the server.
The PostgreSQL tests here run against a real PgBouncer in front of TEST_DATABASE_URL's server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.database_url import resolve
from app.db import make_engine
from app.main import create_app
from app.settings import Pooler, Settings
from tests.reliability.pgbouncer import PgBouncer, require_pgbouncer, running_pgbouncer
from tests.task_api import collection, timestamp

NEON_POOLED = "postgresql://alex:pw@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb"
NEON_DIRECT = "postgresql://alex:pw@ep-cool-1234.eu-central-1.aws.neon.tech/neondb"
STATEMENT_TIMEOUT = 1.0
SLEEP_SECONDS = 10


def test_neons_pooled_host_is_recognised_and_sends_no_statement_timeout() -> None:
    target = resolve(NEON_POOLED + "?sslmode=require&application_name=api", statement_timeout=3)
    assert target.connect_args["server_settings"] == {"TimeZone": "UTC", "application_name": "api"}
    assert target.connect_args["command_timeout"] == 3
    assert target.connect_args["statement_cache_size"] == 0


def test_a_direct_host_keeps_the_server_side_timeout_and_the_statement_cache() -> None:
    target = resolve(NEON_DIRECT, statement_timeout=3)
    assert target.connect_args["server_settings"] == {
        "TimeZone": "UTC",
        "statement_timeout": "3000",
    }
    assert target.connect_args["command_timeout"] == 4
    assert target.connect_args["statement_cache_size"] == 100


@pytest.mark.parametrize(
    ("url", "pooler", "pooled"),
    [
        (NEON_DIRECT, "pgbouncer", True),
        (NEON_POOLED, "none", False),
        ("postgresql://u@127.0.0.1:6432/db", "auto", False),
    ],
)
def test_db_pooler_overrides_the_host_name(url: str, pooler: Pooler, pooled: bool) -> None:
    target = resolve(url, pooler=pooler)
    assert ("statement_timeout" not in target.connect_args["server_settings"]) is pooled


def test_a_statement_cache_set_explicitly_is_kept_behind_the_pooler() -> None:
    """PgBouncer 1.21+ with max_prepared_statements keeps prepared statements working."""
    target = resolve(NEON_POOLED, statement_cache_size=100)
    assert target.connect_args["statement_cache_size"] == 100


@pytest.fixture
def pgbouncer(postgres_database_url: str) -> Iterator[PgBouncer]:
    """One server connection for every client, so they share it as transactions interleave."""
    with running_pgbouncer(require_pgbouncer(), postgres_database_url, pool_size=1) as bouncer:
        yield bouncer


def pooled_settings(bouncer: PgBouncer) -> Settings:
    return Settings(
        database_url=bouncer.url(),
        db_pooler="pgbouncer",
        db_statement_timeout=STATEMENT_TIMEOUT,
    )


@pytest.mark.postgres
@pytest.mark.anyio
async def test_the_statement_timeout_stops_the_statement_on_the_server(
    pgbouncer: PgBouncer, postgres_database_url: str
) -> None:
    engine = make_engine(pooled_settings(pgbouncer))
    direct = make_url(postgres_database_url).set(drivername="postgresql")
    monitor = await asyncpg.connect(direct.render_as_string(hide_password=False))
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with engine.connect() as conn:
                await conn.execute(text(f"SELECT pg_sleep({SLEEP_SECONDS})"))
        assert time.monotonic() - started < STATEMENT_TIMEOUT + 1
        deadline = time.monotonic() + SLEEP_SECONDS / 2
        while await monitor.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'SELECT pg_sleep%'"
        ):
            assert time.monotonic() < deadline, "the server still runs the timed-out statement"
            await asyncio.sleep(0.05)
    finally:
        await monitor.close()
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.anyio
async def test_sessions_stay_utc_when_another_client_changes_the_shared_connection(
    pgbouncer: PgBouncer, owner: str
) -> None:
    """Another client of the same pooler sets its own time zone on the one server connection;
    PgBouncer restores the app's UTC before the app's next transaction runs there."""
    other = await asyncpg.connect(pgbouncer.url(), statement_cache_size=0)
    app = create_app(pooled_settings(pgbouncer))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for _ in range(3):
                await other.execute("SET TimeZone = 'Asia/Tokyo'")
                created = await http.post(collection(owner), json={"title": "in UTC"})
                assert created.status_code == 201, created.text
                timestamp(created.json()["created_at"])
                async with app.state.database.connect() as conn:
                    assert (await conn.execute(text("SHOW TimeZone"))).scalar() == "UTC"
            listed = await http.get(collection(owner))
            assert listed.status_code == 200, listed.text
            assert listed.json()["total_count"] == 3
    finally:
        await other.close()
        await app.state.database.dispose()
