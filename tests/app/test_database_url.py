"""DATABASE_URL in the forms hosts print it becomes one async URL and driver options."""

from __future__ import annotations

import pytest

from app.database_url import resolve
from app.settings import ConfigError


def test_neon_libpq_url_becomes_asyncpg_with_ssl() -> None:
    target = resolve(
        "postgresql://alex:secret@ep-cool-1234.eu-central-1.aws.neon.tech/neondb"
        "?sslmode=require&channel_binding=require"
    )
    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.host == "ep-cool-1234.eu-central-1.aws.neon.tech"
    assert target.url.password == "secret"
    assert dict(target.url.query) == {}
    assert target.connect_args["ssl"] == "require"


def test_pooled_endpoints_can_turn_the_prepared_statement_cache_off() -> None:
    target = resolve("postgres://u@ep-x-pooler.neon.tech/db", statement_cache_size=0)
    assert target.url.drivername == "postgresql+asyncpg"
    assert target.connect_args["statement_cache_size"] == 0


def test_timeouts_reach_the_driver() -> None:
    target = resolve(
        "postgresql://u@h/db?connect_timeout=7&application_name=api",
        connect_timeout=3,
        statement_timeout=2.5,
    )
    assert target.connect_args["timeout"] == 7.0
    assert target.connect_args["server_settings"] == {
        "statement_timeout": "2500",
        "TimeZone": "UTC",
        "application_name": "api",
    }


def test_sqlite_urls_use_aiosqlite_and_create_the_folder(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "nested" / "dir"
    target = resolve(f"sqlite:///{folder}/app.db")
    assert target.url.drivername == "sqlite+aiosqlite"
    assert target.is_sqlite
    assert folder.is_dir()


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mysql://u@h/db", "expected postgresql://"),
        ("not a url", "not a database URL"),
        ("postgresql://u@h/db?sslmode=sometimes", "sslmode"),
        ("postgresql://u@h/db?frobnicate=1", "frobnicate"),
        ("postgresql://u@h/db?connect_timeout=soon", "connect_timeout"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_message(url: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        resolve(url)
