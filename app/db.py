"""The engine and the per-request connection that the generated routers are given.

Every generated write is a single statement, and every read is one statement too, so
connections run in AUTOCOMMIT: no BEGIN/COMMIT round trips, and each statement is atomic on
its own. Code that needs several statements in one transaction must ask for one
(`await conn.execution_options(isolation_level="SERIALIZABLE")`, then `conn.begin()`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from app.database_url import resolve
from app.driver import DriverConnection, Plans
from app.settings import Settings


def make_engine(
    settings: Settings, *, autocommit: bool = True, foreign_keys: bool = True
) -> AsyncEngine:
    """An engine for `settings.database_url`, pooled and bounded by the configured timeouts.

    `foreign_keys=False` is for migrations alone: SQLite rebuilds a table by copying it and
    dropping the original, which with foreign keys on would delete or null the rows that
    point at it; the migration checks every foreign key once it is done instead.
    """
    target = resolve(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout,
        statement_timeout=settings.db_statement_timeout,
        statement_cache_size=settings.db_statement_cache_size,
        pooler=settings.db_pooler,
    )
    options: dict[str, Any] = {
        "connect_args": target.connect_args,
        "pool_pre_ping": settings.db_pool_pre_ping,
        # Errors render their SQL without the values bound to it, so no log line (an error's
        # message, a traceback) carries what a client sent.
        "hide_parameters": True,
    }
    if autocommit:
        options["isolation_level"] = "AUTOCOMMIT"
    if target.is_sqlite and (target.url.database or ":memory:") == ":memory:":
        options["poolclass"] = StaticPool
    else:
        options |= {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout,
        }
    engine = create_async_engine(target.url, **options)
    if target.is_sqlite:
        _tune_sqlite(engine, foreign_keys=foreign_keys)
        if not autocommit:
            _begin_sqlite_transactions(engine)
    else:
        _drop_closed_connections(engine)
    return engine


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """On checkout, replace a pooled connection the server has closed, without a round trip.

    When PostgreSQL restarts or kills a backend, asyncpg sees the socket close and marks the
    connection closed. Raising DisconnectionError here makes the pool discard it and hand out
    a fresh one, so the app recovers after an outage with no failed request and no ping.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        is_closed = getattr(driver, "is_closed", None)
        if callable(is_closed) and is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def _tune_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    """WAL lets readers run beside a writer; the busy timeout makes writers queue, not fail.

    SQLite checks foreign keys only on connections that ask it to, so every connection does:
    the references between rows of one owner are the database's rule, not the app's.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()


def _begin_sqlite_transactions(engine: AsyncEngine) -> None:
    """Make each transaction a real SQLite one that takes DDL with it: for migrations.

    Python's sqlite3 module opens a transaction only before INSERT, UPDATE or DELETE, so the
    ALTER, CREATE, DROP and table copies of a revision each commit on their own, and a revision
    that fails half-way would leave the schema half changed (and the `set_null` triggers,
    dropped for the migration, gone). SQLAlchemy's recipe for the driver: turn its implicit
    BEGIN off and send BEGIN when SQLAlchemy begins, so the whole migration commits or none
    of it does. The PRAGMAs on connect run before, outside any transaction, as they must.

    IMMEDIATE takes the write lock at the start, waiting out the busy timeout for a serving
    app's write to finish. A plain (deferred) BEGIN would read the schema first and ask for
    the lock at the first DDL, where SQLite answers "database is locked" at once, without
    waiting, if an app wrote in between. App writes wait for the migration in turn.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class _CountedCheckout:
    """A connection for `async with`, counting the requests still waiting for it."""

    __slots__ = ("_connection", "_database")

    def __init__(self, database: Database, connection: AsyncConnection) -> None:
        self._database = database
        self._connection = connection

    async def __aenter__(self) -> AsyncConnection:
        self._database.waiting += 1
        try:
            return await self._connection.__aenter__()
        finally:
            self._database.waiting -= 1

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self._connection.__aexit__(kind, error, trace)


class Database:
    """Owns the engine for the app's lifetime and hands out one connection per request.

    With `count_waiting` (metrics on), `waiting` is the number of requests waiting for a
    connection right now: the pool has no such figure of its own.
    """

    def __init__(self, settings: Settings, *, count_waiting: bool = False) -> None:
        self.engine = make_engine(settings)
        # On asyncpg, plain statements skip SQLAlchemy's execution layer (app/driver.py).
        self._plans = Plans() if self.engine.dialect.driver == "asyncpg" else None
        self.waiting = 0
        self._count_waiting = count_waiting

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A pooled connection for `async with`: the `ConnectionFactory` routers are given."""
        connection = (
            self.engine.connect()
            if self._plans is None
            else DriverConnection(self.engine, self._plans)
        )
        if self._count_waiting:
            return _CountedCheckout(self, connection)
        return connection

    async def dispose(self) -> None:
        await self.engine.dispose()


__all__ = ["Database", "make_engine"]
