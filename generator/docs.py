"""What `generated/API.md` shows for each resource: field tables and an example session.

The examples are built from the same spec-derived values as the contract tests, so every
documented request is valid, and a test replays them against the running app.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from generator.field_rules import Field, constraint_docs
from generator.model import Resource
from generator.runtime.cursor import Keyset, encode_cursor, fingerprint
from generator.samples import normalised, samples, to_json

EXAMPLE_OWNER = "alice"
EXAMPLE_TIME = "2026-01-01T00:00:00Z"
EXAMPLE_UUID = "3f2a9c1e-8b7d-4e6f-9a5b-1c2d3e4f5a6b"
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified",
    404: "Not Found",
    412: "Precondition Failed",
    422: "Unprocessable Content",
    428: "Precondition Required",
}
EXAMPLE_KEY = "0b6e3c1d-retry-1"
"""The `Idempotency-Key` of the example session's create, with `api.idempotency`."""
SECOND_UUID = "7c1b5e2d-4a3f-4b8e-9d6c-0e1f2a3b4c5d"


@dataclass(frozen=True)
class Example:
    """One request and its documented response, as an HTTP exchange."""

    title: str
    method: str
    path: str
    body: str | None
    status: int
    status_text: str
    headers: tuple[tuple[str, str], ...]
    response: str | None
    request_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FieldRow:
    """One line of a resource's field table."""

    name: str
    type: str
    constraints: str
    default: str
    required: str
    nullable: str
    list_use: str
    description: str


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _constraints(field: Field) -> str:
    parts = constraint_docs(field)
    if field.unique:
        parts.append("unique per owner")
    if field.index:
        parts.append("indexed")
    return "; ".join(parts) or "-"


def field_rows(resource: Resource) -> tuple[FieldRow, ...]:
    rows = []
    for field in resource.fields:
        uses = []
        if field.filterable:
            exact, *bounds = field.filters
            uses.append(" ".join([f"`?{exact}=`", *(f"`{b.removeprefix(exact)}`" for b in bounds)]))
        if field.sortable:
            uses.append(f"`sort={field.name}`")
        default = json.dumps(to_json(field, field.default)) if field.has_default else "-"
        rows.append(
            FieldRow(
                name=field.name,
                type=field.type,
                constraints=_constraints(field).replace("|", "\\|"),
                default=default.replace("|", "\\|"),
                required="yes" if field.required else "no",
                nullable="yes" if field.nullable else "no",
                list_use=", ".join(uses) or "-",
                description=(field.description or "").replace("|", "\\|").replace("\n", " "),
            )
        )
    return tuple(rows)


def _page(rows: list[dict[str, Any]], total: int | None = -1) -> dict[str, Any]:
    """A list answer holding `rows` alone, with the total unless it is None (`count=false`)."""
    total_count = len(rows) if total == -1 else total
    return {
        "data": rows,
        "total_count": total_count,
        "has_more": False,
        "offset": 0,
        "limit": 1,
        "next_cursor": None,
    }


def example_cursor(resource: Resource, sort: str, row: dict[str, Any]) -> str:
    """The cursor the example owner gets after `row` in `?sort=` `id` (integer ids) or
    `created_at` (uuid ids, whose order the example cannot know), without filters."""
    id_type = sa.BigInteger() if resource.id_type == "integer" else sa.Uuid()
    row_id = row["id"] if resource.id_type == "integer" else UUID(row["id"])
    id_column = sa.column("id", id_type)
    if sort == "id":
        keyset, position = Keyset(id_column, id_column), (row_id, row_id)
    else:
        column = sa.column(sort, sa.DateTime(timezone=True))
        instant = datetime.datetime.fromisoformat(row[sort])
        keyset, position = Keyset(column, id_column), (instant, row_id)
    bound_to = fingerprint(resource.name, EXAMPLE_OWNER, {})
    return encode_cursor(keyset, sort=sort, bound_to=bound_to, position=position)


def examples(resource: Resource, prefix: str, *, idempotent: bool = False) -> tuple[Example, ...]:
    """The example session: create, read, list, update, replace, delete, then a 404.

    With `idempotent` (`api.idempotency`), the create carries an `Idempotency-Key` and is
    followed by its retry (replayed) and by the key sent with another body (422).
    """
    collection = prefix + resource.path.replace(f"{{{resource.owner.field}}}", EXAMPLE_OWNER)
    row_id: Any = 1 if resource.id_type == "integer" else EXAMPLE_UUID
    item = f"{collection}/{row_id}"
    found = {field.name: samples(field) for field in resource.fields}
    first = {f.name: found[f.name].ordered[0] for f in resource.fields if found[f.name].ordered}
    second = {f.name: found[f.name].ordered[-1] for f in resource.fields if found[f.name].ordered}
    if any(field.required and field.name not in first for field in resource.fields):
        return ()

    def shown(values: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {"id": row_id, resource.owner.field: EXAMPLE_OWNER}
        for field in resource.fields:
            if field.name in values and values[field.name] is not None:
                row[field.name] = normalised(field, values[field.name])
            elif field.has_default:
                row[field.name] = to_json(field, field.default)
            else:
                row[field.name] = None
        if resource.timestamps:
            row["created_at"] = EXAMPLE_TIME
            row["updated_at"] = EXAMPLE_TIME
        if resource.versioned:
            row["version"] = 1
        return row

    def exchange(
        title: str,
        method: str,
        path: str,
        body: Any,
        status: int,
        response: Any,
        headers: tuple[tuple[str, str], ...] = (),
        request_headers: tuple[tuple[str, str], ...] = (),
    ) -> Example:
        if resource.versioned and isinstance(response, dict) and "version" in response:
            headers = (*headers, ("ETag", f'"{response["version"]}"'))
        return Example(
            title=title,
            method=method,
            path=path,
            body=None if body is None else _json(body),
            status=status,
            status_text=STATUS_TEXT[status],
            headers=headers,
            response=None if response is None else _json(response),
            request_headers=request_headers,
        )

    def error(code: str, message: str) -> dict[str, Any]:
        return {"error": {"code": code, "message": message, "details": []}}

    def if_match(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        """The `If-Match` a write sends where rows have versions: the row's current ETag."""
        return (("If-Match", f'"{row["version"]}"'),) if resource.versioned else ()

    def moved(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "version": row["version"] + 1} if resource.versioned else row

    session: list[Example] = []
    current = shown(first)
    if resource.serves("create") and idempotent:
        session += _retried_creates(exchange, collection, item, first, second, current)
    elif resource.serves("create"):
        session.append(
            exchange("Create", "POST", collection, first, 201, current, (("Location", item),))
        )
    else:
        if resource.serves("list"):
            page = {**_page([]), "limit": 10}
            session.append(exchange("List", "GET", f"{collection}?limit=10", None, 200, page))
        return tuple(session)
    if resource.serves("read"):
        session.append(exchange("Read", "GET", item, None, 200, current))
        if resource.versioned:
            tag = (("ETag", '"1"'),)
            session.append(
                exchange(
                    "Read again, unchanged",
                    "GET",
                    item,
                    None,
                    304,
                    None,
                    tag,
                    (("If-None-Match", '"1"'),),
                )
            )
    if resource.serves("list"):
        page = {**_page([current]), "limit": 10}
        session.append(exchange("List", "GET", f"{collection}?limit=10", None, 200, page))
    unique = [field.name for field in resource.fields if field.unique]
    distinct = all(first.get(name) != second.get(name) for name in unique)
    sort = "id" if resource.id_type == "integer" else "created_at" if resource.timestamps else None
    if sort and distinct and (resource.serves("delete") or not unique):
        # A second row, then pages of one row by cursor: the first with the total and the
        # cursor of the next; the next, by that cursor, without the total (`count=false`).
        # The second row goes again, so that later writes cannot clash with its unique values.
        other_id: Any = 2 if resource.id_type == "integer" else SECOND_UUID
        other = {**shown(second), "id": other_id}
        created = (("Location", f"{collection}/{other_id}"),)
        session.append(exchange("Create another", "POST", collection, second, 201, other, created))
        cursor = example_cursor(resource, sort, current)
        page = {**_page([current], total=2), "has_more": True, "next_cursor": cursor}
        first_page = f"{collection}?sort={sort}&limit=1"
        session.append(exchange("Cursor pages: the first", "GET", first_page, None, 200, page))
        page = {**_page([other], total=None), "offset": None}
        next_page = f"{first_page}&count=false&cursor={cursor}"
        session.append(exchange("Cursor pages: the next", "GET", next_page, None, 200, page))
        if resource.serves("delete"):
            other_item = f"{collection}/{other_id}"
            deleted = exchange(
                "Delete the other", "DELETE", other_item, None, 204, None, (), if_match(other)
            )
            session.append(deleted)
    changed = next(
        (f for f in resource.fields if f.name in second and second[f.name] != first.get(f.name)),
        None,
    )
    if resource.serves("update") and changed is not None:
        patch = {changed.name: second[changed.name]}
        stale = if_match(current)
        current = moved({**current, changed.name: normalised(changed, second[changed.name])})
        session.append(exchange("Update (PATCH)", "PATCH", item, patch, 200, current, (), stale))
        if resource.versioned:
            message = f"{resource.name} {row_id} has changed: If-Match names no current ETag of it"
            refused = error("precondition_failed", message)
            title = "Update with a stale ETag: nothing changes"
            session.append(exchange(title, "PATCH", item, patch, 412, refused, (), stale))
    if resource.serves("replace"):
        sent = if_match(current)
        current = (
            {**shown(second), "version": current["version"] + 1}
            if resource.versioned
            else {**shown(second)}
        )
        session.append(exchange("Replace (PUT)", "PUT", item, second, 200, current, (), sent))
    if resource.serves("delete"):
        if resource.concurrency == "required":
            message = f"writes to a {resource.name} need an If-Match header with the row's ETag"
            refused = error("precondition_required", message)
            session.append(exchange("Delete without If-Match", "DELETE", item, None, 428, refused))
        session.append(exchange("Delete", "DELETE", item, None, 204, None, (), if_match(current)))
        if resource.serves("read"):
            missing = error("not_found", f"{resource.name} {row_id} not found")
            session.append(exchange("Read after delete", "GET", item, None, 404, missing))
    return tuple(session)


def _retried_creates(
    exchange: Callable[..., Example],
    collection: str,
    item: str,
    first: dict[str, Any],
    second: dict[str, Any],
    created: dict[str, Any],
) -> list[Example]:
    """A create with an `Idempotency-Key`, its retry, and the key reused with another body."""
    key = (("Idempotency-Key", EXAMPLE_KEY),)
    location = (("Location", item),)
    session: list[Example] = [
        exchange("Create", "POST", collection, first, 201, created, location, key),
        exchange(
            "Create again with the same key (a retry): the first answer, no second row",
            "POST",
            collection,
            first,
            201,
            created,
            (*location, ("Idempotent-Replayed", "true")),
            key,
        ),
    ]
    if second != first:
        reused = {
            "error": {
                "code": "idempotency_key_reused",
                "message": "this Idempotency-Key was already used with another request; "
                "send a new key for a new request",
                "details": [
                    {
                        "loc": ["header", "Idempotency-Key"],
                        "message": "first sent with another body or to another collection",
                        "type": "idempotency_key_reused",
                    }
                ],
            }
        }
        title = "The same key with another body"
        session.append(exchange(title, "POST", collection, second, 422, reused, (), key))
    return session
