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
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.db import make_engine
from app.settings import ConfigError, load_settings
from generated.models import Base
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


def _configure(connection: Connection | None = None, **extra: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=True,
        render_item=render_item,
        # Every constraint is named by the metadata's naming convention, which is what
        # Alembic's by-name CHECK comparison needs to detect enum CHECKs without false alarms.
        autogenerate_plugins=["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"],
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
        context.run_migrations()


async def run_online() -> None:
    try:
        settings = load_settings()
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    settings = settings.model_copy(update={"db_statement_timeout": MIGRATION_STATEMENT_TIMEOUT})
    try:
        engine = make_engine(settings, autocommit=False)
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
