"""The probes: `/healthz` says the process answers, `/readyz` says the database does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.settings import Settings
from tests.fixtures import asgi_client, free_port
from tests.task_api import assert_error

pytestmark = pytest.mark.anyio


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ready_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready"}


@pytest.fixture(params=["sqlite", "postgres"])
def unreachable_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each kind that cannot be opened; needs no server."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    return f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"  # nobody listens there


@pytest.fixture
async def unready_client(unreachable_database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=unreachable_database_url, db_connect_timeout=2))
    async with asgi_client(app) as http:
        yield http


async def test_readyz_is_503_in_the_envelope_when_the_database_cannot_be_reached(
    unready_client: httpx.AsyncClient,
) -> None:
    response = await unready_client.get("/readyz")
    assert_error(response, 503, "service_unavailable")


async def test_healthz_stays_ok_when_the_database_cannot_be_reached(
    unready_client: httpx.AsyncClient,
) -> None:
    response = await unready_client.get("/healthz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}
