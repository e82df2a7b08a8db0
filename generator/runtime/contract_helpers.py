"""What every contract test shares: a resource's URLs, creating and listing rows, the envelope.

The rules they check are those of docs/api-contract.md. Emitted once for all resources, and
importable by hand-written tests too (generated code never imports hand-written code).
"""

import contextlib
import datetime
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

Json = dict[str, Any]
PAGE_KEYS = frozenset({"data", "total_count", "has_more", "offset", "limit", "next_cursor"})
LEAKS = ("Traceback", "[SQL:", "sqlalche.me", "sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")
"""Text an error body must never carry: stack traces, SQL text, driver names."""
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:\d\d)")


@dataclass(frozen=True)
class ResourceApi:
    """One resource's URLs, and its create and list calls asserting the contract's answers."""

    collection_template: str
    """The collection path with `{owner}` where the owner goes."""

    def collection(self, owner: str) -> str:
        return self.collection_template.format(owner=owner)

    def item(self, owner: str, row_id: object) -> str:
        return f"{self.collection(owner)}/{row_id}"

    async def create(self, client: httpx.AsyncClient, owner: str, body: Json) -> Json:
        """POST `body`; the created row, after checking the 201."""
        response = await client.post(self.collection(owner), json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def list_rows(
        self, client: httpx.AsyncClient, owner: str, params: dict[str, Any] | None = None
    ) -> Json:
        """GET one page; the page, after checking the 200 and its keys."""
        response = await client.get(self.collection(owner), params=params)
        assert response.status_code == 200, response.text
        page = dict(response.json())
        assert set(page) == PAGE_KEYS, page
        return page

    async def walk(
        self,
        client: httpx.AsyncClient,
        owner: str,
        params: dict[str, Any],
        *,
        limits: tuple[int, ...],
        before_each_page: Callable[[], Awaitable[object]] | None = None,
        total: int | None = None,
    ) -> list[Json]:
        """Every row from the first page to the last, following `next_cursor`; the limit
        cycles through `limits`, since it may change from page to page. With `total`, every
        page must report it as `total_count`."""
        rows: list[Json] = []
        cursor = None
        for index in range(MAX_PAGES):
            if before_each_page is not None:
                await before_each_page()
            query = {**params, "limit": limits[index % len(limits)]}
            if cursor is not None:
                query["cursor"] = cursor
            page = await self.list_rows(client, owner, query)
            assert len(page["data"]) <= query["limit"], page
            assert page["offset"] == (None if "cursor" in query else 0), page
            assert total is None or page["total_count"] == total, page
            rows += page["data"]
            cursor = page["next_cursor"]
            assert page["has_more"] is (cursor is not None), page
            if cursor is None:
                return rows
        raise AssertionError(f"still more pages after {MAX_PAGES}")


MAX_PAGES = 1000


def order_key(value: Any) -> Any:
    """How the database orders a JSON value: timestamps as instants, the rest as they are."""
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return datetime.datetime.fromisoformat(value)
    return value


def expected_order(rows: list[Json], key: str, *, descending: bool) -> list[Json]:
    """`rows` as a list sorted by `key` orders them: ties by id in the same direction, and
    NULLs last in either direction."""
    valued = [row for row in rows if row[key] is not None]
    nulls = [row for row in rows if row[key] is None]
    valued.sort(key=lambda row: (order_key(row[key]), row["id"]), reverse=descending)
    nulls.sort(key=lambda row: row["id"], reverse=descending)
    return valued + nulls


def assert_envelope(response: httpx.Response) -> Json:
    """Any 4xx or 5xx: the contract's JSON envelope, leaking nothing; the inner `error`."""
    assert response.status_code >= 400, response.text
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error: Json = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["details"], list), body
    for leak in LEAKS:
        assert leak not in response.text, f"the error leaks {leak!r}: {response.text}"
    return error


def assert_error(response: httpx.Response, status: int, code: str) -> Json:
    """The envelope with this status and code; a 422 lists each problem with its `loc`."""
    assert response.status_code == status, (response.status_code, response.text)
    error = assert_envelope(response)
    assert error["code"] == code, error
    if status == 422:
        assert error["details"], "a 422 lists its problems"
        for detail in error["details"]:
            assert isinstance(detail, dict), detail
            assert isinstance(detail.get("loc"), list) and detail["loc"], detail
            assert isinstance(detail.get("message"), str) and detail["message"], detail
    return error


@contextlib.contextmanager
def if_match(client: httpx.AsyncClient, value: str | None) -> Iterator[None]:
    """Send `If-Match: value` (or none at all) on the requests made inside.

    Shared by the contract tests of every resource with `concurrency`."""
    before = client.headers.pop("If-Match", None)
    if value is not None:
        client.headers["If-Match"] = value
    try:
        yield
    finally:
        client.headers.pop("If-Match", None)
        if before is not None:
            client.headers["If-Match"] = before
