"""What every contract test shares: a resource's URLs, creating and listing rows, the envelope.

The rules they check are those of docs/api-contract.md. Emitted once for all resources, and
importable by hand-written tests too (generated code never imports hand-written code).
"""

import datetime
import re
from dataclasses import dataclass
from typing import Any

import httpx

Json = dict[str, Any]
PAGE_KEYS = frozenset({"data", "total_count", "has_more", "offset", "limit"})
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


def order_key(value: Any) -> Any:
    """How the database orders a JSON value: timestamps as instants, the rest as they are."""
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return datetime.datetime.fromisoformat(value)
    return value


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
