"""The error table of the contract for request bodies: 422, 413 and 415, on every write.

POST, PUT and PATCH each refuse the same bad body with the same status and code, and a
refused request changes nothing. The generated contract tests check each resource's
constraints on create; these add the other writes, the parser's failure modes, the size limit
and the media type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.task_api import (
    MIB,
    TASKS,
    Json,
    assert_error,
    assert_validation_error,
    create,
)

pytestmark = pytest.mark.anyio

WRITES: list[tuple[str, bool]] = [("POST", False), ("PUT", True), ("PATCH", True)]
JSON = {"content-type": "application/json"}


async def snapshot(client: httpx.AsyncClient, owner: str) -> bytes:
    """Everything the owner has, as raw bytes."""
    response = await client.get(TASKS.collection(owner), params={"limit": 100, "sort": "id"})
    assert response.status_code == 200, response.text
    return response.content


async def write(
    client: httpx.AsyncClient,
    owner: str,
    method: str,
    task_id: int | None,
    **kwargs: Any,
) -> httpx.Response:
    url = TASKS.collection(owner) if task_id is None else TASKS.item(owner, task_id)
    return await client.request(method, url, **kwargs)


async def refused_everywhere(
    client: httpx.AsyncClient, owner: str, **request: Any
) -> AsyncIterator[httpx.Response]:
    """POST, PUT and PATCH of the same request; after each is checked, nothing has changed."""
    task = await create(client, owner, title="Original", description="kept")
    before = await snapshot(client, owner)
    for method, on_item in WRITES:
        yield await write(client, owner, method, task["id"] if on_item else None, **request)
        assert await snapshot(client, owner) == before, method


async def assert_invalid_everywhere(
    client: httpx.AsyncClient, owner: str, location: tuple[str, ...], **request: Any
) -> None:
    """POST, PUT and PATCH all answer 422 naming `location`, and nothing changes."""
    async for response in refused_everywhere(client, owner, **request):
        assert_validation_error(response, *location)


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
    await assert_invalid_everywhere(client, owner, ("body",), content=raw, headers=JSON)


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
    await assert_invalid_everywhere(client, owner, ("body",), content=raw, headers=JSON)


@pytest.mark.parametrize(
    "raw",
    [b"[]", b'"title"', b"42", b"null", b'[{"title": "x"}]'],
)
async def test_body_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, owner: str, raw: bytes
) -> None:
    await assert_invalid_everywhere(client, owner, ("body",), content=raw, headers=JSON)


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
    await assert_invalid_everywhere(client, owner, ("body", field), json=body)


async def test_every_problem_gets_its_own_detail(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(
        TASKS.collection(owner), json={"title": 123, "completed": "yes", "colour": "red"}
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
    await assert_invalid_everywhere(client, owner, ("body", field), json=body)


async def test_unknown_key_is_422(client: httpx.AsyncClient, owner: str) -> None:
    await assert_invalid_everywhere(
        client, owner, ("body", "colour"), json={"title": "x", "colour": "red"}
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
    await assert_invalid_everywhere(client, owner, ("body", key), json={"title": "x", key: value})


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
    await assert_invalid_everywhere(client, owner, ("body", field), json=body)


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
    await assert_invalid_everywhere(client, owner, ("body", field), content=raw, headers=JSON)


async def test_surrogate_pair_escape_is_accepted(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(
        TASKS.collection(owner),
        content=b'{"title": "\\ud83d\\ude00"}',
        headers=JSON,
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "😀"


async def test_post_without_a_body_is_422(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(TASKS.collection(owner))
    assert_validation_error(response, "body")


# --- 413 ------------------------------------------------------------------------------------


async def test_body_over_1_mib_with_content_length_is_413(
    client: httpx.AsyncClient, owner: str
) -> None:
    body = b'{"title": "x", "description": "' + b"d" * MIB + b'"}'
    async for response in refused_everywhere(client, owner, content=body, headers=JSON):
        assert_error(response, 413, "payload_too_large")


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

    url = TASKS.item(owner, task["id"]) if on_item else TASKS.collection(owner)
    request = client.build_request(method, url, content=stream(), headers=JSON)
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
    response = await client.post(TASKS.collection(owner), content=body, headers=JSON)
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
    body = b'{"title": "valid json, wrong label"}'
    async for response in refused_everywhere(client, owner, content=body, headers=headers):
        assert_error(response, 415, "unsupported_media_type")


async def test_form_post_is_415(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(TASKS.collection(owner), data={"title": "x"})
    assert_error(response, 415, "unsupported_media_type")
    assert (await client.get(TASKS.collection(owner))).json()["total_count"] == 0


async def test_complete_with_a_non_json_body_is_415(client: httpx.AsyncClient, owner: str) -> None:
    task = await create(client, owner)
    before = await snapshot(client, owner)
    response = await client.patch(
        TASKS.item(owner, task["id"]) + "/complete",
        content=b'{"completed": true}',
        headers={"content-type": "text/plain"},
    )
    assert_error(response, 415, "unsupported_media_type")
    assert await snapshot(client, owner) == before
