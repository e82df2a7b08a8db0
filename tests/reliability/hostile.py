"""Hand-picked hostile requests, each with the one answer the contract allows for it.

NUL characters, lone surrogates, over-long strings, ids out of range, deep nesting, wrong
content types, bodies over 1 MiB and methods not served; `test_hostile_inputs.py` sends them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.task_api import INT64_MAX, MIB

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


def sized_body(size: int) -> bytes:
    """A valid create body of exactly `size` bytes (JSON whitespace pads it)."""
    body = b'{"title": "padded"}'
    assert size >= len(body)
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _every_write(name: str, content: bytes, status: int, code: str) -> list[Hostile]:
    return [
        Hostile(f"{method} {name}", method, path, status, code, content, JSON_HEADERS)
        for method, path in WRITE_TARGETS
    ]


def hostile_cases() -> list[Hostile]:
    """Every hand-picked hostile request, with the one answer the contract allows for each."""
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
    over = sized_body(MIB + 1)
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
            sized_body(8 * MIB),
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
