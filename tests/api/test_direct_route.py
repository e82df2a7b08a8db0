"""`DirectRoute` (generated/routing.py) answers every request as FastAPI's own route would.

The same endpoints are served twice, once by plain `APIRoute`s and once by `DirectRoute`s,
and a battery of valid and invalid requests must get byte-identical answers from both; the
generated routes must all take the direct path (else it would not be what `make bench`
measures).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import fastapi
import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.errors import install_error_handlers
from app.main import create_app
from app.settings import Settings
from generated.routing import DirectRoute, _plan
from generated.support import BoolText, DecimalDigits, StorableText

pytestmark = pytest.mark.anyio


class Body(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=20)]
    done: bool = False


class Flip(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: StrictBool


async def condition(
    request: fastapi.Request,
    header: Annotated[str | None, fastapi.Header(alias="If-Match", max_length=10)] = None,
) -> str | None:
    """A plain async dependency, like the generated `if_match`: it may refuse the request."""
    if header == "refuse":
        raise fastapi.HTTPException(412, detail="refused by the dependency")
    return None if header is None else f"{header} for {request.method}"


Owner = Annotated[str, fastapi.Path(alias="user_id", pattern="^[a-z0-9-]+$"), StorableText]
RowId = Annotated[int, fastapi.Path(alias="id", ge=1), DecimalDigits]


def _router(route_class: type[fastapi.routing.APIRoute]) -> fastapi.APIRouter:
    router = fastapi.APIRouter(prefix="/api", route_class=route_class)

    @router.get("/{user_id}/things")
    async def listing(
        request: fastapi.Request,
        owner: Owner,
        limit: Annotated[int, fastapi.Query(ge=1, le=10), DecimalDigits] = 5,
        sort: Literal["a", "-a"] = "a",
        flag: Annotated[BoolText | None, fastapi.Query(alias="done")] = None,
        cursor: Annotated[str | None, fastapi.Query(max_length=8)] = None,
    ) -> fastapi.Response:
        seen = {"owner": owner, "limit": limit, "sort": sort, "done": flag, "cursor": cursor}
        seen["path"] = request.url.path
        return fastapi.responses.JSONResponse(seen)

    @router.post("/{user_id}/things/{id}")
    async def writing(
        owner: Owner,
        row_id: RowId,
        body: Body,
        key: Annotated[str | None, fastapi.Header(alias="Idempotency-Key", max_length=5)] = None,
        trace_id: Annotated[str | None, fastapi.Header()] = None,
    ) -> fastapi.Response:
        got = {"owner": owner, "id": row_id, "body": body.model_dump(), "key": key}
        got["trace"] = trace_id
        return fastapi.responses.JSONResponse(got, status_code=201)

    @router.patch("/{user_id}/things/{id}/flip")
    async def flipping(
        owner: Owner,
        row_id: RowId,
        body: Annotated[Flip | None, fastapi.Body()] = None,
        tag: Annotated[str | None, fastapi.Depends(condition)] = None,
    ) -> fastapi.Response:
        got = {"owner": owner, "id": row_id, "done": None if body is None else body.done}
        got["tag"] = tag
        return fastapi.responses.JSONResponse(got)

    return router


def _app(route_class: type[fastapi.routing.APIRoute]) -> fastapi.FastAPI:
    app = fastapi.FastAPI()
    install_error_handlers(app)
    app.include_router(_router(route_class))
    return app


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/alice/things", {}),
    ("GET", "/api/alice/things?limit=3&sort=-a&done=true&cursor=abc", {}),
    ("GET", "/api/alice/things?limit=0", {}),
    ("GET", "/api/alice/things?limit=11", {}),
    ("GET", "/api/alice/things?limit=1.5", {}),
    ("GET", "/api/alice/things?limit=%EF%BC%93", {}),  # a full-width digit
    ("GET", "/api/alice/things?sort=b", {}),
    ("GET", "/api/alice/things?done=maybe", {}),
    ("GET", "/api/alice/things?cursor=123456789", {}),
    ("GET", "/api/alice/things?limit=2&limit=3", {}),
    ("GET", "/api/Alice/things", {}),
    ("GET", "/api/al%00ce/things", {}),
    ("POST", "/api/bob/things/7", {"json": {"title": "x"}}),
    (
        "POST",
        "/api/bob/things/7",
        {
            "json": {"title": "x", "done": True},
            "headers": {"Idempotency-Key": "k1", "trace-id": "t"},
        },
    ),
    (
        "POST",
        "/api/bob/things/7",
        {"json": {"title": "x"}, "headers": {"Idempotency-Key": "toolong"}},
    ),
    ("POST", "/api/bob/things/0", {"json": {"title": "x"}}),
    ("POST", "/api/bob/things/abc", {"json": {"title": "x"}}),
    ("POST", "/api/bob/things/7", {"json": {"title": ""}}),
    ("POST", "/api/bob/things/7", {"json": {"done": True}}),
    ("POST", "/api/bob/things/7", {"json": ["x"]}),
    (
        "POST",
        "/api/bob/things/7",
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
    ),
    (
        "POST",
        "/api/bob/things/7",
        {"content": b"[" * 100_000, "headers": {"Content-Type": "application/json"}},
    ),
    (
        "POST",
        "/api/bob/things/7",
        {"content": b"", "headers": {"Content-Type": "application/json"}},
    ),
    ("POST", "/api/bob/things/7", {"content": b'{"title": "x"}'}),
    (
        "POST",
        "/api/bob/things/7",
        {"content": b'{"title": "x"}', "headers": {"Content-Type": "text/plain"}},
    ),
    (
        "POST",
        "/api/bob/things/7",
        {"content": b'{"title": "x"}', "headers": {"Content-Type": "application/merge-patch+json"}},
    ),
    (
        "POST",
        "/api/bob/things/7",
        {
            "content": b'{"title": "x"}',
            "headers": {"Content-Type": "application/json; charset=utf-8"},
        },
    ),
    ("PATCH", "/api/bob/things/7/flip", {}),
    ("PATCH", "/api/bob/things/7/flip", {"json": {"done": True}}),
    ("PATCH", "/api/bob/things/7/flip", {"json": {"done": "yes"}}),
    ("PATCH", "/api/bob/things/7/flip", {"json": {"done": True, "more": 1}}),
    ("PATCH", "/api/bob/things/7/flip", {"json": None}),
    (
        "PATCH",
        "/api/bob/things/7/flip",
        {"content": b"{", "headers": {"Content-Type": "application/json"}},
    ),
    (
        "PATCH",
        "/api/bob/things/7/flip",
        {"content": b'{"done": true}', "headers": {"Content-Type": "text/plain"}},
    ),
    ("PATCH", "/api/bob/things/7/flip", {"headers": {"If-Match": '"3"'}}),
    ("PATCH", "/api/bob/things/7/flip", {"headers": {"If-Match": "refuse"}}),
    ("PATCH", "/api/bob/things/7/flip", {"headers": {"If-Match": "far too long a tag"}}),
    ("PATCH", "/api/bob/things/x/flip", {"headers": {"If-Match": "refuse"}}),
    ("PATCH", "/api/bob/things/x/flip", {"headers": {"If-Match": "far too long a tag"}}),
]


@pytest.mark.parametrize(("method", "url", "options"), REQUESTS)
async def test_direct_and_plain_routes_answer_alike(
    method: str, url: str, options: dict[str, Any]
) -> None:
    answers = []
    for route_class in (fastapi.routing.APIRoute, DirectRoute):
        transport = httpx.ASGITransport(app=_app(route_class))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.request(method, url, **options)
        answers.append(
            (response.status_code, response.headers.get("content-type"), response.content)
        )
    assert answers[1] == answers[0]


def who() -> str:
    return "x"


async def test_a_plain_async_dependency_is_solved_directly() -> None:
    routes = [route for route in _router(DirectRoute).routes if isinstance(route, DirectRoute)]
    flip = [route for route in routes if route.path.endswith("/flip")]
    assert _plan(flip[0]) is not None


def test_a_route_with_a_sync_dependency_keeps_fastapis_handler() -> None:
    """FastAPI runs a `def` dependency in a worker thread; that is its handler's job."""
    router = fastapi.APIRouter(route_class=DirectRoute)

    @router.get("/who")
    async def endpoint(name: Annotated[str, fastapi.Depends(who)]) -> fastapi.Response:
        return fastapi.Response(name)

    assert _plan(router.routes[0]) is None  # type: ignore[arg-type]


def test_every_generated_route_takes_the_direct_path(sqlite_url: str) -> None:
    app = create_app(Settings(database_url=sqlite_url))
    generated = [route for route in app.routes if isinstance(route, DirectRoute)]
    assert generated
    for route in generated:
        assert _plan(route) is not None, (route.path, route.methods)


async def test_with_telemetry_recording_fastapis_handler_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FastAPI's spans and telemetry data come from its own handler: it serves every request
    while telemetry is recording (here: it fills in the request's telemetry data)."""
    from fastapi.telemetry._api import TelemetryData

    data = TelemetryData()
    monkeypatch.setattr("generated.routing.get_telemetry_data", lambda: data)
    monkeypatch.setattr("fastapi.routing.get_telemetry_data", lambda: data)
    transport = httpx.ASGITransport(app=_app(DirectRoute))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/alice/things?limit=2")).status_code == 200
    assert data.request is not None and data.values is not None
    assert data.values["limit"] == 2
