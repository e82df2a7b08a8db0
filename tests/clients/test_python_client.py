"""Every operation of the served document, called through a client openapi-python-client made.

The client is generated once per spec from `/openapi.json` as the app serves it, then every
operation is driven through it, as a user of the client would: rows are created from the
generated contract tests' bodies (targets of required references first), listed, read,
replaced, updated and deleted, an error comes back parsed as the envelope, and hand-written
extensions run through drivers of their own (EXTENSIONS). An operation nobody drove fails the
test, so a new extension cannot go untested. The example specs run this in their own copies of
the project (tests/examples/test_examples.py).
"""

from __future__ import annotations

import inspect
import typing
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.clients.document import Document, Resource, operations, resources_of
from tests.clients.python_client import generate_python_client, operation_module
from tests.clients.samples import Json, Samples, collection_key, load_samples

pytestmark = pytest.mark.anyio

BASE_URL = "http://testserver"
MISSING_INTEGER_ID = 2**63 - 1


class Driver:
    """Calls operations through the generated client and remembers which ones it called."""

    def __init__(
        self,
        package: ModuleType,
        client_for: Callable[[str], Any],
        samples: dict[str, Samples],
        document: Document,
    ) -> None:
        self.package = package
        self.client_for = client_for
        self.samples = samples
        self.resources, self.extensions = resources_of(document, set(samples))
        self.called: set[str] = set()
        self._made: Counter[str] = Counter()

    async def call(self, operation_id: str, owner: str, *args: Any, **kwargs: Any) -> Any:
        """Every operation takes the owner first; the client is the one that owner would use."""
        module = operation_module(self.package, operation_id)
        self.called.add(operation_id)
        client = self.client_for(owner)
        return await module.asyncio_detailed(owner, *args, client=client, **kwargs)

    def body(self, operation_id: str, values: Json) -> Any:
        """`values` as the model the operation's `body` argument takes."""
        module = operation_module(self.package, operation_id)
        hint = typing.get_type_hints(module._get_kwargs)["body"]
        (model,) = (arg for arg in typing.get_args(hint) or (hint,) if hasattr(arg, "from_dict"))
        return model.from_dict(values)

    def next_body(self, resource: Resource) -> Json:
        """The next sample body in turn: the samples differ in every unique field, and no owner
        here makes more rows of one resource than there are samples."""
        bodies = self.samples[resource.key].bodies
        self._made[resource.key] += 1
        return dict(bodies[(self._made[resource.key] - 1) % len(bodies)])

    async def create(self, resource: Resource, owner: str) -> Any:
        """A new row of `owner` through the client, with new targets for its references."""
        body = self.next_body(resource)
        for ref, target in self.samples[resource.key].required_refs.items():
            body[ref] = (await self.create(self.resources[target], owner)).id
        operation_id = resource.operation_ids["create"]
        response = await self.call(
            operation_id, owner, body=self.body(operation_id, jsonable(body))
        )
        assert response.status_code == 201, (operation_id, response.content)
        assert response.headers["location"].endswith(f"/{response.parsed.id}")
        return response.parsed

    def error_of(self, response: Any, status: int, code: str) -> None:
        """The documented error, parsed by the client as the envelope."""
        assert response.status_code == status, response.content
        assert type(response.parsed).__name__ == "ErrorBody", response.parsed
        assert response.parsed.error.code == code, response.parsed


def jsonable(body: Json) -> Json:
    """Ids as JSON gives them (a UUID as text), as `from_dict` expects."""
    return {
        name: str(value) if isinstance(value, uuid.UUID) else value for name, value in body.items()
    }


async def drive_resource(driver: Driver, resource: Resource, owner: str) -> None:
    """Each generated operation of `resource` once, and a 404 read back as the envelope."""
    ids = resource.operation_ids
    missing: Any = MISSING_INTEGER_ID if resource.integer_id else uuid.uuid4()
    row = await driver.create(resource, owner) if "create" in ids else None
    if "list" in ids:
        page = (await driver.call(ids["list"], owner)).parsed
        listed = [found.id for found in page.data]
        assert listed == ([] if row is None else [row.id]), page
        assert page.total_count == len(listed) and page.has_more is False, page
    if row is not None and "read" in ids:
        read = await driver.call(ids["read"], owner, row.id)
        assert read.status_code == 200 and read.parsed.to_dict() == row.to_dict(), read.content
    for kind in ("replace", "update"):
        if row is not None and kind in ids:
            values = jsonable(_keeping_refs(driver, resource, row))
            if kind == "update":
                values = dict(list(values.items())[:1])
            body = driver.body(ids[kind], values)
            tag = if_match(driver, ids[kind], row)
            changed = await driver.call(ids[kind], owner, row.id, body=body, **tag)
            assert changed.status_code == 200 and changed.parsed.id == row.id, changed.content
            row = changed.parsed
    if row is not None and "delete" in ids:
        tag = if_match(driver, ids["delete"], row)
        deleted = await driver.call(ids["delete"], owner, row.id, **tag)
        assert deleted.status_code == 204, deleted.content
        missing = row.id
    if "read" in ids:
        driver.error_of(await driver.call(ids["read"], owner, missing), 404, "not_found")
    elif "delete" in ids:
        driver.error_of(await driver.call(ids["delete"], owner, missing), 404, "not_found")


def if_match(driver: Driver, operation_id: str, row: Any) -> dict[str, str]:
    """The `if_match` argument where the operation takes one (`concurrency`): the row's ETag."""
    module = operation_module(driver.package, operation_id)
    if "if_match" not in inspect.signature(module.asyncio_detailed).parameters:
        return {}
    return {"if_match": f'"{row.version}"'}


def _keeping_refs(driver: Driver, resource: Resource, row: Any) -> Json:
    """The next sample body, still naming the row's own reference targets."""
    body = driver.next_body(resource)
    for ref in driver.samples[resource.key].required_refs:
        body[ref] = getattr(row, ref)
    return body


async def drive_complete_task(driver: Driver, owner: str) -> None:
    """`PATCH .../complete`: without a body it toggles; with one it sets `completed`."""
    path = driver.extensions["complete_task"]
    task = driver.resources[collection_key(path.removesuffix("/{id}/complete"))]
    row = await driver.create(task, owner)
    toggled = await driver.call(
        "complete_task", owner, row.id, **if_match(driver, "complete_task", row)
    )
    assert toggled.status_code == 200, toggled.content
    assert toggled.parsed.completed is (not row.completed)
    body = driver.body("complete_task", {"completed": False})
    tag = if_match(driver, "complete_task", toggled.parsed)
    kept = await driver.call("complete_task", owner, row.id, body=body, **tag)
    assert kept.status_code == 200 and kept.parsed.completed is False, kept.content
    missing = await driver.call("complete_task", owner, MISSING_INTEGER_ID)
    driver.error_of(missing, 404, "not_found")


EXTENSIONS: dict[str, Callable[[Driver, str], Awaitable[None]]] = {
    "complete_task": drive_complete_task,
}
"""Drivers of the hand-written operations, by operation id."""


class ApiClients:
    """The generated client each owner uses, on the app in process; undocumented statuses raise.

    Without a security scheme in the document one `Client` serves everyone. A document that
    declares HTTP bearer auth gets an `AuthenticatedClient` per owner, with the token from
    `token_for(owner)`: a spec with `auth` provides it as the `bearer_token_for` fixture.
    """

    def __init__(
        self,
        package: ModuleType,
        transport: httpx.AsyncBaseTransport,
        token_for: Callable[[str], str] | None,
    ) -> None:
        self._package, self._transport, self._token_for = package, transport, token_for
        self._clients: dict[str | None, Any] = {}

    def __call__(self, owner: str) -> Any:
        key = owner if self._token_for is not None else None
        if key not in self._clients:
            settings = {"base_url": BASE_URL, "raise_on_unexpected_status": True}
            settings["httpx_args"] = {"transport": self._transport}
            if self._token_for is None:
                self._clients[key] = self._package.Client(**settings)
            else:
                token = self._token_for(owner)
                self._clients[key] = self._package.AuthenticatedClient(token=token, **settings)
        return self._clients[key]

    async def aclose(self) -> None:
        for generated_client in self._clients.values():
            await generated_client.get_async_httpx_client().aclose()


def bearer_token_source(document: Document, request: pytest.FixtureRequest) -> Any:
    """`bearer_token_for` where the document asks for a bearer token, else None."""
    schemes = document.get("components", {}).get("securitySchemes", {}).values()
    if not any(scheme.get("scheme") == "bearer" for scheme in schemes):
        return None
    try:
        return request.getfixturevalue("bearer_token_for")
    except pytest.FixtureLookupError:
        pytest.fail("the document asks for a bearer token: provide a `bearer_token_for` fixture")


async def test_a_generated_python_client_drives_every_operation(
    app: FastAPI,
    client: httpx.AsyncClient,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    served = await client.get("/openapi.json")
    assert served.status_code == 200, served.text
    document: Document = served.json()
    package = generate_python_client(document, tmp_path_factory.mktemp("python-client"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    clients = ApiClients(package, transport, bearer_token_source(document, request))
    driver = Driver(package, clients, load_samples(), document)
    try:
        for resource in driver.resources.values():
            await drive_resource(driver, resource, f"owner-{uuid.uuid4().hex[:12]}")
        for operation_id in sorted(driver.extensions):
            assert operation_id in EXTENSIONS, f"no driver for {operation_id}: add it to EXTENSIONS"
            await EXTENSIONS[operation_id](driver, f"owner-{uuid.uuid4().hex[:12]}")
    finally:
        await clients.aclose()
    every = {operation["operationId"] for _, _, operation in operations(document)}
    assert driver.called == every, f"never called: {sorted(every - driver.called)}"
