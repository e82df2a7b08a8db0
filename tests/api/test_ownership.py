"""Another owner's row is indistinguishable from a missing one, and is never touched.

The generated contract tests check this for each generated operation; these add the
`/complete` extension, an empty PATCH body, owners' filtered and sorted lists, case-sensitive
owners and owner keys in PUT and PATCH bodies.

For every operation that names a row, the owner in the path decides: asking for someone else's
id answers exactly what a missing id answers (same status, same body apart from the id number),
and the victim's row reads back byte for byte as before. Lists never show other owners' rows.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.task_api import Json, collection, create, item

pytestmark = pytest.mark.anyio


async def missing_id(client: httpx.AsyncClient, owner: str) -> int:
    """An id that surely names no row: one that existed and was deleted."""
    task = await create(client, owner, title="deleted")
    response = await client.delete(item(owner, task["id"]))
    assert response.status_code == 204
    task_id: int = task["id"]
    return task_id


async def snapshot(client: httpx.AsyncClient, owner: str, task_id: int) -> tuple[bytes, bytes]:
    """The victim's row and list, as raw bytes."""
    row = await client.get(item(owner, task_id))
    assert row.status_code == 200, row.text
    listing = await client.get(collection(owner), params={"limit": 100})
    assert listing.status_code == 200, listing.text
    return row.content, listing.content


def without_id(response: httpx.Response, task_id: int) -> str:
    """The response body with the id number blanked out."""
    return re.sub(rf"\b{task_id}\b", "<id>", response.text)


async def assert_answers_like_a_missing_id(
    client: httpx.AsyncClient,
    *,
    victim: str,
    intruder: str,
    method: str,
    suffix: str = "",
    body: Json | None = None,
) -> None:
    task = await create(client, victim, title="Private", description="secret", completed=False)
    before = await snapshot(client, victim, task["id"])
    absent = await missing_id(client, intruder)

    foreign = await client.request(method, item(intruder, task["id"]) + suffix, json=body)
    missing = await client.request(method, item(intruder, absent) + suffix, json=body)

    assert foreign.status_code == 404, foreign.text
    assert missing.status_code == 404, missing.text
    assert foreign.json()["error"]["code"] == "not_found"
    assert without_id(foreign, task["id"]) == without_id(missing, absent)
    assert foreign.headers.get("content-type") == missing.headers.get("content-type")
    assert await snapshot(client, victim, task["id"]) == before


async def test_other_owners_task_cannot_be_updated_with_an_empty_body(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    await assert_answers_like_a_missing_id(
        client, victim=owner, intruder=other_owner, method="PATCH", body={}
    )


async def test_other_owners_task_cannot_be_toggled(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    await assert_answers_like_a_missing_id(
        client, victim=owner, intruder=other_owner, method="PATCH", suffix="/complete"
    )


async def test_other_owners_task_cannot_be_completed(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    await assert_answers_like_a_missing_id(
        client,
        victim=owner,
        intruder=other_owner,
        method="PATCH",
        suffix="/complete",
        body={"completed": True},
    )


async def test_list_never_includes_other_owners_rows(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    for number in range(3):
        await create(client, owner, title=f"victim {number}", completed=number == 0)
    mine = await create(client, other_owner, title="mine", completed=True)
    for params in ({}, {"completed": "true"}, {"completed": "false"}, {"sort": "title"}):
        response = await client.get(collection(other_owner), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        expected = [] if params.get("completed") == "false" else [mine["id"]]
        assert [task["id"] for task in page["data"]] == expected, params
        assert page["total_count"] == len(expected), params
        assert page["has_more"] is False
        assert all(task["user_id"] == other_owner for task in page["data"])


async def test_total_count_past_the_end_never_counts_other_owners_rows(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    for number in range(3):
        await create(client, owner, title=f"victim {number}", completed=True)
    await create(client, other_owner, title="mine", completed=True)
    queries: list[dict[str, str | int]] = [{"offset": 5}, {"offset": 5, "completed": "true"}]
    for params in queries:
        response = await client.get(collection(other_owner), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["data"] == []
        assert page["total_count"] == 1, params
        assert page["has_more"] is False


async def test_owners_differing_only_in_case_are_different_owners(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner)
    shouting = owner.upper()
    assert shouting != owner
    response = await client.get(collection(shouting))
    assert response.status_code == 200
    assert response.json()["total_count"] == 0
    assert (await client.get(item(shouting, task["id"]))).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_owner_cannot_be_reassigned_through_the_body(
    client: httpx.AsyncClient, owner: str, other_owner: str, method: str
) -> None:
    task = await create(client, other_owner, title="theirs")
    before = await snapshot(client, other_owner, task["id"])
    url = collection(other_owner) if method == "POST" else item(other_owner, task["id"])
    response = await client.request(method, url, json={"title": "moved", "user_id": owner})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert await snapshot(client, other_owner, task["id"]) == before
    assert (await client.get(collection(owner))).json()["total_count"] == 0
