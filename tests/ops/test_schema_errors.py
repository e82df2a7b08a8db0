"""A database that lacks the schema the code needs: `/readyz` says which revisions and what to
run, and a request that meets a missing table or column is a 500 whose log names the fix,
never a 503 that sends people looking for an outage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import text

from app.main import create_app
from app.settings import Settings
from tests.fixtures import POSTGRES_HELP, ROOT, asgi_client, run_alembic, scratch_postgres_url
from tests.ops.capture import captured_logs
from tests.ops.metrics_text import sample
from tests.task_api import assert_error, collection, create, item

pytestmark = pytest.mark.anyio


def code_head() -> str:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each kind with no migration applied."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    url = scratch_postgres_url("schema_empty")
    if url is None:
        pytest.skip(POSTGRES_HELP)
    return url


@pytest.fixture
async def empty_app(empty_database_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(Settings(database_url=empty_database_url))
    async with asgi_client(app) as http:
        yield app, http


async def test_readyz_names_both_revisions_and_the_fix(
    empty_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, http = empty_app
    with captured_logs() as logs:
        response = await http.get("/readyz")
    assert_error(response, 503, "service_unavailable")
    message = response.json()["error"]["message"]
    assert "at revision none (no migration applied)" in message
    assert f"the code needs {code_head()}" in message
    assert "run `make migrate`" in message
    assert "make migrate" in logs.text


async def test_a_missing_table_is_a_500_whose_log_names_the_fix(
    empty_app: tuple[FastAPI, httpx.AsyncClient], owner: str
) -> None:
    _, http = empty_app
    with captured_logs() as logs:
        response = await http.get(collection(owner), headers={"X-Request-ID": "no-table"})
    assert_error(response, 500, "internal_error")
    errors = [line for line in logs.lines() if " ERROR app.errors [no-table] " in line]
    assert len(errors) == 1, logs.text
    assert "run `make migrate`" in errors[0]
    assert "tasks" in errors[0]  # the table it lacks
    scrape = (await http.get("/metrics")).text
    assert sample(scrape, "db_errors_total", kind="schema") == 1
    assert sample(scrape, "db_errors_total", kind="unavailable") == 0


async def test_readyz_turns_ready_once_migrated_without_a_restart(
    empty_app: tuple[FastAPI, httpx.AsyncClient], empty_database_url: str, owner: str
) -> None:
    app, http = empty_app
    assert (await http.get("/readyz")).status_code == 503
    result = run_alembic(empty_database_url, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    response = await http.get("/readyz")
    assert response.status_code == 200, response.text
    assert app.state.schema_check.confirmed  # later probes are one SELECT 1
    await create(http, owner)


async def test_a_missing_column_is_a_500_whose_log_names_the_fix(
    empty_app: tuple[FastAPI, httpx.AsyncClient], empty_database_url: str, owner: str
) -> None:
    app, http = empty_app
    assert run_alembic(empty_database_url, "upgrade", "head").returncode == 0
    task = await create(http, owner)
    assert (await http.get("/readyz")).status_code == 200
    await _drop_description_column(app)
    with captured_logs() as logs:
        read = await http.get(item(owner, task["id"]))
        created = await http.post(collection(owner), json={"title": "t", "description": "d"})
    assert_error(read, 500, "internal_error")
    assert_error(created, 500, "internal_error")
    fixes = [line for line in logs.lines() if "run `make migrate`" in line]
    assert len(fixes) == 2, logs.text
    assert not app.state.schema_check.confirmed  # the next probe looks again


async def _drop_description_column(app: FastAPI) -> None:
    async with app.state.database.engine.connect() as conn:
        await conn.execute(text("ALTER TABLE tasks DROP COLUMN description"))


async def test_a_database_a_newer_release_migrated_stays_ready(
    empty_app: tuple[FastAPI, httpx.AsyncClient], empty_database_url: str
) -> None:
    """During a rolling deploy the old processes must not all drop out of the load balancer."""
    app, http = empty_app
    assert run_alembic(empty_database_url, "upgrade", "head").returncode == 0
    async with app.state.database.engine.connect() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    with captured_logs() as logs:
        response = await http.get("/readyz")
    assert response.status_code == 200, response.text
    assert "f00dfacef00d, which this code does not know" in logs.text
