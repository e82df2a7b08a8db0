"""`/metrics`: requests by route template, method and status, latency, the pool, DB errors."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.fixtures import asgi_client
from tests.ops.metrics_text import sample
from tests.task_api import assert_error, collection, create, item

pytestmark = pytest.mark.anyio

COLLECTION = "/api/{user_id}/tasks"
ITEM = "/api/{user_id}/tasks/{id}"


async def test_a_scrape_counts_the_traffic_sent(own_app: FastAPI, owner: str) -> None:
    async with asgi_client(own_app) as http:
        tasks = [await create(http, owner, title=f"t{n}") for n in range(3)]
        for task in tasks[:2]:
            assert (await http.get(item(owner, task["id"]))).status_code == 200
        assert (await http.get(item(owner, 999_999_999))).status_code == 404
        assert (await http.delete(collection(owner))).status_code == 405
        for path in ("/nothing/here", f"/elsewhere/{owner}"):
            assert (await http.get(path)).status_code == 404
        assert (await http.request("BREW", collection(owner))).status_code == 405
        scrape = (await http.get("/metrics")).text

    def requests(route: str, method: str, status: str) -> float | None:
        return sample(scrape, "http_requests_total", route=route, method=method, status=status)

    assert requests(COLLECTION, "POST", "201") == 3
    assert requests(ITEM, "GET", "200") == 2
    assert requests(ITEM, "GET", "404") == 1
    assert requests(COLLECTION, "DELETE", "405") == 1
    assert requests("unmatched", "GET", "404") == 2  # one series, however many paths
    assert requests(COLLECTION, "other", "405") == 1  # unknown methods share one label
    assert requests(COLLECTION, "GET", "200") is None  # nothing sent, no series
    latency = "http_request_duration_seconds_count"
    assert sample(scrape, latency, route=COLLECTION, method="POST") == 3
    assert sample(scrape, latency, route=ITEM, method="GET") == 3
    assert sample(scrape, "db_pool_connections_in_use") == 0
    assert sample(scrape, "db_pool_requests_waiting") == 0
    assert sample(scrape, "db_errors_total", kind="unavailable") == 0
    assert owner not in scrape


async def test_metrics_false_answers_404_in_the_envelope(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, metrics=False))
    async with asgi_client(app) as http:
        response = await http.get("/metrics")
        assert_error(response, 404, "not_found")
        assert (await http.get("/healthz")).status_code == 200


async def _scrape_until(http: httpx.AsyncClient, name: str, value: float) -> str:
    deadline = time.monotonic() + 10
    while True:
        scrape = (await http.get("/metrics")).text
        if sample(scrape, name) == value or time.monotonic() > deadline:
            return scrape
        await asyncio.sleep(0.02)


async def test_the_pool_gauges_show_connections_in_use_and_requests_waiting(
    database_url: str, owner: str
) -> None:
    settings = Settings(
        database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=20
    )
    app = create_app(settings)
    async with asgi_client(app) as http:
        await create(http, owner)  # opens the pool's one connection
        async with app.state.database.engine.connect():  # and holds it
            waiting = asyncio.create_task(http.get(collection(owner)))
            scrape = await _scrape_until(http, "db_pool_requests_waiting", 1)
            assert sample(scrape, "db_pool_requests_waiting") == 1, scrape
            assert sample(scrape, "db_pool_connections_in_use") == 1, scrape
        assert (await waiting).status_code == 200
        scrape = (await http.get("/metrics")).text
        assert sample(scrape, "db_pool_requests_waiting") == 0, scrape
        assert sample(scrape, "db_pool_connections_in_use") == 0, scrape
