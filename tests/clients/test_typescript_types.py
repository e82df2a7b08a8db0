"""TypeScript types from openapi-typescript compile against what the API really sends.

The types are generated from the served document; a usage file, written for the spec at hand,
assigns to them the JSON the app actually answered (a created row, a page), the bodies it
accepted, the error envelope for every documented error, and `undefined` for every optional
body (and, expecting the error, for every required one), and a create body of the required
fields alone; `tsc --noEmit --strict` must accept it.
Object literals get TypeScript's excess-property check, so a key the types lack fails too.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings
from tests.bearer import bearer_settings, owner_tokens
from tests.clients.document import Document, Resource, operations, resources_of
from tests.clients.node_tools import missing_reason, tool
from tests.clients.samples import Json, Samples, load_samples
from tests.fixtures import asgi_client

pytestmark = pytest.mark.anyio

OPENAPI_TYPESCRIPT_ARGS = ("openapi.json", "-o", "schema.d.ts", "--default-non-nullable", "false")
"""As the README says to run it: without `--default-non-nullable false`, openapi-typescript 7
makes every field with a default required in the types, even in request bodies."""
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "es2022",
        "module": "esnext",
        "moduleResolution": "bundler",
        "types": [],
    },
    "files": ["usage.ts"],
}
ENVELOPE = {
    "error": {
        "code": "validation_error",
        "message": "The request is not valid",
        "details": [{"loc": ["body", "title", 0], "message": "too long", "type": "string"}],
    }
}


def _body_type(operation_id: str) -> str:
    return (
        f'NonNullable<operations["{operation_id}"]["requestBody"]>["content"]["application/json"]'
    )


def _response_type(operation_id: str, status: str) -> str:
    return f'operations["{operation_id}"]["responses"][{status}]["content"]["application/json"]'


class Usage:
    """The lines of usage.ts."""

    def __init__(self) -> None:
        self.lines = [
            'import type { components, operations } from "./schema";',
            "",
            f'const envelope: components["schemas"]["ErrorBody"] = {json.dumps(ENVELOPE)};',
        ]

    def assign(self, name: str, type_: str, value: Any) -> None:
        self.lines.append(f"export const {name}: {type_} = {json.dumps(value)};")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _create_schema(document: Document, collection_path: str) -> Json:
    """The create body's schema, its `$ref` followed."""
    body = document["paths"][collection_path]["post"]["requestBody"]
    ref: str = body["content"]["application/json"]["schema"]["$ref"]
    schema: Json = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


async def _create(
    client: httpx.AsyncClient,
    resources: dict[str, Resource],
    samples: dict[str, Samples],
    key: str,
    owner: str,
) -> tuple[Json, Json]:
    """POST the first sample of `key` (targets of its references first): (body, row)."""
    resource = resources[key]
    body = dict(samples[key].bodies[0])
    for ref, target in samples[key].required_refs.items():
        body[ref] = (await _create(client, resources, samples, target, owner))[1]["id"]
    url = resource.collection_path.replace(f"{{{resource.owner_param}}}", owner)
    response = await client.post(url, json=body)
    assert response.status_code == 201, response.text
    return body, dict(response.json())


async def usage_for(client: httpx.AsyncClient, document: Document) -> str:
    """usage.ts for `document`, with real answers of the app behind `client`."""
    samples = load_samples()
    resources, _ = resources_of(document, set(samples))
    usage = Usage()
    for key, resource in resources.items():
        ids = resource.operation_ids
        if "create" not in ids:
            continue
        owner = f"owner-{uuid.uuid4().hex[:12]}"
        body, row = await _create(client, resources, samples, key, owner)
        usage.assign(f"{ids['create']}_body", _body_type(ids["create"]), body)
        required = _create_schema(document, resource.collection_path).get("required", [])
        minimal = {name: value for name, value in body.items() if name in required}
        usage.assign(f"{ids['create']}_minimal", _body_type(ids["create"]), minimal)
        usage.assign(f"{ids['create']}_201", _response_type(ids["create"], "201"), row)
        if "list" in ids:
            url = resource.collection_path.replace(f"{{{resource.owner_param}}}", owner)
            page = (await client.get(url)).json()
            usage.assign(f"{ids['list']}_200", _response_type(ids["list"], "200"), page)
    for _, _, operation in operations(document):
        operation_id = operation["operationId"]
        for status in sorted(operation["responses"]):
            if status[0] in "45":
                type_ = _response_type(operation_id, status)
                usage.lines.append(f"export const {operation_id}_{status}: {type_} = envelope;")
        if "requestBody" in operation:
            optional = f'operations["{operation_id}"]["requestBody"]'
            if operation["requestBody"].get("required"):
                usage.lines.append("// @ts-expect-error: a required body cannot be left out")
            usage.lines.append(f"export const {operation_id}_no_body: {optional} = undefined;")
    return usage.text()


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"


@pytest.fixture
async def sqlite_client(sqlite_url: str, bearer: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app on SQLite alone: the types are generated once per spec, whatever the databases.

    With a bearer-jwt spec, the app trusts the session's test issuer and each request is signed
    as the owner its path names."""
    settings = Settings(database_url=sqlite_url, **bearer_settings(bearer))
    async with asgi_client(create_app(settings), auth=owner_tokens(bearer)) as http:
        yield http


async def test_openapi_typescript_types_compile_against_real_answers(
    sqlite_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    client = sqlite_client
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_NODE_TOOLS") == "1":
            pytest.fail(f"REQUIRE_NODE_TOOLS=1: {reason}")
        pytest.skip(reason)
    served = await client.get("/openapi.json")
    assert served.status_code == 200, served.text
    (tmp_path / "openapi.json").write_text(served.text, encoding="utf-8")
    _run([str(tool("openapi-typescript")), *OPENAPI_TYPESCRIPT_ARGS], tmp_path)
    (tmp_path / "usage.ts").write_text(await usage_for(client, served.json()), encoding="utf-8")
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    _run([str(tool("tsc")), "-p", "tsconfig.json"], tmp_path)
