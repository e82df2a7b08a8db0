"""413 for request bodies over the limit, in the error envelope, on every route: one layer.

`BodyLimit` is a pure ASGI middleware outside FastAPI's stack:
- a declared Content-Length over the limit is answered 413 from that header before any route
  runs (so a DELETE never runs while its client is told it did not);
- any other body (within its declared length, or chunked) is counted as the route reads it, and
  the read that goes past the limit raises a 413 `HTTPException`, which `payload_too_large`
  puts in the envelope; so an ASGI server that passed on more than the declared length would
  not get past the limit either. A request with neither header (a GET) has no body to count.

This replaces FastAPI's `max_body_size`, which does the same counting with a middleware at
the app, at the router and at every route, and wraps every response's `send`: under load that
was about 6% of the app's time on requests that carry no body at all (docs/decisions.md).

Neither answer says `Connection: close`, on purpose: closing a socket that still holds unread
request bytes makes the kernel send a reset, and a client still sending its body then sees
"connection reset" instead of the 413. Kept open, the server reads and discards the rest of
the body (uvicorn does so for any body a route leaves unread; h11 stops at the declared
length), and the client gets its answer however many workers serve it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response


def too_large(limit: int) -> JSONResponse:
    return error_response(413, f"the request body is over {limit} bytes")


async def payload_too_large(request: Request, _error: Exception) -> JSONResponse:
    """The envelope for a 413 raised while a route reads a chunked body (status 413)."""
    return too_large(int(request.app.body_limit))


class BodyLimit:
    """Pure ASGI middleware: 413 for a body over `max_bytes`, declared or counted."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    if value.isdigit() and int(value) > self.max_bytes:
                        await too_large(self.max_bytes)(scope, receive, send)
                        return
                    receive = self._counting(receive)
                    break
                if name == b"transfer-encoding":
                    receive = self._counting(receive)
                    break
        await self.app(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        """`receive` that raises a 413 once the body read so far is over the limit."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        return counted


class BodyLimitedFastAPI(FastAPI):
    """FastAPI with `BodyLimit` around its whole stack (`body_limit`: the largest body)."""

    def __init__(self, *, body_limit: int, **options: Any) -> None:
        super().__init__(**options)
        self.body_limit = body_limit

    def build_middleware_stack(self) -> ASGIApp:
        return BodyLimit(super().build_middleware_stack(), max_bytes=self.body_limit)
