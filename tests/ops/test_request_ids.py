"""`X-Request-ID`: the client's when sane, a new one otherwise, on every answer and log line."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from app.main import create_app
from app.observe import RequestObserver
from app.request_id import HEADER, current_request_id, request_id_from
from app.settings import Settings
from tests.fixtures import asgi_client, free_port
from tests.ops.capture import captured_logs
from tests.task_api import MIB, assert_error, collection, item

pytestmark = pytest.mark.anyio

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "sent",
    [
        "abc-123",
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "Root=1-5759e988-bd862e3fe1be46a994272793",
        "x" * 128,
    ],
)
def test_a_sane_request_id_is_kept(sent: str) -> None:
    assert request_id_from([(b"x-request-id", sent.encode())]) == sent


@pytest.mark.parametrize(
    "sent",
    [b"", b"x" * 129, b"has space", b'quote"d', b"new\nline", "caf\u00e9".encode(), b"a\x00b"],
)
def test_an_insane_request_id_is_replaced(sent: bytes) -> None:
    assert GENERATED_ID.fullmatch(request_id_from([(b"x-request-id", sent)]))


def test_each_request_without_an_id_gets_its_own() -> None:
    first, second = request_id_from([]), request_id_from([])
    assert GENERATED_ID.fullmatch(first) and GENERATED_ID.fullmatch(second)
    assert first != second


async def test_the_clients_id_comes_back(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.get(collection(owner), headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "trace-42"


async def test_an_insane_id_is_not_echoed(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.get(collection(owner), headers={"X-Request-ID": "x" * 200})
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_every_error_answer_carries_the_id(client: httpx.AsyncClient, owner: str) -> None:
    url = collection(owner)
    requests: list[tuple[int, str, str, dict[str, Any]]] = [
        (404, "GET", "/no/such/route", {}),
        (404, "GET", item(owner, 999_999_999), {}),
        (405, "DELETE", url, {}),
        (413, "POST", url, {"content": b"x" * (MIB + 1)}),
        (415, "POST", url, {"content": b"title=x"}),
        (422, "POST", url, {"json": {"title": ""}}),
    ]
    for status, method, path, options in requests:
        request_id = f"req-{status}-{method}"
        response = await client.request(
            method, path, headers={"X-Request-ID": request_id}, **options
        )
        assert response.status_code == status, response.text
        assert response.headers["x-request-id"] == request_id


@pytest.fixture
async def failing_client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app with one extra route that logs a line and then fails with a bug."""
    app: FastAPI = create_app(Settings(database_url=sqlite_url))

    async def boom() -> None:
        logging.getLogger("tests.boom").warning("about to fail")
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    async with asgi_client(app) as http:
        yield http


async def test_a_500_carries_the_id_and_every_line_of_its_request_names_it(
    failing_client: httpx.AsyncClient,
) -> None:
    with captured_logs() as logs:
        response = await failing_client.get("/boom", headers={"X-Request-ID": "the-bad-one"})
    assert_error(response, 500, "internal_error")
    assert response.headers["x-request-id"] == "the-bad-one"
    ours = [line for line in logs.lines() if "[the-bad-one]" in line]
    assert any("tests.boom" in line and "about to fail" in line for line in ours), logs.text
    assert any("app.errors" in line and "unhandled error" in line for line in ours), logs.text
    assert any("app.access" in line and "GET /boom 500" in line for line in ours), logs.text


async def test_a_503_carries_the_id(tmp_path: Path) -> None:
    # A directory is a SQLite database that cannot be opened; nobody listens on a free port.
    for url in (f"sqlite+aiosqlite:///{tmp_path}", f"postgresql://x@127.0.0.1:{free_port()}/x"):
        app = create_app(Settings(database_url=url, db_connect_timeout=2))
        async with asgi_client(app) as http:
            response = await http.get("/api/alice/tasks", headers={"X-Request-ID": "outage-1"})
        assert_error(response, 503, "service_unavailable")
        assert response.headers["x-request-id"] == "outage-1"


async def test_the_servers_own_line_about_an_exception_still_names_the_request() -> None:
    """uvicorn logs an exception that leaves the app in the request's task, after the layer."""

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    async def serve_like_uvicorn() -> str:
        layer = RequestObserver(failing, metrics=None, prefixed={})
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [(HEADER, b"seen")]}
        try:
            await layer(scope, receive, send)
        except RuntimeError:
            return current_request_id.get()
        raise AssertionError("the exception was swallowed")

    before = current_request_id.get()
    assert await asyncio.create_task(serve_like_uvicorn()) == "seen"
    assert current_request_id.get() == before  # the value went with the request's task
