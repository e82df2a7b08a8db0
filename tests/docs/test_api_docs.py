"""The example session of generated/API.md, replayed against the app, gets the documented answers.

Each resource's examples run in order for a fresh owner: the documented owner and id in paths,
headers and bodies are replaced by the real ones, and ids and timestamps in responses are
compared by presence, not value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures import ROOT

pytestmark = pytest.mark.anyio

API_MD = ROOT / "generated" / "API.md"
EXAMPLE_OWNER = "alice"
VARYING = {"id", "created_at", "updated_at"}


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    body: Any
    status: int
    headers: dict[str, str]
    response: Any
    request_headers: dict[str, str]


def _parse_http(block: str) -> tuple[str, dict[str, str], Any]:
    head, _, body = block.partition("\n\n")
    first, *header_lines = head.splitlines()
    headers = dict(line.split(": ", 1) for line in header_lines)
    return first, headers, json.loads(body) if body.strip() else None


def sessions() -> dict[str, list[Exchange]]:
    """Every resource's example session, parsed from the generated Markdown."""
    found: dict[str, list[Exchange]] = {}
    for section in re.split(r"^## ", API_MD.read_text(), flags=re.M)[1:]:
        name = section.splitlines()[0].strip()
        blocks = re.findall(r"```http\n(.*?)\n```", section, flags=re.S)
        exchanges = []
        for request, response in zip(blocks[::2], blocks[1::2], strict=True):
            request_line, sent, body = _parse_http(request)
            status_line, headers, answer = _parse_http(response)
            method, path = request_line.split(" ", 1)
            headers.pop("Content-Type", None)
            sent.pop("Content-Type", None)
            status = int(status_line.split()[1])
            exchanges.append(Exchange(method, path, body, status, headers, answer, sent))
        if exchanges:
            found[name] = exchanges
    return found


SESSIONS = sessions()


def _substitute(text: str, owner: str, ids: dict[str, str]) -> str:
    """`text` with the documented owner, ids and cursors replaced by the real ones, in one pass
    (a real id may well start with another documented id)."""
    text = text.replace(f"/{EXAMPLE_OWNER}/", f"/{owner}/")
    if not ids:
        return text
    documented = sorted(ids, key=len, reverse=True)
    pattern = "|".join(re.escape(text) for text in documented)
    return re.sub(pattern, lambda match: ids[match.group(0)], text)


def _matches(documented: Any, actual: Any, owner: str, ids: dict[str, str]) -> bool:
    if isinstance(documented, dict) and isinstance(actual, dict):
        if set(documented) != set(actual):
            return False
        return all(
            key in VARYING or _matches(value, actual[key], owner, ids)
            for key, value in documented.items()
        )
    if isinstance(documented, list) and isinstance(actual, list):
        return len(documented) == len(actual) and all(
            _matches(d, a, owner, ids) for d, a in zip(documented, actual, strict=True)
        )
    if documented == EXAMPLE_OWNER:
        return bool(actual == owner)
    if isinstance(documented, str):
        return bool(_substitute(documented, owner, ids) == actual)
    return bool(documented == actual)


def test_api_md_documents_an_example_session_for_every_resource() -> None:
    """Every resource whose rows stand alone: a row that must point at another row (a
    reference that is not nullable) needs that row first, which one session cannot show."""
    import generated.models
    from generated.models import __all__ as models

    def stands_alone(name: str) -> bool:
        table = getattr(generated.models, name).__table__
        return all(fk.elements[-1].parent.nullable for fk in table.foreign_key_constraints)

    resources = {name for name in models if name != "Base" and stands_alone(name)}
    assert set(SESSIONS) == resources
    for exchanges in SESSIONS.values():
        assert exchanges[0].method in ("POST", "GET")


@pytest.mark.parametrize("resource", sorted(SESSIONS))
async def test_documented_examples_get_the_documented_responses(
    client: httpx.AsyncClient, owner: str, resource: str
) -> None:
    ids: dict[str, str] = {}
    for exchange in SESSIONS[resource]:
        response = await client.request(
            exchange.method,
            _substitute(exchange.path, owner, ids),
            json=exchange.body,
            headers=exchange.request_headers,
        )
        assert response.status_code == exchange.status, (exchange, response.text)
        if exchange.method == "POST" and exchange.status == 201:
            documented_id = str(exchange.response["id"])
            ids[f"/{documented_id}"] = f"/{response.json()['id']}"
            for after in (" not found", " has changed"):
                ids[f" {documented_id}{after}"] = f" {response.json()['id']}{after}"
        documented_cursor = (exchange.response or {}).get("next_cursor")
        if isinstance(documented_cursor, str):  # made for the real owner and rows
            ids[documented_cursor] = response.json()["next_cursor"]
        for name, value in exchange.headers.items():
            assert response.headers[name] == _substitute(value, owner, ids), name
        if exchange.response is None:
            assert response.content == b""
        else:
            assert _matches(exchange.response, response.json(), owner, ids), (
                exchange.response,
                response.json(),
            )
