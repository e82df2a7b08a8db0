"""Helpers the hand-written Task API tests share: URLs, creating and reading, the envelope."""

from __future__ import annotations

from typing import Any

import httpx

Json = dict[str, Any]


def collection(owner: str) -> str:
    return f"/api/{owner}/tasks"


def item(owner: str, task_id: int | str) -> str:
    return f"/api/{owner}/tasks/{task_id}"


def complete_url(owner: str, task_id: int) -> str:
    return f"{item(owner, task_id)}/complete"


async def create(client: httpx.AsyncClient, owner: str, **fields: Any) -> Json:
    """A new task of `owner` ("A task" unless `fields` say otherwise), asserting the 201."""
    body = {"title": "A task", **fields}
    response = await client.post(collection(owner), json=body)
    assert response.status_code == 201, response.text
    task: Json = response.json()
    return task


async def read(client: httpx.AsyncClient, owner: str, task_id: int) -> Json:
    response = await client.get(item(owner, task_id))
    assert response.status_code == 200, response.text
    task: Json = response.json()
    return task


def assert_error(response: httpx.Response, status: int, code: str) -> Json:
    """The envelope of the contract, with `code`; returns the inner `error` object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: Json = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error
