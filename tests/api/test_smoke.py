"""The shortest path through the API: create, then read back, on each database."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_created_task_reads_back(client: httpx.AsyncClient, owner: str) -> None:
    created = await client.post(f"/api/{owner}/tasks", json={"title": "Buy milk"})
    assert created.status_code == 201, created.text
    task = created.json()
    assert created.headers["location"] == f"/api/{owner}/tasks/{task['id']}"
    fetched = await client.get(f"/api/{owner}/tasks/{task['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == task
