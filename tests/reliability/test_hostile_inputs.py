"""Hostile inputs: refused in the envelope, never a 5xx, and nothing changes.

A table of hand-picked hostile requests (`hostile.py`), ids and limits spelled other than as
plain integers, bodies that lie about their length, and SQL-looking text, which must
round-trip as plain data.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Scope

from tests.reliability.hostile import (
    ID,
    INVALID,
    JSON_HEADERS,
    OWNER,
    Hostile,
    hostile_cases,
    sized_body,
)
from tests.task_api import (
    INT64_MAX,
    MIB,
    Json,
    all_rows,
    assert_error,
    assert_not_server_error,
    collection,
    create,
    item,
)

HOSTILE_CASES = hostile_cases()


@pytest.fixture
async def victim(client: httpx.AsyncClient, owner: str) -> Json:
    """A real row of `owner`, which no refused request may change."""
    return await create(client, owner, title="Original", description="kept")


@pytest.mark.anyio
@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[case.name for case in HOSTILE_CASES])
async def test_hostile_request_is_refused_in_the_envelope_and_changes_nothing(
    client: httpx.AsyncClient, owner: str, victim: Json, case: Hostile
) -> None:
    before = await all_rows(client, owner)
    path = case.path.replace(OWNER, owner).replace(ID, str(victim["id"]))
    response = await client.request(
        case.method, path, content=case.content, headers=case.headers, params=case.params or None
    )
    assert_not_server_error(response)
    assert_error(response, case.status, case.code)
    assert await all_rows(client, owner) == before


# --- ids and numbers spelled other than as plain integers ------------------------------------


def _respellings(number: int) -> list[str]:
    """`number` as text that is not a plain base-10 integer, though lax parsers take it."""
    digits = str(number)
    return [f"{digits}.0", f"+{digits}", f"%20{digits}", f"{digits}%20", f"0_{digits}"]


@pytest.mark.anyio
@pytest.mark.parametrize("spelling", range(5), ids=["n.0", "+n", "space n", "n space", "0_n"])
async def test_an_id_that_is_not_a_plain_integer_is_422_not_an_alias_of_a_row(
    client: httpx.AsyncClient, owner: str, victim: Json, spelling: int
) -> None:
    """The contract: an id that is not of the resource's id type is 422. `/tasks/7.0` or
    `/tasks/+7` must not be a second URL of task 7 (one resource, one URL)."""
    path = item(owner, _respellings(victim["id"])[spelling])
    for method, body in [("GET", None), ("PATCH", {"title": "renamed"}), ("DELETE", None)]:
        response = await client.request(method, path, json=body)
        assert_error(response, 422, INVALID)
    assert await all_rows(client, owner) == [victim]


@pytest.mark.anyio
@pytest.mark.parametrize("spelling", range(5), ids=["n.0", "+n", "space n", "n space", "0_n"])
async def test_a_limit_that_is_not_a_plain_integer_is_422(
    client: httpx.AsyncClient, owner: str, spelling: int
) -> None:
    response = await client.get(f"{collection(owner)}?limit={_respellings(5)[spelling]}")
    assert_error(response, 422, INVALID)


# --- body size: a lying or oversized Content-Length cannot get around the limit -------------


@dataclass
class RawAnswer:
    status: int
    body: bytes
    chunks_left: int


async def _raw_request(
    app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> RawAnswer:
    """One request straight through ASGI: the body in `chunks`, headers exactly as given."""
    pending = list(chunks)
    finished = asyncio.Event()
    answer = RawAnswer(status=0, body=b"", chunks_left=0)

    async def receive() -> Message:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                finished.set()

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    answer.chunks_left = len(pending)
    return answer


def _raw_error_code(answer: RawAnswer) -> str:
    body = json.loads(answer.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return str(body["error"]["code"])


@pytest.mark.anyio
async def test_a_body_longer_than_its_content_length_is_cut_off_at_the_limit(
    app: FastAPI, client: httpx.AsyncClient, owner: str, victim: Json
) -> None:
    """A client that lies about Content-Length is still stopped at 1 MiB, not read to the end."""
    body = sized_body(8 * MIB)
    chunks = [body[start : start + 256 * 1024] for start in range(0, len(body), 256 * 1024)]
    headers = [(b"content-type", b"application/json"), (b"content-length", b"20")]
    answer = await _raw_request(app, "POST", collection(owner), headers, chunks)
    assert answer.status == 413, answer
    assert _raw_error_code(answer) == "payload_too_large"
    assert answer.chunks_left >= len(chunks) - 6, "the body was read past the limit"
    assert await all_rows(client, owner) == [victim]


@pytest.mark.anyio
async def test_a_content_length_over_the_limit_is_refused_before_reading(
    app: FastAPI, client: httpx.AsyncClient, owner: str, victim: Json
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(MIB + 1).encode())]
    chunks = [b'{"title": "small"}']
    answer = await _raw_request(app, "PUT", item(owner, victim["id"]), headers, chunks)
    assert answer.status == 413, answer
    assert _raw_error_code(answer) == "payload_too_large"
    assert answer.chunks_left == 1, "refused from the header alone"
    assert await all_rows(client, owner) == [victim]


@pytest.mark.anyio
async def test_a_large_body_on_a_get_is_not_a_server_error(
    client: httpx.AsyncClient, owner: str, victim: Json
) -> None:
    response = await client.request(
        "GET", item(owner, victim["id"]), content=sized_body(2 * MIB), headers=JSON_HEADERS
    )
    assert_not_server_error(response)


# --- numbers at the edge of the range that are valid ----------------------------------------


@pytest.mark.anyio
async def test_the_largest_offset_answers_an_empty_page(
    client: httpx.AsyncClient, owner: str, victim: Json
) -> None:
    response = await client.get(collection(owner), params={"offset": INT64_MAX, "limit": 100})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["data"] == [] and page["total_count"] == 1 and page["has_more"] is False
    assert page["offset"] == INT64_MAX


# --- SQL-looking text is data, nothing else ---------------------------------------------------

SQL_LOOKING = [
    "'; DROP TABLE tasks; --",
    "1 OR 1=1",
    "' OR '1'='1",
    '" OR ""="',
    "Robert'); DROP TABLE tasks;--",
    "1; DELETE FROM tasks WHERE 1=1",
    "' UNION SELECT id, user_id, title FROM tasks --",
    "%",
    "_",
    "%(title)s",
    ":title",
    "$1",
    "?",
    "\\",
    "\\'; SELECT pg_sleep(10); --",
    "/* */",
    'tasks"; --',
]


@pytest.mark.anyio
@pytest.mark.parametrize("text", SQL_LOOKING)
async def test_sql_looking_text_round_trips_as_plain_data(
    client: httpx.AsyncClient, owner: str, other_owner: str, text: str
) -> None:
    bystander = await create(client, other_owner, title="bystander")
    task = await create(client, owner, title=text, description=text)
    assert (task["title"], task["description"]) == (text.strip(), text)
    read = await client.get(item(owner, task["id"]))
    assert read.status_code == 200, read.text
    assert read.json() == task

    listed = await client.get(collection(owner), params={"sort": "title"})
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == [task]

    patched = await client.patch(item(owner, task["id"]), json={"description": text + text})
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == text + text
    replaced = await client.put(item(owner, task["id"]), json={"title": text + "!"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["title"] == (text + "!").strip()
    assert replaced.json()["description"] is None

    for params in ({"sort": text}, {"completed": text}, {"limit": text}, {"offset": text}):
        assert_error(await client.get(collection(owner), params=params), 422, INVALID)
    assert await all_rows(client, other_owner) == [bystander]
    assert [row["id"] for row in await all_rows(client, owner)] == [task["id"]]
