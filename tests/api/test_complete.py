"""The hand-written `PATCH /api/{user_id}/tasks/{id}/complete` extension.

Without a body it toggles `completed`; with `{"completed": bool}` it sets it. It follows the
same owner scoping and error envelope as the generated routes.
"""

from __future__ import annotations

import httpx
import pytest

from tests.task_api import Json, complete_url, create, read, tick, timestamp

pytestmark = pytest.mark.anyio


async def complete(
    client: httpx.AsyncClient, owner: str, task_id: int, body: Json | None = None
) -> Json:
    response = await client.patch(complete_url(owner, task_id), json=body)
    assert response.status_code == 200, response.text
    task: Json = response.json()
    assert await read(client, owner, task_id) == task
    return task


@pytest.mark.parametrize("initial", [False, True])
async def test_complete_without_a_body_toggles(
    client: httpx.AsyncClient, owner: str, initial: bool
) -> None:
    task = await create(client, owner, completed=initial)
    once = await complete(client, owner, task["id"])
    assert once["completed"] is (not initial)
    twice = await complete(client, owner, task["id"])
    assert twice["completed"] is initial


async def test_complete_toggle_changes_nothing_else(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner, title="Title", description="text")
    toggled = await complete(client, owner, task["id"])
    unchanged = ("id", "user_id", "title", "description", "created_at")
    assert {key: toggled[key] for key in unchanged} == {key: task[key] for key in unchanged}


@pytest.mark.parametrize("initial", [False, True])
@pytest.mark.parametrize("target", [False, True])
async def test_complete_with_a_body_sets_the_state_idempotently(
    client: httpx.AsyncClient, owner: str, initial: bool, target: bool
) -> None:
    task = await create(client, owner, title="Title", description="text", completed=initial)
    for _ in range(2):
        result = await complete(client, owner, task["id"], {"completed": target})
        assert result["completed"] is target
        assert result["title"] == "Title"
        assert result["description"] == "text"
        assert result["created_at"] == task["created_at"]


@pytest.mark.parametrize("method", ["toggle", "set"])
async def test_complete_moves_updated_at_but_not_created_at(
    client: httpx.AsyncClient, owner: str, method: str
) -> None:
    task = await create(client, owner)
    await tick()
    body = None if method == "toggle" else {"completed": True}
    result = await complete(client, owner, task["id"], body)
    assert result["created_at"] == task["created_at"]
    assert timestamp(result["updated_at"]) > timestamp(task["updated_at"])


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"completed": "yes"}, ["body", "completed"]),
        ({"completed": 1}, ["body", "completed"]),
        ({"completed": None}, ["body", "completed"]),
        ({"other": 1}, ["body", "other"]),
        ({"completed": True, "other": 1}, ["body", "other"]),
        ({"completed": True, "updated_at": "2020-01-01T00:00:00Z"}, ["body", "updated_at"]),
    ],
)
async def test_complete_with_a_bad_body_is_422_and_changes_nothing(
    client: httpx.AsyncClient, owner: str, body: Json, location: list[str]
) -> None:
    task = await create(client, owner)
    before = (await client.get(f"/api/{owner}/tasks/{task['id']}")).content
    response = await client.patch(complete_url(owner, task["id"]), json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "validation_error"
    assert location in [detail["loc"][: len(location)] for detail in error["details"]]
    assert (await client.get(f"/api/{owner}/tasks/{task['id']}")).content == before


async def test_complete_with_malformed_json_is_422(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner)
    response = await client.patch(
        complete_url(owner, task["id"]),
        content=b'{"completed": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert (await read(client, owner, task["id"]))["completed"] is False


async def test_complete_of_a_missing_task_is_404(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner)
    assert (await client.delete(f"/api/{owner}/tasks/{task['id']}")).status_code == 204
    for body in (None, {"completed": True}):
        response = await client.patch(complete_url(owner, task["id"]), json=body)
        assert response.status_code == 404, response.text
        assert response.json() == {
            "error": {
                "code": "not_found",
                "message": f"Task {task['id']} not found",
                "details": [],
            }
        }


async def test_complete_of_another_owners_task_is_404_and_changes_nothing(
    client: httpx.AsyncClient, owner: str, other_owner: str
) -> None:
    task = await create(client, owner)
    before = (await client.get(f"/api/{owner}/tasks/{task['id']}")).content
    for body in (None, {"completed": True}):
        response = await client.patch(complete_url(other_owner, task["id"]), json=body)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert (await client.get(f"/api/{owner}/tasks/{task['id']}")).content == before


async def test_complete_with_a_bad_id_is_422(client: httpx.AsyncClient, owner: str) -> None:
    for bad_id in ("0", "abc", str(2**63)):
        response = await client.patch(f"/api/{owner}/tasks/{bad_id}/complete")
        assert response.status_code == 422, (bad_id, response.text)
        assert response.json()["error"]["code"] == "validation_error"


async def test_complete_appears_in_openapi(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    operations = paths["/api/{user_id}/tasks/{id}/complete"]
    assert set(operations) == {"patch"}
    patch = operations["patch"]
    assert patch["operationId"] == "complete_task"
    assert "200" in patch["responses"]
    parameters = {parameter["name"] for parameter in patch["parameters"]}
    assert parameters == {"user_id", "id"}
