"""The error table of the contract for routes, paths and queries, and the 500 and 503 answers.

Every 4xx and 5xx is `{"error": {"code", "message", "details"}}`; a 422 lists one detail per
problem with its location; no input produces a 500. The generated contract tests check each
resource's own rows of the table; these add the unknown routes, the `/complete` extension and
every method of each case. Errors about request bodies are in `test_errors_in_bodies.py`.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.fixtures import asgi_client
from tests.task_api import (
    INT64_MAX,
    Json,
    assert_error,
    assert_validation_error,
    collection,
    create,
    item,
)

pytestmark = pytest.mark.anyio

ITEM_METHODS: list[tuple[str, str, Json | None]] = [
    ("GET", "", None),
    ("PUT", "", {"title": "x"}),
    ("PATCH", "", {"title": "x"}),
    ("DELETE", "", None),
    ("PATCH", "/complete", None),
]


# --- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix", "body"), ITEM_METHODS)
async def test_missing_row_is_404_not_found(
    client: httpx.AsyncClient, owner: str, method: str, suffix: str, body: Json | None
) -> None:
    """Beyond the generated tests' 404s: the extension answers alike, the message names the
    id and there are no details."""
    task = await create(client, owner)
    assert (await client.delete(item(owner, task["id"]))).status_code == 204
    response = await client.request(method, item(owner, task["id"]) + suffix, json=body)
    error = assert_error(response, 404, "not_found")
    assert error["details"] == []
    assert str(task["id"]) in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/api"),
        ("GET", "/api/alice"),
        ("GET", "/api/alice/notes"),
        ("POST", "/api/alice/notes"),
        ("GET", "/api/alice/tasks/1/extra"),
        ("PATCH", "/api/alice/tasks/1/complete/now"),
        ("DELETE", "/nope"),
    ],
)
async def test_unknown_route_is_404_not_found(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    error = assert_error(response, 404, "not_found")
    assert error["details"] == []


# --- 405 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/alice/tasks", {"GET", "POST"}),
        ("PUT", "/api/alice/tasks", {"GET", "POST"}),
        ("PATCH", "/api/alice/tasks", {"GET", "POST"}),
        ("POST", "/api/alice/tasks/1", {"GET", "PUT", "PATCH", "DELETE"}),
        ("GET", "/api/alice/tasks/1/complete", {"PATCH"}),
        ("POST", "/api/alice/tasks/1/complete", {"PATCH"}),
        ("DELETE", "/api/alice/tasks/1/complete", {"PATCH"}),
    ],
)
async def test_method_not_served_is_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    listed = {name.strip() for name in response.headers["allow"].split(",")}
    assert listed == allowed


# --- 422: path and query --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", ["abc", "1.5", "0", "-1", str(INT64_MAX + 1), str(10**30), "1e3"]
)
@pytest.mark.parametrize(("method", "suffix", "body"), ITEM_METHODS)
async def test_bad_id_is_422(
    client: httpx.AsyncClient,
    owner: str,
    bad_id: str,
    method: str,
    suffix: str,
    body: Json | None,
) -> None:
    response = await client.request(method, item(owner, bad_id) + suffix, json=body)
    assert_validation_error(response, "path", "id")


@pytest.mark.parametrize(("method", "suffix", "body"), ITEM_METHODS)
async def test_largest_id_is_in_range(
    client: httpx.AsyncClient, owner: str, method: str, suffix: str, body: Json | None
) -> None:
    response = await client.request(method, item(owner, INT64_MAX) + suffix, json=body)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "bad_owner",
    ["bad owner", "a.b", "alice%0A", "%C3%A4", "a" * 65, "%00"],
)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("POST", "", {"title": "x"}),
        *[(m, "/1" + s, b) for m, s, b in ITEM_METHODS],
    ],
)
async def test_bad_owner_is_422(
    client: httpx.AsyncClient, bad_owner: str, method: str, suffix: str, body: Json | None
) -> None:
    response = await client.request(method, f"/api/{bad_owner}/tasks{suffix}", json=body)
    assert_validation_error(response, "path", "user_id")


async def test_longest_owner_is_accepted(client: httpx.AsyncClient) -> None:
    owner = "A-z_0" + "x" * 59
    assert len(owner) == 64
    task = await create(client, owner)
    assert task["user_id"] == owner
    assert (await client.get(collection(owner))).json()["total_count"] >= 1


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"offset": str(INT64_MAX + 1)}, "offset"),
        ({"sort": "description"}, "sort"),
        ({"sort": "-description"}, "sort"),
        ({"sort": "completed"}, "sort"),
        ({"sort": "user_id"}, "sort"),
        ({"sort": "--id"}, "sort"),
        ({"sort": "+id"}, "sort"),
        ({"sort": "TITLE"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"completed": ""}, "completed"),
    ],
)
async def test_bad_list_parameter_is_422(
    client: httpx.AsyncClient, owner: str, params: dict[str, str], name: str
) -> None:
    """Cases the generated `test_bad_list_parameters_are_422` lacks (fractions, empty values,
    keys that exist but do not sort, malformed signs and case), and the detail's location."""
    await create(client, owner)
    response = await client.get(collection(owner), params=params)
    assert_validation_error(response, "query", name)


# --- 500 and 503 ----------------------------------------------------------------------------


async def test_unhandled_error_is_500_without_a_trace(own_app: FastAPI) -> None:
    async def explode() -> None:
        raise RuntimeError("secret detail: SELECT password FROM users")

    own_app.add_api_route("/boom", explode, methods=["GET"])
    async with asgi_client(own_app) as client:
        response = await client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert error["details"] == []
    for leak in ("Traceback", "RuntimeError", "secret", "SELECT", "password", 'File "'):
        assert leak not in response.text


@pytest.mark.anyio
async def test_unreachable_database_is_503() -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/nothing", db_connect_timeout=1
    )
    async with asgi_client(create_app(settings)) as http:
        listing = await http.get("/api/alice/tasks")
        assert_error(listing, 503, "service_unavailable")
        created = await http.post("/api/alice/tasks", json={"title": "x"})
        assert_error(created, 503, "service_unavailable")
        read = await http.get("/api/alice/tasks/1")
        assert_error(read, 503, "service_unavailable")
    for response in (listing, created, read):
        assert "Traceback" not in response.text
        assert "127.0.0.1" not in response.text
