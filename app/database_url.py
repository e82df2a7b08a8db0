"""Turn the DATABASE_URL people have into the async URL and options SQLAlchemy needs.

Hosts such as Neon print libpq URLs (`postgresql://user:pw@host/db?sslmode=require`), which
asyncpg does not accept as they are. The translation lives here, in one place, and is used by
the app and by Alembic alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.settings import ConfigError

POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# libpq parameters that asyncpg has no use for; dropping them keeps Neon's URLs working.
IGNORED_LIBPQ_PARAMS = {"channel_binding", "gssencmode", "target_session_attrs"}


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
    statement_cache_size: int = 100,
) -> DatabaseTarget:
    """The target for `raw_url`, or a `ConfigError` that says what is wrong with it."""
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
        return _postgres(url, connect_timeout, statement_timeout, statement_cache_size)
    raise ConfigError(
        f"DATABASE_URL uses {scheme!r}; expected postgresql:// (asyncpg) or sqlite:// (aiosqlite)"
    )


def _sqlite(url: URL) -> DatabaseTarget:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # Wait for a competing writer instead of failing at once with "database is locked".
    return DatabaseTarget(url.set(drivername="sqlite+aiosqlite"), {"timeout": 5.0})


def _postgres(
    url: URL, connect_timeout: float, statement_timeout: float, statement_cache_size: int
) -> DatabaseTarget:
    query = dict(url.query)
    connect_args: dict[str, Any] = {
        "timeout": connect_timeout,
        "command_timeout": statement_timeout + 1,
        "statement_cache_size": statement_cache_size,
        # UTC sessions: timestamps without an offset (server defaults) mean UTC, as on SQLite.
        "server_settings": {
            "statement_timeout": str(int(statement_timeout * 1000)),
            "TimeZone": "UTC",
        },
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
        connect_args["server_settings"]["application_name"] = query.pop("application_name")
    for name in IGNORED_LIBPQ_PARAMS:
        query.pop(name, None)
    if query:
        raise ConfigError(
            f"DATABASE_URL has parameters this app does not understand: {', '.join(sorted(query))}"
        )
    return DatabaseTarget(url.set(drivername="postgresql+asyncpg", query={}), connect_args)
