"""Extensions are served under the API prefix whichever way their builder is written:
`build_router(connect, prefix)` as the app's own routes, `build_router(connect)` included."""

from __future__ import annotations

from collections.abc import Callable

import fastapi
import httpx
import pytest

from app import main
from app.settings import Settings
from generated.support import ConnectionFactory

pytestmark = pytest.mark.anyio


async def _ping(user_id: str) -> fastapi.Response:
    return fastapi.Response(f"pong {user_id}")


def with_prefix(connect: ConnectionFactory, prefix: str = "") -> fastapi.APIRouter:
    router = fastapi.APIRouter(prefix=prefix)
    router.add_api_route("/{user_id}/ping", _ping, methods=["GET"])
    return router


def without_prefix(connect: ConnectionFactory) -> fastapi.APIRouter:
    router = fastapi.APIRouter()
    router.add_api_route("/{user_id}/pong", _ping, methods=["GET"])
    return router


@pytest.mark.parametrize(
    ("builder", "path", "direct"),
    [(with_prefix, "/api/{user_id}/ping", True), (without_prefix, "/api/{user_id}/pong", False)],
)
async def test_an_extension_answers_under_the_prefix_with_its_allowed_methods(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    builder: Callable[..., fastapi.APIRouter],
    path: str,
    direct: bool,
) -> None:
    monkeypatch.setattr(main, "load_extensions", lambda: (builder,))
    app = main.create_app(Settings(database_url=sqlite_url))
    own_paths = {getattr(route, "path", None) for route in app.router.routes}
    assert (path in own_paths) is direct
    url = path.replace("{user_id}", "alice")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get(url)
        refused = await client.post(url)
        scraped = await client.get("/metrics")
    assert (answer.status_code, answer.text) == (200, "pong alice")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET"
    assert f'route="{path}"' in scraped.text  # the template, however the route is mounted
