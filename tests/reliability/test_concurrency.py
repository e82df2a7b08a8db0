"""Concurrent requests on one owner and one row: nothing lost, nothing doubled, nothing undead.

All requests run at once through the in-process app (asyncio.gather), sharing its pool; on
SQLite the file database is shared by the pool's connections.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.reliability.scenarios import TOGGLES, concurrent_creates, concurrent_toggles
from tests.task_api import (
    Json,
    all_rows,
    assert_not_server_error,
    assert_task,
    complete_url,
    create,
    item,
)

pytestmark = pytest.mark.anyio

ROUNDS = 3
"""Rounds of mixed writes on a fresh row, each ending with the row deleted."""


async def test_concurrent_creates_for_one_owner_make_distinct_rows(
    client: httpx.AsyncClient, owner: str
) -> None:
    await concurrent_creates(client, owner)


@pytest.mark.parametrize("count", [TOGGLES, TOGGLES + 1])
async def test_concurrent_toggles_are_never_lost(
    client: httpx.AsyncClient, owner: str, count: int
) -> None:
    await concurrent_toggles(client, owner, count)


@dataclass(frozen=True)
class Timed:
    """One request of a round: what it was, when it was sent and answered, and the answer."""

    method: str
    sent: float
    answered: float
    response: httpx.Response


async def timed(client: httpx.AsyncClient, method: str, url: str, body: Json | None) -> Timed:
    loop = asyncio.get_running_loop()
    sent = loop.time()
    response = await client.request(method, url, json=body)
    return Timed(method, sent, loop.time(), response)


async def after(delay: float, requests: list[Coroutine[Any, Any, Timed]]) -> list[Timed]:
    await asyncio.sleep(delay)
    return list(await asyncio.gather(*requests))


async def test_concurrent_writes_and_deletes_of_one_row_never_fail_or_resurrect_it(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    bystander = await create(client, other_owner, title="bystander")
    shuffle = random.Random(20261127).shuffle
    for round_number in range(ROUNDS):
        task = await create(client, owner, title=f"round {round_number}")
        url = item(owner, task["id"])
        requests: list[tuple[str, str, Json | None]] = [
            *(("PUT", url, {"title": f"put {n}", "description": "d"}) for n in range(6)),
            *(("PATCH", url, {"description": f"patch {n}"}) for n in range(6)),
            *(("PATCH", complete_url(owner, task["id"]), None) for _ in range(4)),
            *(("GET", url, None) for _ in range(4)),
            *(("DELETE", url, None) for _ in range(3)),
        ]
        shuffle(requests)
        # Writes keep arriving after the deletes: a second wave starts once the first is sent.
        first = [timed(client, method, target, body) for method, target, body in requests]
        second = [
            timed(client, method, target, body)
            for method, target, body in requests
            if method != "DELETE"
        ]

        answers_first, answers_second = await asyncio.gather(
            asyncio.gather(*first), after(0.01, second)
        )
        answers = [*answers_first, *answers_second]

        for answer in answers:
            assert_not_server_error(answer.response)
            expected = {"DELETE": {204, 404}}.get(answer.method, {200, 404})
            assert answer.response.status_code in expected, (answer.method, answer.response.text)
            if answer.response.status_code == 200:
                row = assert_task(answer.response.json())
                assert (row["id"], row["user_id"]) == (task["id"], owner)

        deletes = [answer for answer in answers if answer.method == "DELETE"]
        succeeded = [answer for answer in deletes if answer.response.status_code == 204]
        assert len(succeeded) == 1, [answer.response.status_code for answer in deletes]
        deleted_at = succeeded[0].answered
        for answer in answers:
            if answer.sent > deleted_at:
                assert answer.response.status_code == 404, (
                    f"{answer.method} sent after the delete answered brought the row back: "
                    f"{answer.response.text}"
                )

        # After the dust settles: gone for good, and no write can bring it back.
        for method, target, body in [
            ("GET", url, None),
            ("PUT", url, {"title": "again"}),
            ("PATCH", url, {"title": "again"}),
            ("PATCH", complete_url(owner, task["id"]), None),
            ("DELETE", url, None),
            ("GET", url, None),
        ]:
            response = await client.request(method, target, json=body)
            assert response.status_code == 404, (method, response.text)
        assert all(row["id"] != task["id"] for row in await all_rows(client, owner))
    assert await all_rows(client, other_owner) == [bystander]
