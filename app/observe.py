"""One pure ASGI layer, outermost, for what every request gets: an id, an access line, metrics.

Outside every other layer, so it sees the final status of each answer (the body limit's 413,
the framework's 404 and 405, a 500 from the error middleware) and adds `X-Request-ID` to all of
them. Pure ASGI rather than `BaseHTTPMiddleware`: no extra task or body streaming per request;
the layer wraps `send` to read the status and add one header, and `receive` to notice a client
that leaves while its body is being read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from fastapi import APIRouter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access_log import AccessLog
from app.metrics import UNMATCHED_ROUTE, Metrics
from app.request_id import HEADER, current_request_id, request_id_from

CLIENT_CLOSED_REQUEST = 499
"""The status logged and counted for a request whose client closed the connection while its
body was still being read, before any answer (nginx's convention): the answer went nowhere,
so no real status describes it. A client that leaves later is not noticed here."""


def route_template(scope: Scope, prefixed: Mapping[int, str]) -> str:
    """The path template of the route that answered (`/api/{user_id}/tasks`), never the raw
    path, which holds owner ids and would give metrics a series per URL.

    `scope["route"]` is the route as its router declared it, without the prefix the router was
    included under; `prefixed` maps such routes (by identity) to their full template.
    """
    route = scope.get("route")
    if route is None:
        return UNMATCHED_ROUTE
    template = prefixed.get(id(route))
    if template is not None:
        return template
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def prefixed_templates(prefix: str, routers: Iterable[APIRouter]) -> dict[int, str]:
    """The full templates of the routes of `routers`, included under `prefix`."""
    templates: dict[int, str] = {}
    for router in routers:
        for route in router.routes:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                templates[id(route)] = prefix + path
    return templates


class RequestObserver:
    """Sets the request id for the request's log lines, echoes it, then logs and counts."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics | None, prefixed: Mapping[int, str]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.prefixed = prefixed
        self.access_log = AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        header = (HEADER, request_id.encode("ascii"))
        token = current_request_id.set(request_id)
        status = 500  # what the client gets if the app fails before answering
        answered = gone = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        async def watched_receive() -> Message:
            nonlocal gone
            message = await receive()
            if message["type"] == "http.disconnect" and not answered:
                gone = True
            return message

        try:
            await self.app(scope, watched_receive, send_with_id)
        finally:
            if gone:
                # The client left while its request was still being read: whatever the app
                # answered then (a 422 for the cut body, a 500) reached nobody.
                status = CLIENT_CLOSED_REQUEST
            seconds = time.perf_counter() - started
            route = route_template(scope, self.prefixed)
            method = scope["method"]
            if self.metrics is not None:
                self.metrics.observe(route, method, status, seconds)
            self.access_log.write(method, route, status, seconds)
        # Not in `finally`: when the app raises, the server logs the exception in this same task
        # (its own per request, so the value goes with it), and that line keeps the id too.
        current_request_id.reset(token)
