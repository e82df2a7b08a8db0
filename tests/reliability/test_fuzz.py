"""Fuzzing: no input, however malformed, gives a 5xx or leaves the error envelope.

Two halves. Schemathesis generates requests from the served `/openapi.json`, valid and invalid,
for every operation, and checks each answer against the schema (status, content type, body,
headers) and that invalid data is refused. Then a table of hand-picked hostile inputs: NUL
characters, lone surrogates, over-long strings, ids out of range, deep nesting, wrong content
types, bodies over 1 MiB, and SQL-looking text, which must round-trip as plain data.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import Message, Scope

from tests.reliability.support import (
    INT64_MAX,
    MIB,
    Json,
    all_rows,
    assert_error,
    assert_not_server_error,
    assert_task,
    collection,
    create,
    item,
)

# --- schemathesis over /openapi.json ------------------------------------------------------

EXAMPLES_PER_OPERATION = 50
"""Per operation, per generation mode (valid, invalid), per owner kind; one request each."""

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS: list[CheckFunction] = [*CHECKS, negative_data_rejection]

SEEDED_ROWS = 4

Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]


@pytest.fixture
def api_schema(app: FastAPI) -> Iterator[BaseSchema]:
    """The served schema, whose cases call `app` in process (schemathesis's own event loop)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield schema
    finally:
        # The app's lifespan ran on schemathesis's loop: end it there, which disposes the engine.
        asgi.shutdown_lifespans()


def _has_inputs(operation: Operation) -> bool:
    containers = (operation.path_parameters, operation.query, operation.headers, operation.body)
    return any(len(container) for container in containers)


def _seed(app: FastAPI, owner: str) -> list[int]:
    """A few rows of `owner`, created through the same in-process client the cases use."""
    ids: list[int] = []
    with asgi.get_client(cast("asgi.ASGIApp", app)) as session:
        for number in range(SEEDED_ROWS):
            response = session.post(
                collection(owner),
                json={"title": f"seed {number}", "description": "x" * number},
            )
            assert response.status_code == 201, response.text
            ids.append(int(response.json()["id"]))
    return ids


def _strategies(
    app: FastAPI, operation: Operation, mode: GenerationMode
) -> list[tuple[str, st.SearchStrategy[AnyCase]]]:
    """Generated owners and ids; and, for the API, a real owner and their real rows."""
    strategies = [("generated owner and id", operation.as_strategy(generation_mode=mode))]
    path_names = {parameter.name for parameter in operation.path_parameters}
    if mode is GenerationMode.POSITIVE and "user_id" in path_names:
        owner = f"fuzz-{uuid.uuid4().hex[:12]}"
        ids = _seed(app, owner)
        if "id" in path_names:
            seeded = st.one_of(
                *(
                    operation.as_strategy(
                        generation_mode=mode, path_parameters={"user_id": owner, "id": row_id}
                    )
                    for row_id in ids
                )
            )
        else:
            seeded = operation.as_strategy(generation_mode=mode, path_parameters={"user_id": owner})
        strategies.append(("a real owner and their rows", seeded))
    return strategies


def _run_cases(strategy: st.SearchStrategy[AnyCase], checks: list[CheckFunction]) -> None:
    @hypothesis.given(case=strategy)
    @FUZZ_SETTINGS
    def run(case: AnyCase) -> None:
        case.call_and_validate(checks=checks)

    run()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    app: FastAPI, api_schema: BaseSchema
) -> None:
    operations: list[Operation] = []
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            pytest.fail(f"the served schema has an invalid operation: {result.err()}")
        operations.append(result.ok())
    labels = {operation.label for operation in operations}
    assert {"POST /api/{user_id}/tasks", "PATCH /api/{user_id}/tasks/{id}/complete"} <= labels
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing to make invalid
            checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
            for name, strategy in _strategies(app, operation, mode):
                try:
                    _run_cases(strategy, checks)
                except Exception as error:  # one report for every operation that fails
                    failures.append(f"{operation.label} [{mode.value}, {name}]:\n{error}")
    assert not failures, "\n\n".join(failures)


# --- hand-picked hostile inputs ------------------------------------------------------------

ID = "{id}"
"""In a hostile case's path: the id of a real row of the owner."""
OWNER = "{owner}"
COLLECTION = f"/api/{OWNER}/tasks"
ITEM = f"/api/{OWNER}/tasks/{ID}"
COMPLETE = f"/api/{OWNER}/tasks/{ID}/complete"
WRITE_TARGETS = [("POST", COLLECTION), ("PUT", ITEM), ("PATCH", ITEM)]
ITEM_TARGETS = [
    ("GET", ITEM),
    ("PUT", ITEM),
    ("PATCH", ITEM),
    ("DELETE", ITEM),
    ("PATCH", COMPLETE),
]
JSON_HEADERS = {"content-type": "application/json"}
INVALID = "validation_error"


@dataclass(frozen=True)
class Hostile:
    """One request and the one answer the contract allows for it."""

    name: str
    method: str
    path: str
    status: int
    code: str
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _sized_body(size: int) -> bytes:
    """A valid create body of exactly `size` bytes (JSON whitespace pads it)."""
    body = b'{"title": "padded"}'
    assert size >= len(body)
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _every_write(name: str, content: bytes, status: int, code: str) -> list[Hostile]:
    return [
        Hostile(f"{method} {name}", method, path, status, code, content, JSON_HEADERS)
        for method, path in WRITE_TARGETS
    ]


def _hostile_cases() -> list[Hostile]:
    cases: list[Hostile] = []

    # Ids: not positive, past 2^63 - 1, not integers at all. Every method that names a row.
    bad_ids = [
        "0",
        "-1",
        str(-(2**63)),
        str(-(2**63) - 1),
        str(2**63),
        str(2**64),
        "1" + "0" * 100,
        "9" * 5000,
        "1.5",
        "1e3",
        "0x1",
        "1-",
        "NaN",
        "inf",
        "%D9%A1",  # ARABIC-INDIC DIGIT ONE: Python's int() accepts it, the contract does not
        "%00",
        "%ED%A0%80",  # a lone surrogate, UTF-8 encoded
        "null",
    ]
    for method, path in ITEM_TARGETS:
        body = _json({"title": "x"}) if path == ITEM and method in ("PUT", "PATCH") else None
        for bad in bad_ids:
            cases.append(
                Hostile(
                    f"{method} {path} with id {bad[:24]}",
                    method,
                    path.replace(ID, bad),
                    422,
                    "validation_error",
                    body,
                    JSON_HEADERS if body else {},
                )
            )
        cases.append(
            Hostile(
                f"{method} {path} with the largest id",
                method,
                path.replace(ID, str(INT64_MAX)),
                404,
                "not_found",
                body,
                JSON_HEADERS if body else {},
            )
        )

    # Owners that break the owner rule in the path.
    bad_owners = [
        "a" * 65,
        "a" * 10_000,
        "a%00b",
        "%ED%A0%80",
        "%C3%A9",
        "a%20b",
        "x'%3B%20DROP%20TABLE%20tasks%3B%20--",
        "1%20OR%201%3D1",
        "%2A",
    ]
    for owner in bad_owners:
        cases.append(
            Hostile(f"list as owner {owner[:24]}", "GET", f"/api/{owner}/tasks", 422, INVALID)
        )
        cases.append(
            Hostile(
                f"create as owner {owner[:24]}",
                "POST",
                f"/api/{owner}/tasks",
                422,
                INVALID,
                _json({"title": "x"}),
                JSON_HEADERS,
            )
        )

    # Query parameters: out of range, wrong type, NUL, over-long, SQL in the sort key.
    bad_params = [
        {"offset": "-1"},
        {"offset": str(2**63)},
        {"offset": "1" * 5000},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": str(10**30)},
        {"limit": "\x00"},
        {"limit": "1.5"},
        {"sort": "\x00"},
        {"sort": "-"},
        {"sort": "--title"},
        {"sort": "description"},
        {"sort": "title; DROP TABLE tasks; --"},
        {"sort": "title, (SELECT 1)"},
        {"sort": "x" * 60_000},
        {"completed": "maybe"},
        {"completed": "\x00"},
        {"completed": "1 OR 1=1"},
    ]
    for params in bad_params:
        (key, value), *_ = params.items()
        cases.append(
            Hostile(
                f"list with {key}={value[:24]!r}", "GET", COLLECTION, 422, INVALID, params=params
            )
        )
    for query in ["sort=%ED%A0%80", "sort=%FF", "completed=%ED%A0%80", "limit=%FF"]:
        cases.append(Hostile(f"list with {query}", "GET", f"{COLLECTION}?{query}", 422, INVALID))

    # Bodies: NUL, lone surrogates, bytes that are not UTF-8, over-long values and keys.
    bad_bodies: list[tuple[str, bytes]] = [
        ("NUL in title", _json({"title": "a\x00b"})),
        ("NUL in description", _json({"title": "a", "description": "\x00"})),
        ("lone high surrogate", b'{"title": "a\\ud800b"}'),
        ("lone low surrogate in description", b'{"title": "a", "description": "\\udfff"}'),
        ("surrogate as raw UTF-8 bytes", b'{"title": "\xed\xa0\x80"}'),
        ("bytes that are not UTF-8", b'{"title": "\xff\xfe"}'),
        ("title of 201 characters", _json({"title": "t" * 201})),
        ("title of a million characters", _json({"title": "t" * 1_000_000})),
        ("blank title", _json({"title": " \t\n "})),
        ("description of 1001 characters", _json({"title": "a", "description": "d" * 1001})),
        ("key of 100k characters", _json({"title": "a", "k" * 100_000: 1})),
        ("title nested 100k arrays deep", b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        (
            "objects nested 100k deep",
            b'{"title": "a", "x": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
        ),
        ("top-level array nested 400k deep", b"[" * 400_000 + b"]" * 400_000),
        ("integer of 5000 digits", b'{"title": 1' + b"0" * 5000 + b"}"),
        ("completed 1e999", b'{"title": "a", "completed": 1e999}'),
        ("NaN", b'{"title": NaN}'),
        ("Infinity", b'{"title": "a", "completed": -Infinity}'),
        ("truncated JSON", b'{"title": '),
        ("empty body", b""),
        ("null", b"null"),
        ("an array", b'[{"title": "a"}]'),
        ("a string", b'"title"'),
        ("title as a number", _json({"title": 5})),
        ("completed as a string", _json({"title": "a", "completed": "true"})),
        ("completed as 1", _json({"title": "a", "completed": 1})),
        ("server-managed id", _json({"title": "a", "id": 1})),
        ("server-managed user_id", _json({"title": "a", "user_id": "someone-else"})),
        ("server-managed created_at", _json({"title": "a", "created_at": "2000-01-01T00:00:00Z"})),
        ("unknown key", _json({"title": "a", "is_admin": True})),
    ]
    for name, content in bad_bodies:
        cases.extend(_every_write(name, content, 422, "validation_error"))
    for name, content in [
        ("NUL", _json({"completed": "\x00"})),
        ("nested 100k deep", b'{"completed": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("unknown key", _json({"completed": True, "title": "x"})),
        ("completed as 0", _json({"completed": 0})),
        ("completed null", _json({"completed": None})),
    ]:
        cases.append(
            Hostile(
                f"complete with {name}",
                "PATCH",
                COMPLETE,
                422,
                "validation_error",
                content,
                JSON_HEADERS,
            )
        )

    # Content types that are not JSON: 415, before the body is parsed.
    bad_types = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonp",
        "application/json-seq",
        "json",
        "",
    ]
    for content_type in bad_types:
        for method, path in [*WRITE_TARGETS, ("PATCH", COMPLETE)]:
            body = b'{"completed": true}' if path == COMPLETE else b'{"title": "x"}'
            cases.append(
                Hostile(
                    f"{method} {path} as {content_type or 'no content type'!r}",
                    method,
                    path,
                    415,
                    "unsupported_media_type",
                    body,
                    {"content-type": content_type} if content_type else {},
                )
            )

    # Bodies over 1 MiB, on every method that takes one.
    over = _sized_body(MIB + 1)
    for method, path in [*WRITE_TARGETS, ("PATCH", COMPLETE), ("DELETE", ITEM)]:
        cases.append(
            Hostile(
                f"{method} {path} with a body of 1 MiB + 1",
                method,
                path,
                413,
                "payload_too_large",
                over,
                JSON_HEADERS,
            )
        )
    cases.append(
        Hostile(
            "POST a body of 8 MiB",
            "POST",
            COLLECTION,
            413,
            "payload_too_large",
            _sized_body(8 * MIB),
            JSON_HEADERS,
        )
    )

    # Methods that are not served: no mass delete or replace of a collection.
    for method, path in [
        ("DELETE", COLLECTION),
        ("PUT", COLLECTION),
        ("PATCH", COLLECTION),
        ("POST", ITEM),
        ("GET", COMPLETE),
        ("DELETE", COMPLETE),
        ("OPTIONS", ITEM),
        ("TRACE", COLLECTION),
    ]:
        cases.append(Hostile(f"{method} {path}", method, path, 405, "method_not_allowed"))
    return cases


HOSTILE_CASES = _hostile_cases()


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


# --- body size: the limit is exact, and streaming cannot get around it -----------------------


@pytest.mark.anyio
async def test_a_body_of_exactly_1_mib_is_accepted(client: httpx.AsyncClient, owner: str) -> None:
    response = await client.post(collection(owner), content=_sized_body(MIB), headers=JSON_HEADERS)
    assert response.status_code == 201, response.text
    assert assert_task(response.json())["title"] == "padded"


@pytest.mark.anyio
async def test_a_streamed_body_over_1_mib_without_length_is_413(
    client: httpx.AsyncClient, owner: str, victim: Json
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        body = _sized_body(2 * MIB)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post(collection(owner), content=chunks(), headers=JSON_HEADERS)
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")
    assert await all_rows(client, owner) == [victim]


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
    body = _sized_body(8 * MIB)
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
        "GET", item(owner, victim["id"]), content=_sized_body(2 * MIB), headers=JSON_HEADERS
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
