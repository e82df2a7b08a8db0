"""Run the routers' statements on asyncpg directly, with SQLAlchemy's compiled SQL and types.

Under load, a third of the app's time per request went to SQLAlchemy's execution layer: the
execution context, the cursor adapter and a greenlet switch per statement, around the one
asyncpg call that does the work. `DriverConnection.execute` keeps what that layer guarantees
and skips the rest:

- the SQL is SQLAlchemy's, compiled once per statement and set of parameter names (the same
  compiled cache and the same bind processors: FastCRUD still builds the SELECTs);
- it runs through the dialect's own prepared-statement cache on the pooled connection, so
  PgBouncer settings and statement invalidation behave as before;
- rows come back as SQLAlchemy `Row`s with each column type's result processor applied
  (aware UTC datetimes, for instance), in a real `Result`;
- errors are translated exactly as SQLAlchemy translates them (IntegrityError -> 409,
  DataError -> 422, outages -> 503), and a connection the server dropped is invalidated.

Anything else (SQLite, an explicit transaction, execution options, executemany, statements
with Python-side defaults or expanding parameters, engines with event listeners) goes through
SQLAlchemy's own `execute`, unchanged.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Result
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import compiler
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn

BindProcessor = Any
"""A column type's bind processor (value -> value), or absent when it has none."""

Slot = tuple[str | None, Any, BindProcessor | None]
"""Where one positional argument comes from: the parameter of that name (None: the statement's
own value, given second), and the bind processor to apply, if any."""


@dataclass(frozen=True)
class Plan:
    """What one compiled statement needs to run on the driver: its SQL and its conversions."""

    compiled: SQLCompiler
    extracted: Sequence[Any] | None
    collected: Mapping[str, Any] | None
    sql: str
    positions: tuple[str, ...]
    bind_processors: Mapping[str, BindProcessor]
    slots: tuple[Slot, ...] | None
    keys: tuple[str, ...]
    result_types: tuple[Any, ...]


class Plans:
    """Plans per statement object and set of parameter names, for one engine's dialect.

    Keyed weakly by the statement: the routers' statements are built once and live as long as
    the app, and a statement built for one request leaves the cache with it.
    """

    def __init__(self) -> None:
        self._by_statement: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], Plan | None]]
        self._by_statement = weakref.WeakKeyDictionary()
        self._metadata: dict[tuple[SQLCompiler, tuple[int, ...]], SimpleResultMetaData] = {}

    def find(self, conn: AsyncConnection, statement: Any, names: tuple[str, ...]) -> Plan | None:
        try:
            plans = self._by_statement.get(statement)
        except TypeError:  # not weakly referenceable: not a statement this path takes
            return None
        if plans is None:
            plans = self._by_statement[statement] = {}
        if names in plans:
            return plans[names]
        plan = plans[names] = _plan(conn, statement, names)
        return plan

    def metadata(self, plan: Plan, type_oids: tuple[int, ...]) -> SimpleResultMetaData:
        """Row keys and result processors, built once per statement and column types."""
        key = (plan.compiled, type_oids)
        found = self._metadata.get(key)
        if found is None:
            dialect = plan.compiled.dialect
            processors = [
                type_._cached_result_processor(dialect, oid)
                for type_, oid in zip(plan.result_types, type_oids, strict=True)
            ]
            found = self._metadata[key] = SimpleResultMetaData(
                plan.keys, _processors=processors if any(processors) else None
            )
        return found


def _plan(conn: AsyncConnection, statement: Any, names: tuple[str, ...]) -> Plan | None:
    """The plan of `statement` for parameters `names`, or None when SQLAlchemy must run it."""
    if not isinstance(statement, Executable) or not isinstance(statement, ClauseElement):
        return None
    sync = conn.sync_connection
    assert sync is not None
    dialect = sync.dialect
    compiled, extracted, collected, _hit = statement._compile_w_cache(
        dialect=dialect,
        compiled_cache=sync.engine._compiled_cache,
        column_keys=list(names),
        for_executemany=False,
        schema_translate_map=None,
        linting=dialect.compiler_linting | compiler.WARN_LINTING,
    )
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        return None
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.schema_translate_map
        or not compiled._result_columns
        or not compiled._ordered_columns
        or compiled._textual_ordered_columns
    ):
        return None
    columns = compiled._result_columns
    processors = dict(compiled._bind_processors)
    return Plan(
        compiled=compiled,
        extracted=extracted,
        collected=collected,
        sql=compiled.string,
        positions=tuple(compiled.positiontup),
        bind_processors=processors,
        slots=_slots(compiled, extracted, collected, names, processors),
        keys=tuple(column[0] for column in columns),
        result_types=tuple(column[3] for column in columns),
    )


def _slots(
    compiled: SQLCompiler,
    extracted: Sequence[Any] | None,
    collected: Mapping[str, Any] | None,
    names: tuple[str, ...],
    processors: Mapping[str, BindProcessor],
) -> tuple[Slot, ...] | None:
    """Each argument's source, resolved once: `construct_params` would resolve it every time.

    The parameter names are part of the plan's key, so whether a bind takes a parameter or the
    statement's own value is the same on every execution. None (resolve every time, as
    SQLAlchemy does) for binds whose value is computed per execution or collected at compile
    time, and for a required bind without a parameter, so that SQLAlchemy raises its error.
    """
    binds = compiled.bind_names.items()
    if collected or any(bind.callable for bind, _ in binds):
        return None
    own_values = compiled.construct_params(
        {}, extracted_parameters=extracted, escape_names=False, _check=False
    )
    given = set(names)
    sources: dict[str, str | None] = {}
    for bind, name in binds:
        if bind.key in given:
            sources[name] = bind.key
        elif name in given:
            sources[name] = name
        elif bind.required:
            return None
        else:
            sources[name] = None
    positions = compiled.positiontup or []
    if any(name not in sources for name in positions):
        return None
    return tuple((sources[name], own_values[name], processors.get(name)) for name in positions)


def bind_arguments(plan: Plan, parameters: Mapping[str, Any]) -> list[Any]:
    """The positional arguments of one execution, as SQLAlchemy's execution context makes them."""
    if plan.slots is not None:
        arguments = []
        for key, own_value, processor in plan.slots:
            value = own_value if key is None else parameters[key]
            arguments.append(value if processor is None else processor(value))
        return arguments
    values = plan.compiled.construct_params(
        parameters,
        escape_names=False,
        extracted_parameters=plan.extracted,
        _collected_params=plan.collected,
    )
    processors = plan.bind_processors
    return [
        processors[name](values[name]) if name in processors else values[name]
        for name in plan.positions
    ]


class DriverResult(IteratorResult[Any]):
    """The rows of one driver execution, with the `rowcount` a cursor result would have."""

    status: str | None = None
    records: list[Any] | None = None
    """The driver's rows, when no column has a result processor (else None)."""
    record_keys: tuple[str, ...] = ()

    def row_dicts(self) -> list[dict[str, Any]] | None:
        """Every row as a dict of its columns, straight from the driver's records, skipping a
        `Row` per record (what generated/support.py's `row_dicts` asks a result for first);
        None when a column needs a result processor, so the rows must be read as rows."""
        records = self.records
        if records is None:
            return None
        self.records = None
        self._soft_close(hard=True)
        keys = self.record_keys
        return [dict(zip(keys, record, strict=True)) for record in records]

    @property
    def rowcount(self) -> int:
        """Rows matched, from PostgreSQL's command tag ("UPDATE 1"), as SQLAlchemy reads it."""
        found = _ROW_COUNT.match(self.status or "")
        return int(found.group(1)) if found else -1


_ROW_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


class DriverConnection(AsyncConnection):
    """An `AsyncConnection` whose plain single statements run on the driver connection."""

    __slots__ = ("plans",)

    def __init__(self, engine: Any, plans: Plans) -> None:
        super().__init__(engine)
        self.plans = plans

    async def execute(  # type: ignore[override]
        self,
        statement: Any,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Result[Any]:
        single = {} if parameters is None else parameters
        if execution_options is None and isinstance(single, dict):
            plan = self._plan_for(statement, single)
            if plan is not None:
                return await self._run(plan, single)
        result: Result[Any] = await super().execute(
            statement, parameters, execution_options=execution_options
        )
        return result

    async def __aexit__(self, kind: Any, error: Any, trace: Any) -> None:
        """Return the connection to the pool in this task when that cannot wait on anything.

        SQLAlchemy closes in a task of its own, shielded, so that a cancellation cannot leave
        a connection half returned: a task and a shield per request, a tenth of a read's
        connection handling. Returning a connection waits on the server only to roll back a
        transaction, to close an invalidated connection, or to close an overflow connection
        the pool has no room for; with none of those possible, the return runs to its end
        without yielding, so nothing can cancel it halfway and the shield is not needed.
        Otherwise SQLAlchemy's own close runs.
        """
        sync = self.sync_connection
        pool = self.sync_engine.pool
        if (
            sync is not None
            and not sync.closed
            and not sync.invalidated
            and not sync.in_transaction()
            and isinstance(pool, QueuePool)
            and pool.overflow() <= 0  # every pooled connection fits back in the queue
        ):
            await greenlet_spawn(sync.close)
            return
        await super().__aexit__(kind, error, trace)

    async def commit(self) -> None:
        """Nothing to commit unless SQLAlchemy began a transaction (driver statements never do)."""
        sync = self.sync_connection
        if sync is not None and not sync.in_transaction() and not sync.invalidated:
            return
        await super().commit()

    def _plan_for(self, statement: Any, parameters: Mapping[str, Any]) -> Plan | None:
        sync = self.sync_connection
        if sync is None or sync.closed or sync.invalidated or sync.in_transaction():
            return None
        if sync._has_events or sync.engine._has_events or sync._execution_options:
            return None
        adapter = sync.connection.dbapi_connection
        if getattr(adapter, "isolation_level", None) != "autocommit":
            return None
        return self.plans.find(self, statement, tuple(sorted(parameters)))

    async def _run(self, plan: Plan, parameters: Mapping[str, Any]) -> Result[Any]:
        sync = self.sync_connection
        assert sync is not None
        dialect = sync.dialect
        arguments = bind_arguments(plan, parameters)
        adapter: Any = sync.connection.dbapi_connection
        try:
            prepared, attributes = await adapter._prepare(
                plan.sql,
                dialect._invalidate_schema_cache_asof,  # type: ignore[attr-defined]
            )
            records = await prepared.fetch(*arguments)
        except Exception as error:
            await self._raise_translated(error, plan.sql, arguments)
        oids = tuple(attribute.type.oid for attribute in attributes)
        metadata = self.plans.metadata(plan, oids)
        result = DriverResult(metadata, iter(records))
        if metadata._processors is None:
            result.records, result.record_keys = records, plan.keys
        result.status = prepared.get_statusmsg()
        return result

    async def _raise_translated(self, error: Exception, sql: str, arguments: list[Any]) -> None:
        """Raise what SQLAlchemy's execute would raise for `error`, invalidating a dead link."""
        sync = self.sync_connection
        assert sync is not None
        dialect = sync.dialect
        dbapi_error_class = dialect.loaded_dbapi.Error
        adapter: Any = sync.connection.dbapi_connection
        try:
            adapter._handle_exception(error)  # raises the driver error as the DBAPI's
        except dbapi_error_class as translated:
            invalidated = dialect.is_disconnect(translated, sync.connection, None)
            if invalidated:
                await self.invalidate(translated)
            raise sa_exc.DBAPIError.instance(
                sql,
                arguments,
                translated,
                dbapi_error_class,
                hide_parameters=sync.engine.hide_parameters,
                dialect=dialect,
                ismulti=False,
                connection_invalidated=invalidated,
            ) from error


__all__ = ["DriverConnection", "Plans"]
