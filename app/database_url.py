"""Turn the DATABASE_URL people have into the async URL and options SQLAlchemy needs.

Hosts such as Neon print libpq URLs (`postgresql://user:pw@host/db?sslmode=require`), which
asyncpg does not accept as they are. The translation lives here, in one place, and is used by
the app and by Alembic alike.

Behind PgBouncer in transaction mode (Neon's `-pooler` host) a connection's start-up
parameters are limited to the few PgBouncer tracks, so `statement_timeout` is not sent there:
the driver's own timeout enforces it instead (see `_postgres`), and the prepared-statement
cache defaults to off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.settings import ConfigError, Pooler

POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# libpq parameters that asyncpg has no use for; dropping them keeps Neon's URLs working.
IGNORED_LIBPQ_PARAMS = {"channel_binding", "gssencmode", "target_session_attrs"}
NEON_POOLER_SUFFIX = "-pooler"
"""Neon names its pooled host after the direct one plus this: `ep-name-123-pooler.region...`."""
DEFAULT_STATEMENT_CACHE_SIZE = 100


@dataclass(frozen=True)
class DatabaseTarget:
    """The async URL and the driver's connect arguments for one database."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def resolve(
    raw_url: str,
    *,
    connect_timeout: float = 5.0,
    statement_timeout: float = 5.0,
    statement_cache_size: int | None = None,
    pooler: Pooler = "auto",
) -> DatabaseTarget:
    """The target for `raw_url`, or a `ConfigError` that says what is wrong with it.

    `statement_cache_size` None means the default for the route: on when the connection goes
    straight to PostgreSQL, off behind PgBouncer. `pooler="auto"` recognises Neon's pooled host.
    """
    try:
        url = make_url(raw_url)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL; expected postgresql://user:password@host/db "
            "or sqlite:///path/to/file.db"
        ) from None
    scheme = url.drivername
    if scheme in SQLITE_SCHEMES:
        return _sqlite(url)
    if scheme in POSTGRES_SCHEMES:
        pooled = is_pooled(url, pooler)
        if statement_cache_size is None:
            statement_cache_size = 0 if pooled else DEFAULT_STATEMENT_CACHE_SIZE
        return _postgres(url, connect_timeout, statement_timeout, statement_cache_size, pooled)
    raise ConfigError(
        f"DATABASE_URL uses {scheme!r}; expected postgresql:// (asyncpg) or sqlite:// (aiosqlite)"
    )


def _sqlite(url: URL) -> DatabaseTarget:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # Wait for a competing writer instead of failing at once with "database is locked".
    return DatabaseTarget(url.set(drivername="sqlite+aiosqlite"), {"timeout": 5.0})


def is_pooled(url: URL, pooler: Pooler) -> bool:
    """Whether connections go through PgBouncer: as configured, or Neon's `-pooler` host."""
    if pooler != "auto":
        return pooler == "pgbouncer"
    first_label = (url.host or "").split(".", 1)[0]
    return first_label.endswith(NEON_POOLER_SUFFIX)


def _postgres(
    url: URL,
    connect_timeout: float,
    statement_timeout: float,
    statement_cache_size: int,
    pooled: bool,
) -> DatabaseTarget:
    query = dict(url.query)
    # UTC sessions: timestamps without an offset (server defaults) mean UTC, as on SQLite.
    # PgBouncer accepts TimeZone and application_name at start-up and restores them on every
    # server connection it lends; it refuses statement_timeout ("unsupported startup
    # parameter"). There asyncpg's command timeout is the statement timeout: on expiry it
    # sends a cancel request, which PgBouncer forwards, so the server stops the statement too.
    # Straight to PostgreSQL, the server's own timeout fires first (57014) and the command
    # timeout, a second later, only guards against a server that stopped answering.
    server_settings = {"TimeZone": "UTC"}
    if not pooled:
        server_settings["statement_timeout"] = str(int(statement_timeout * 1000))
    connect_args: dict[str, Any] = {
        "timeout": connect_timeout,
        "command_timeout": statement_timeout if pooled else statement_timeout + 1,
        "statement_cache_size": statement_cache_size,
        "server_settings": server_settings,
    }
    ssl_mode = query.pop("sslmode", None) or query.pop("ssl", None)
    if ssl_mode is not None:
        if not isinstance(ssl_mode, str) or ssl_mode not in SSL_MODES:
            raise ConfigError(
                f"DATABASE_URL sslmode={ssl_mode!r}; expected one of {', '.join(sorted(SSL_MODES))}"
            )
        connect_args["ssl"] = ssl_mode
    if "connect_timeout" in query:
        value = query.pop("connect_timeout")
        try:
            connect_args["timeout"] = float(value if isinstance(value, str) else value[0])
        except ValueError:
            raise ConfigError(f"DATABASE_URL connect_timeout={value!r} is not a number") from None
    if "application_name" in query:
        app_name = query.pop("application_name")
        server_settings["application_name"] = (
            app_name if isinstance(app_name, str) else app_name[-1]
        )
    for name in IGNORED_LIBPQ_PARAMS:
        query.pop(name, None)
    if query:
        raise ConfigError(
            f"DATABASE_URL has parameters this app does not understand: {', '.join(sorted(query))}"
        )
    return DatabaseTarget(url.set(drivername="postgresql+asyncpg", query={}), connect_args)
