"""Alembic environment: the generated models' metadata, on SQLite or PostgreSQL.

The URL comes from the same settings and the same translation as the app, so a
DATABASE_URL that serves also migrates. SQLite runs in batch mode (it cannot ALTER most
things in place), so one set of revisions serves both databases.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import ForeignKeyConstraint, inspect, text
from sqlalchemy.engine import Connection

from app.db import make_engine
from app.settings import ConfigError, load_settings
from generated.models import Base
from generated.references import (
    NEXT_VERSION_FUNCTION,
    OwnedReference,
    has_column_list,
    set_null_trigger,
    set_null_version_trigger,
)
from generated.support import UTCDateTime

target_metadata = Base.metadata
if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

# Migrations may rewrite big tables: give them far more time than a request gets.
MIGRATION_STATEMENT_TIMEOUT = 3600.0


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write generated column types as plain SQLAlchemy, so revisions never import generated/."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(
    item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out the one difference that is not one: SQLite stores a `set_null` reference
    without PostgreSQL's column list (a trigger nulls the field there instead)."""
    if kind != "foreign_key_constraint" or not isinstance(compare_to, ForeignKeyConstraint):
        return True
    actions = {item.ondelete, compare_to.ondelete}
    return not (None in actions and any(has_column_list(action) for action in actions))


def _sqlite_triggers(connection: Connection) -> tuple[list[str], list[str]]:
    """The `set_null` triggers there are, and those the models want where their tables and
    columns exist (an older revision may lack them)."""
    found = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    wanted = []
    for table in target_metadata.sorted_tables:
        for reference in table.foreign_key_constraints:
            if not (isinstance(reference, OwnedReference) and has_column_list(reference.ondelete)):
                continue
            target = reference.elements[0].column.table.name
            columns = (
                {c["name"] for c in inspector.get_columns(table.name)}
                if table.name in tables
                else set()
            )
            if target in tables and reference.field in columns:
                wanted.append(set_null_trigger(reference, versioned="version" in columns))
    names = [row[0] for row in found if row[0].startswith("fk_") and row[0].endswith("_set_null")]
    return names, wanted


def _run_sqlite_migrations(connection: Connection) -> None:
    """Migrate with foreign keys off (table rebuilds would otherwise act on the rows pointing
    at the rebuilt table), the `set_null` triggers dropped and made anew, then check every
    foreign key: a revision that leaves a row pointing at nothing, or across owners, fails."""
    existing, _ = _sqlite_triggers(connection)
    for name in existing:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    context.run_migrations()
    _, wanted = _sqlite_triggers(connection)
    for statement in wanted:
        connection.exec_driver_sql(statement)
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise SystemExit(f"error: rows break foreign keys after migrating: {broken[:10]}")


def _postgres_version_triggers(connection: Connection) -> tuple[list[str], list[str]]:
    """The triggers that move a row's `version` when `SET NULL (field)` empties a reference:
    DROP statements for those there are, and the statements that make the ones the models
    want where the table has the field and the version (an older revision may lack them)."""
    found = connection.execute(
        text(
            "SELECT t.tgname, c.relname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND p.proname = :function"
        ),
        {"function": NEXT_VERSION_FUNCTION},
    ).all()
    drops = [f'DROP TRIGGER "{name}" ON "{table}"' for name, table in found]
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    wanted: list[str] = []
    for table in target_metadata.sorted_tables:
        if table.name not in tables:
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        for reference in table.foreign_key_constraints:
            if (
                isinstance(reference, OwnedReference)
                and has_column_list(reference.ondelete)
                and {reference.field, "version"} <= columns
            ):
                wanted.extend(set_null_version_trigger(reference))
    return drops, wanted


def _run_postgres_migrations(connection: Connection) -> None:
    """Migrate with the version triggers dropped (a trigger on a column would stop a revision
    that drops or changes it), then make anew those the models want."""
    drops, _ = _postgres_version_triggers(connection)
    for statement in drops:
        connection.exec_driver_sql(statement)
    context.run_migrations()
    _, wanted = _postgres_version_triggers(connection)
    for statement in wanted:
        connection.exec_driver_sql(statement)


def _configure(connection: Connection | None = None, **extra: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=True,
        render_item=render_item,
        include_object=include_object,
        # Every constraint is named by the metadata's naming convention, which is what
        # Alembic's by-name CHECK comparison needs to detect enum CHECKs without false alarms.
        autogenerate_plugins=["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"],
        # One transaction for the whole upgrade on both databases. Alembic assumes SQLite
        # cannot roll back DDL and commits after each revision; the migration engine sends its
        # own BEGIN (app/db.py), so SQLite's DDL is transactional here as PostgreSQL's is.
        transactional_ddl=True,
        **extra,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Behind PgBouncer no start-up parameter carries the timeout, and the role may
            # have a request-sized default (`ALTER ROLE ... SET statement_timeout`): raise it
            # for this transaction only, which holds one server connection throughout.
            milliseconds = int(MIGRATION_STATEMENT_TIMEOUT * 1000)
            connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
        if connection.dialect.name == "sqlite":
            _run_sqlite_migrations(connection)
        else:
            _run_postgres_migrations(connection)


async def run_online() -> None:
    try:
        settings = load_settings()
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    settings = settings.model_copy(update={"db_statement_timeout": MIGRATION_STATEMENT_TIMEOUT})
    try:
        engine = make_engine(settings, autocommit=False, foreign_keys=False)
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline() -> None:
    settings = load_settings()
    _configure(url=settings.database_url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
