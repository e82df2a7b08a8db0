"""Concurrency checks run both in process (test_concurrency) and over real HTTP (workers)."""

from __future__ import annotations

import asyncio

import httpx

from tests.task_api import (
    Json,
    assert_task,
    collection,
    complete_url,
    create,
    item,
)

CREATES = 50
TOGGLES = 20


async def concurrent_creates(client: httpx.AsyncClient, owner: str) -> list[Json]:
    """CREATES creates at once; all succeed, with distinct ids, and the list shows them all."""
    responses = await asyncio.gather(
        *(
            client.post(collection(owner), json={"title": f"task {number:02d}"})
            for number in range(CREATES)
        )
    )
    for response in responses:
        assert response.status_code == 201, response.text
    tasks = [assert_task(response.json()) for response in responses]
    assert len({task["id"] for task in tasks}) == CREATES, "two creates got the same id"
    assert sorted(task["title"] for task in tasks) == [f"task {n:02d}" for n in range(CREATES)]

    listed = await client.get(collection(owner), params={"limit": 100, "sort": "title"})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total_count"] == CREATES
    assert sorted(row["id"] for row in page["data"]) == sorted(task["id"] for task in tasks)
    return tasks


async def concurrent_toggles(client: httpx.AsyncClient, owner: str, count: int) -> None:
    """`count` toggles at once: the end state follows the count's parity, and the answers
    alternate as they would one after another (half say true, half false)."""
    task = await create(client, owner, title="toggled", completed=False)
    responses = await asyncio.gather(
        *(client.patch(complete_url(owner, task["id"])) for _ in range(count))
    )
    for response in responses:
        assert response.status_code == 200, response.text
    states = [response.json()["completed"] for response in responses]
    assert states.count(True) == (count + 1) // 2, f"lost or doubled toggles: {states}"
    assert states.count(False) == count // 2, f"lost or doubled toggles: {states}"

    final = await client.get(item(owner, task["id"]))
    assert final.status_code == 200, final.text
    assert final.json()["completed"] is (count % 2 == 1)
    assert final.json()["title"] == "toggled"
