"""Fixtures for a spec with `auth: {type: bearer-jwt}`; with any other spec they are inert.

The app of such a spec refuses to start without a key source, so the shared `app` fixture
gets the settings of a test issuer (`bearer`: keys made for the session, served by a real
key-set server on 127.0.0.1), and the shared `client` signs each request as the owner its path
names, so the generic contract tests run unchanged. The generated auth tests take
`anonymous_client` (no automatic token) and `bearer_client` (an app with settings of their own).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from app.auth import spec_policy

HELPERS = "generated.tests._auth"
"""Generated (from generator/runtime/auth_helpers.py) only for a bearer-jwt spec."""

BearerClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def bearer() -> Iterator[Any]:
    """The session's `BearerSetup` (issuer, running key-set server), or None without auth."""
    policy = spec_policy()
    if policy is None:
        yield None
        return
    helpers = importlib.import_module(HELPERS)
    issuer = helpers.new_issuer(policy.algorithms, policy.owner_claim)
    server = helpers.KeySetServer(issuer.public_jwks()).start()
    try:
        yield helpers.BearerSetup(issuer, server, policy.algorithms)
    finally:
        server.stop()


def bearer_settings(bearer: Any) -> dict[str, Any]:
    """Settings keywords that make the app trust the session's issuer (none without auth)."""
    return {} if bearer is None else dict(bearer.settings())


def owner_tokens(bearer: Any) -> httpx.Auth | None:
    """An httpx auth signing each request as its path's owner (None without auth)."""
    if bearer is None:
        return None
    from generated.routers import API_PREFIX, SERVED_METHODS

    helpers = importlib.import_module(HELPERS)
    pattern = helpers.owner_pattern(API_PREFIX, [path for path, _ in SERVED_METHODS])
    auth: httpx.Auth = helpers.OwnerTokens(bearer.issuer, pattern)
    return auth


@pytest.fixture(scope="session")
def bearer_token_for(bearer: Any) -> Callable[[str], str]:
    """Mints a valid token of the session's issuer for an owner (a bearer-jwt spec only)."""
    if bearer is None:
        pytest.skip("the spec has no auth: there are no tokens to mint")
    issuer = bearer.issuer

    def token_for(owner: str) -> str:
        token: str = issuer.token(owner)
        return token

    return token_for


@pytest.fixture(scope="session")
async def anonymous_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the shared app that sends only the headers a test gives it."""
    from tests.fixtures import asgi_client

    async with asgi_client(app) as http:
        yield http


@pytest.fixture
def bearer_client(database_url: str, bearer: Any) -> BearerClient:
    """Opens a client (no automatic token) on a new app of the session's settings + overrides."""
    from app.main import create_app
    from app.settings import Settings
    from tests.fixtures import asgi_client

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = {"database_url": database_url, **bearer_settings(bearer), **overrides}
        async with asgi_client(create_app(Settings(**settings))) as http:
            yield http

    return open_client
