"""The error table of the contract, row by row: status, code, envelope and details.

Every 4xx and 5xx is `{"error": {"code", "message", "details"}}`; a 422 lists one detail per
problem with its location; no input produces a 500, and a failed request changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.api.tasks import Json, assert_error, collection, create, item

pytestmark = pytest.mark.anyio


MIB = 1024 * 1024
ITEM_METHODS: list[tuple[str, str, Json | None]] = [
    ("GET", "", None),
    ("PUT", "", {"title": "x"}),
    ("PATCH", "", {"title": "x"}),
    ("DELETE", "", None),
    ("PATCH", "/complete", None),
]
WRITES: list[tuple[str, bool]] = [("POST", False), ("PUT", True), ("PATCH", True)]


def assert_validation_error(response: httpx.Response, *location: str | int) -> Json:
    """422 `validation_error` whose details name `location` (a prefix of some detail's loc)."""
    error = assert_error(response, 422, "validation_error")
    assert error["details"], "a 422 lists its problems"
    for detail in error["details"]:
        assert isinstance(detail["loc"], list) and detail["loc"], detail
        assert isinstance(detail["message"], str) and detail["message"], detail
    if location:
        locations = [tuple(detail["loc"][: len(location)]) for detail in error["details"]]
        assert tuple(location) in locations, error["details"]
    return error


async def snapshot(client: httpx.AsyncClient, owner: str) -> bytes:
    """Everything the owner has, as raw bytes."""
    response = await client.get(collection(owner), params={"limit": 100, "sort": "id"})
    assert response.status_code == 200, response.text
    return response.content


async def write(
    client: httpx.AsyncClient,
    owner: str,
    method: str,
    task_id: int | None,
    **kwargs: Any,
) -> httpx.Response:
    url = collection(owner) if task_id is None else item(owner, task_id)
    return await client.request(method, url, **kwargs)


async def assert_refused_everywhere(
    client: httpx.AsyncClient,
    owner: str,
    *,
    status: int,
    code: str,
    location: tuple[str | int, ...] = (),
    **kwargs: Any,
) -> None:
    """POST, PUT and PATCH all refuse the same request, and nothing changes."""
    task = await create(client, owner, title="Original", description="kept")
    before = await snapshot(client, owner)
    for method, on_item in WRITES:
        response = await write(client, owner, method, task["id"] if on_item else None, **kwargs)
        if status == 422:
            assert_validation_error(response, *location)
        else:
            assert_error(response, status, code)
        assert await snapshot(client, owner) == before, method


# --- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix", "body"), ITEM_METHODS)
async def test_missing_row_is_404_not_found(
    client: httpx.AsyncClient, owner: str, method: str, suffix: str, body: Json | None
) -> None:
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


# --- 422: bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": ',
        b"{title: 1}",
        b'{"title": "x",}',
        b"not json",
        b"\xff\xfe",
        b'{"title": "x"} x',
    ],
)
async def test_malformed_json_is_422(client: httpx.AsyncClient, owner: str, raw: bytes) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body",),
        content=raw,
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"title": "caf\xe9"}', id="invalid-utf8"),
        pytest.param(b'{"title": "x", "description": "\xc3"}', id="truncated-utf8"),
        pytest.param(b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="deep-nesting"),
        pytest.param(b'{"title": "x", "completed": ' + b"9" * 5000 + b"}", id="5000-digit-int"),
    ],
)
async def test_json_the_parser_cannot_decode_is_422(
    client: httpx.AsyncClient, owner: str, raw: bytes
) -> None:
    """Bodies that make the JSON decoder raise something other than a syntax error."""
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body",),
        content=raw,
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    "raw",
    [b"[]", b'"title"', b"42", b"null", b'[{"title": "x"}]'],
)
async def test_body_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, owner: str, raw: bytes
) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body",),
        content=raw,
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 123}, "title"),
        ({"title": True}, "title"),
        ({"title": ["x"]}, "title"),
        ({"title": {"x": 1}}, "title"),
        ({"title": "x", "completed": "yes"}, "completed"),
        ({"title": "x", "completed": 1}, "completed"),
        ({"title": "x", "completed": "true"}, "completed"),
        ({"title": "x", "description": 5}, "description"),
        ({"title": "x", "description": False}, "description"),
    ],
)
async def test_wrong_type_is_422(
    client: httpx.AsyncClient, owner: str, body: Json, field: str
) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body", field),
        json=body,
    )


async def test_every_problem_gets_its_own_detail(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(
        collection(owner), json={"title": 123, "completed": "yes", "colour": "red"}
    )
    error = assert_validation_error(response)
    locations = {tuple(detail["loc"]) for detail in error["details"]}
    assert {("body", "title"), ("body", "completed"), ("body", "colour")} <= locations
    assert len(error["details"]) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "😀" * 201}, "title"),
        ({"title": "x", "description": "d" * 1001}, "description"),
    ],
)
async def test_broken_constraint_is_422(
    client: httpx.AsyncClient, owner: str, body: Json, field: str
) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body", field),
        json=body,
    )


async def test_unknown_key_is_422(client: httpx.AsyncClient, owner: str) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body", "colour"),
        json={"title": "x", "colour": "red"},
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", 1),
        ("user_id", "someone-else"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("updated_at", "2020-01-01T00:00:00Z"),
    ],
)
async def test_server_managed_key_in_a_body_is_422(
    client: httpx.AsyncClient, owner: str, key: str, value: Any
) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body", key),
        json={"title": "x", key: value},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "\x00"}, "title"),
        ({"title": "x", "description": "nul \x00 inside"}, "description"),
    ],
)
async def test_nul_character_in_a_string_is_422(
    client: httpx.AsyncClient, owner: str, body: Json, field: str
) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body", field),
        json=body,
    )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"title": "\\ud800"}', "title"),
        (b'{"title": "x\\udfffy"}', "title"),
        (b'{"title": "x", "description": "\\udc00"}', "description"),
    ],
)
async def test_lone_surrogate_is_422(
    client: httpx.AsyncClient, owner: str, raw: bytes, field: str
) -> None:
    await assert_refused_everywhere(
        client,
        owner,
        status=422,
        code="validation_error",
        location=("body", field),
        content=raw,
        headers={"content-type": "application/json"},
    )


async def test_surrogate_pair_escape_is_accepted(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(
        collection(owner),
        content=b'{"title": "\\ud83d\\ude00"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "😀"


async def test_post_without_a_body_is_422(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(collection(owner))
    assert_validation_error(response, "body")


# --- 422: path and query --------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "0", "-1", str(2**63), str(10**30), "1e3"])
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
    response = await client.request(method, item(owner, 2**63 - 1) + suffix, json=body)
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
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"offset": str(2**63)}, "offset"),
        ({"sort": "bogus"}, "sort"),
        ({"sort": "description"}, "sort"),
        ({"sort": "-description"}, "sort"),
        ({"sort": "completed"}, "sort"),
        ({"sort": "user_id"}, "sort"),
        ({"sort": "--id"}, "sort"),
        ({"sort": "+id"}, "sort"),
        ({"sort": "TITLE"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"completed": "maybe"}, "completed"),
        ({"completed": "2"}, "completed"),
        ({"completed": ""}, "completed"),
    ],
)
async def test_bad_list_parameter_is_422(
    client: httpx.AsyncClient, owner: str, params: dict[str, str], name: str
) -> None:
    await create(client, owner)
    response = await client.get(collection(owner), params=params)
    assert_validation_error(response, "query", name)


# --- 413 ------------------------------------------------------------------------------------


def oversized_body() -> bytes:
    return b'{"title": "x", "description": "' + b"d" * MIB + b'"}'


@pytest.mark.parametrize(("method", "on_item"), WRITES)
async def test_body_over_1_mib_with_content_length_is_413(
    client: httpx.AsyncClient, owner: str, method: str, on_item: bool
) -> None:
    task = await create(client, owner)
    before = await snapshot(client, owner)
    body = oversized_body()
    response = await write(
        client,
        owner,
        method,
        task["id"] if on_item else None,
        content=body,
        headers={"content-type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")
    assert await snapshot(client, owner) == before


@pytest.mark.parametrize(("method", "on_item"), WRITES)
async def test_streamed_body_over_1_mib_without_content_length_is_413(
    client: httpx.AsyncClient, owner: str, method: str, on_item: bool
) -> None:
    task = await create(client, owner)
    before = await snapshot(client, owner)
    chunk = b" " * (64 * 1024)

    async def stream() -> AsyncIterator[bytes]:
        yield b'{"title": "x"'
        for _ in range(20):
            yield chunk
        yield b"}"

    url = item(owner, task["id"]) if on_item else collection(owner)
    request = client.build_request(
        method, url, content=stream(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in request.headers
    response = await client.send(request)
    assert_error(response, 413, "payload_too_large")
    assert await snapshot(client, owner) == before


async def test_body_of_exactly_1_mib_is_not_too_large(
    client: httpx.AsyncClient, owner: str
) -> None:
    head = b'{"title": "fits"}'
    body = head + b" " * (MIB - len(head))
    assert len(body) == MIB
    response = await client.post(
        collection(owner), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text


# --- 415 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_body_that_is_not_json_by_content_type_is_415(
    client: httpx.AsyncClient, owner: str, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    await assert_refused_everywhere(
        client,
        owner,
        status=415,
        code="unsupported_media_type",
        content=b'{"title": "valid json, wrong label"}',
        headers=headers,
    )


async def test_form_post_is_415(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(collection(owner), data={"title": "x"})
    assert_error(response, 415, "unsupported_media_type")
    assert (await client.get(collection(owner))).json()["total_count"] == 0


async def test_complete_with_a_non_json_body_is_415(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner)
    before = await snapshot(client, owner)
    response = await client.patch(
        item(owner, task["id"]) + "/complete",
        content=b'{"completed": true}',
        headers={"content-type": "text/plain"},
    )
    assert_error(response, 415, "unsupported_media_type")
    assert await snapshot(client, owner) == before


# --- a failed request changes nothing -------------------------------------------------------


async def test_replace_with_one_bad_field_leaves_the_row_unchanged(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="Original", description="kept", completed=True)
    before = (await client.get(item(owner, task["id"]))).content
    response = await client.put(
        item(owner, task["id"]),
        json={"title": "Changed", "description": None, "completed": "yes"},
    )
    assert_validation_error(response, "body", "completed")
    assert (await client.get(item(owner, task["id"]))).content == before


async def test_update_with_one_bad_field_leaves_the_row_unchanged(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="Original", description="kept")
    before = (await client.get(item(owner, task["id"]))).content
    response = await client.patch(
        item(owner, task["id"]), json={"title": "Changed", "description": "d" * 1001}
    )
    assert_validation_error(response, "body", "description")
    assert (await client.get(item(owner, task["id"]))).content == before


async def test_create_with_one_bad_field_creates_nothing(
    client: httpx.AsyncClient, owner: str
) -> None:
    response = await client.post(collection(owner), json={"title": "ok", "completed": "yes"})
    assert_validation_error(response, "body", "completed")
    assert (await client.get(collection(owner))).json()["total_count"] == 0


# --- 500 and 503 ----------------------------------------------------------------------------


async def test_unhandled_error_is_500_without_a_trace(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def explode() -> None:
        raise RuntimeError("secret detail: SELECT password FROM users")

    app.add_api_route("/boom", explode, methods=["GET"])
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
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            listing = await http.get("/api/alice/tasks")
            assert_error(listing, 503, "service_unavailable")
            created = await http.post("/api/alice/tasks", json={"title": "x"})
            assert_error(created, 503, "service_unavailable")
            read = await http.get("/api/alice/tasks/1")
            assert_error(read, 503, "service_unavailable")
            for response in (listing, created, read):
                assert "Traceback" not in response.text
                assert "127.0.0.1" not in response.text
    finally:
        await app.state.database.dispose()
