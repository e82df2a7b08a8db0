"""The app factory: settings, logging, database, error envelope, body limit, request ids,
metrics, generated routers, extensions.

`app.main:app` is created on first access (PEP 562), so importing this module for
`create_app` in tests has no side effects.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from app.auth import build_verifier, spec_policy
from app.body_limit import BodyLimitedFastAPI, payload_too_large
from app.db import Database
from app.errors import AllowedMethods, install_error_handlers, served_by
from app.extension_loader import load_extensions
from app.health import router as health_router
from app.logs import configure_logging
from app.metrics import Metrics, metrics_router
from app.observe import RequestObserver, prefixed_templates
from app.openapi import install_openapi
from app.schema_check import SchemaCheck
from app.settings import ConfigError, Settings, load_settings
from app.telemetry import native_telemetry
from generated.routers import API_PREFIX, ROUTER_BUILDERS, SERVED_METHODS


class ObservedFastAPI(BodyLimitedFastAPI):
    """The app with `RequestObserver` outside every other layer (see app/observe.py): FastAPI's
    own `add_middleware` would put it inside the error middleware, missing its 500s."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestObserver(
            super().build_middleware_stack(),
            metrics=self.state.metrics,
            prefixed=self.state.prefixed_routes,
        )


def serve_directly(app: FastAPI, router: APIRouter) -> None:
    """Make `router`'s routes the app's own, rather than `include_router`'s included router.

    FastAPI 0.165 keeps an included router as one node that each request matches twice
    (once to choose it, once to pick the route inside), with its merged settings resolved
    per route: 9% of a read's CPU in the app under load (docs/decisions.md). A router whose
    routes already carry their full path and settings (the generated ones are built with
    the prefix; the probes have none) gives the same routes, OpenAPI entries and answers when
    its routes are the app's. An extension is served so when its `build_router` takes a
    `prefix`; one written as `build_router(connect)` is included as before.
    """
    app.router.routes.extend(router.routes)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A fully wired app; tests pass their own `Settings` (for example another database)."""
    settings = settings or load_settings()
    policy = spec_policy()
    # Refuses to build an app that would serve a bearer-jwt spec without checking tokens.
    verifier = build_verifier(settings, policy) if policy is not None else None
    configure_logging(settings)
    extension_builders = load_extensions()
    database = Database(settings, count_waiting=settings.metrics)
    metrics = Metrics(database) if settings.metrics else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await database.dispose()

    app = ObservedFastAPI(
        title="Generated CRUD API",
        description="Owner-scoped REST API generated from the resource spec.",
        version="1.0.0",
        lifespan=lifespan,
        body_limit=settings.max_body_bytes,
        telemetry=native_telemetry(),
    )
    app.state.database = database
    if verifier is not None:
        app.state.token_verifier = verifier  # what generated/bearer.py's dependency asks
    app.state.metrics = metrics
    app.state.schema_check = SchemaCheck()
    # The contract has no trailing-slash URLs: '/tasks/' is an unknown route (404), not a 307.
    app.router.redirect_slashes = False
    install_error_handlers(app)
    # Probes first, so no resource path (with an empty API prefix) can shadow them.
    serve_directly(app, health_router)
    if metrics is not None:
        serve_directly(app, metrics_router(metrics))
    # Generated routers in their generated order, then the extensions: the order the
    # allowed-methods table follows, so a URL belongs to the same path in both.
    for build_router in ROUTER_BUILDERS:
        serve_directly(app, build_router(database.connect, API_PREFIX))
    extensions, included = [], []
    for build_router in extension_builders:
        if "prefix" in inspect.signature(build_router).parameters:
            router = build_router(database.connect, prefix=API_PREFIX)
            serve_directly(app, router)
        else:  # an extension written as `build_router(connect)`: included under the prefix
            router = build_router(database.connect)
            app.include_router(router, prefix=API_PREFIX)
            included.append(router)
        extensions.append(router)
    app.state.prefixed_routes = prefixed_templates(API_PREFIX, included)
    app.state.allowed_methods = AllowedMethods(
        API_PREFIX, [*SERVED_METHODS, *served_by(extensions)]
    )
    app.add_exception_handler(413, payload_too_large)
    install_openapi(app)
    return app


_app: FastAPI | None = None


def __getattr__(name: str) -> Any:
    """`app.main:app` for uvicorn and other ASGI servers, built from the environment once."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        try:
            _app = create_app()
        except ConfigError as error:
            sys.exit(f"error: {error}")
    return _app
