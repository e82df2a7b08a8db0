"""The served OpenAPI document: valid, with JSON Schema bounds, envelopes, an omittable body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.clients.document import check_document, operations

pytestmark = pytest.mark.anyio


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    served: dict[str, Any] = response.json()
    return served


async def test_the_document_is_valid_and_usable_by_generators(document: dict[str, Any]) -> None:
    check_document(document)


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    operation = document["paths"][path]["get"]
    (found,) = (param for param in operation["parameters"] if param["name"] == name)
    schema: dict[str, Any] = found["schema"]
    return schema


async def test_bounds_are_minimum_and_maximum(document: dict[str, Any]) -> None:
    offset = _parameter(document, "/api/{user_id}/tasks", "offset")
    limit = _parameter(document, "/api/{user_id}/tasks", "limit")
    row_id = _parameter(document, "/api/{user_id}/tasks/{id}", "id")
    assert (offset["minimum"], offset["maximum"]) == (0, 2**63 - 1)
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)
    assert (row_id["minimum"], row_id["maximum"]) == (1, 2**63 - 1)
    assert not {"ge", "le"} & {*offset, *limit, *row_id}


async def test_the_complete_body_may_be_omitted(document: dict[str, Any]) -> None:
    body = document["paths"]["/api/{user_id}/tasks/{id}/complete"]["patch"]["requestBody"]
    assert body["required"] is False
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CompleteBody"
    }


async def test_operation_ids_are_the_resources_and_the_extensions(
    document: dict[str, Any],
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    generated = ["list_tasks", "create_task", "read_task", "replace_task", "update_task"]
    assert sorted(ids) == sorted([*generated, "delete_task", "complete_task"])


async def test_the_spec_description_is_carried_over(document: dict[str, Any]) -> None:
    for _, _, operation in operations(document):
        if operation["operationId"] != "complete_task":
            assert operation["description"].startswith("A to-do item that belongs to one user.")


async def test_the_create_body_has_a_valid_example(document: dict[str, Any]) -> None:
    """Shown by /docs and read by generators; check_document validates it against the schema."""
    examples = document["components"]["schemas"]["TaskCreate"]["examples"]
    assert examples == [{"title": "alpha", "description": "alpha", "completed": False}]
