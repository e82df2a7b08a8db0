"""`PATCH .../complete` and conditional requests: the extension follows Task's `concurrency`.

The extension reads Task's rules from the generated seam (`RowGuard`), so it is right whatever
the spec says. spec/tasks.yaml leaves `concurrency` off, which the first test checks here; the
others run in a copy of the project whose spec turns `concurrency: required` on
(tests/examples/test_task_concurrency.py), and skip here.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.extensions.task_complete import GUARD
from tests.task_api import TASKS, Json, assert_error, complete_url, item

pytestmark = pytest.mark.anyio


async def create(client: httpx.AsyncClient, owner: str, **fields: object) -> Json:
    """A new task; its keys depend on the spec (`version` with concurrency), so taken as given."""
    return await TASKS.create(client, owner, {"title": "A task", **fields})


required = pytest.mark.skipif(
    GUARD.concurrency != "required",
    reason="Task has no `concurrency: required` in this spec; see test_task_concurrency.py",
)


@pytest.mark.skipif(GUARD.versioned, reason="Task has versions in this spec")
async def test_without_concurrency_if_match_is_not_looked_at(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner)
    response = await client.patch(complete_url(owner, task["id"]), headers={"If-Match": '"99"'})
    assert response.status_code == 200, response.text
    assert "etag" not in response.headers
    assert "version" not in response.json()


@required
async def test_complete_without_if_match_is_428_and_changes_nothing(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, completed=False)
    response = await client.patch(complete_url(owner, task["id"]))
    assert_error(response, 428, "precondition_required")
    assert (await client.get(item(owner, task["id"]))).json() == task


@required
@pytest.mark.parametrize("body", [None, {"completed": True}])
async def test_complete_naming_the_current_etag_moves_the_version(
    client: httpx.AsyncClient, owner: str, body: dict[str, bool] | None
) -> None:
    task = await create(client, owner, completed=False)
    response = await client.patch(
        complete_url(owner, task["id"]), json=body, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["completed"] is True
    assert response.json()["version"] == 2
    assert response.headers["etag"] == '"2"'


@required
@pytest.mark.parametrize("body", [None, {"completed": True}])
async def test_complete_naming_a_stale_etag_is_412_and_changes_nothing(
    client: httpx.AsyncClient, owner: str, body: dict[str, bool] | None
) -> None:
    task = await create(client, owner, completed=False)
    url = complete_url(owner, task["id"])
    assert (await client.patch(url, headers={"If-Match": '"1"'})).status_code == 200
    current = (await client.get(item(owner, task["id"]))).json()
    response = await client.patch(url, json=body, headers={"If-Match": '"1"'})
    assert_error(response, 412, "precondition_failed")
    assert (await client.get(item(owner, task["id"]))).json() == current


@required
async def test_complete_of_a_missing_or_others_task_is_404_with_if_match(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    theirs = await create(client, other_owner)
    for tag in ('"1"', "*"):
        response = await client.patch(complete_url(owner, theirs["id"]), headers={"If-Match": tag})
        assert_error(response, 404, "not_found")


@required
async def test_parallel_toggles_with_one_etag_give_exactly_one_success(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, completed=False)
    url = complete_url(owner, task["id"])
    responses = await asyncio.gather(
        *(client.patch(url, headers={"If-Match": '"1"'}) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 7
    after = (await client.get(item(owner, task["id"]))).json()
    assert after["completed"] is True
    assert after["version"] == 2
