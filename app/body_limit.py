"""413 for request bodies over the limit, in the error envelope, on every route.

FastAPI's `max_body_size` (Starlette's `RequestBodyLimitMiddleware`) counts the bytes a route
reads and raises a 413 `HTTPException` past the limit; `payload_too_large` turns it into the
envelope. When the declared Content-Length is over the limit, though, Starlette swaps *any*
answer for a plain-text 413 as it starts, from outside every handler: the envelope is lost, and
on a route that takes no body (DELETE) the operation has already run, so the row is gone while
the client is told nothing happened. `DeclaredLengthLimit`, outside Starlette's middleware
(`BodyLimitedFastAPI`), answers those requests from the one header before any route runs; it
never reads the body.

Neither answer says `Connection: close`, on purpose: closing a socket that still holds unread
request bytes makes the kernel send a reset, and a client still sending its body then sees
"connection reset" instead of the 413. Kept open, the server reads and discards the rest of
the body (uvicorn does so for any body a route leaves unread; h11 stops at the declared
length), and the client gets its answer however many workers serve it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import error_response


def too_large(limit: int) -> JSONResponse:
    return error_response(413, f"the request body is over {limit} bytes")


async def payload_too_large(request: Request, _error: Exception) -> JSONResponse:
    """The envelope for the framework's 413 (registered for status 413)."""
    limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY, request.app.max_body_size)
    return too_large(int(limit))


class DeclaredLengthLimit:
    """Pure ASGI middleware: a declared Content-Length over `max_bytes` is answered 413 at once."""

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
                    break
        await self.app(scope, receive, send)


class BodyLimitedFastAPI(FastAPI):
    """FastAPI whose `max_body_size` answers a declared over-limit body in the envelope."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.max_body_size is None:
            return stack
        return DeclaredLengthLimit(stack, max_bytes=self.max_body_size)
