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

Closing a socket that still holds unread request bytes makes the kernel send a reset, and a
client still sending its body then sees "connection reset" instead of the 413. So the rest of
an over-limit body is read and discarded, up to `DRAIN_BYTES` past the limit, and the client
gets its answer however many workers serve it: a declared length by the server once the 413
is sent (uvicorn reads to the declared length any body a route leaves unread, on a connection
it keeps), or here before answering where the server would close instead (HTTP/1.0,
`Connection: close`); a chunked body here before answering. Past that bound the server has
read enough: the 413 says `Connection: close`, sent before any of the body is read for a
declared length or once the bound is reached for a chunked body, and the connection is
closed, so no client makes a worker read gigabytes it will throw away. A client that sent
`Expect: 100-continue` has sent no body yet: its 413 closes the connection too.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response

DRAIN_BYTES = 16 * 1024 * 1024
"""How much of a body past the limit is read and thrown away so that its client, still
sending, gets the 413 rather than a reset; a longer body's connection is closed instead."""
CLOSE = MappingProxyType({"Connection": "close"})


def too_large(limit: int, *, close: bool = False) -> JSONResponse:
    response = error_response(413, f"the request body is over {limit} bytes")
    if close:
        response.headers.update(CLOSE)
    return response


async def payload_too_large(request: Request, error: Exception) -> JSONResponse:
    """The envelope for a 413 raised while a route reads a chunked body (status 413)."""
    headers = getattr(error, "headers", None) or {}
    return too_large(int(request.app.body_limit), close=headers.get("Connection") == "close")


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
                        await self._refuse_declared(scope, receive, send, int(value))
                        return
                    receive = self._counting(receive, drain=False)
                    break
                if name == b"transfer-encoding":
                    receive = self._counting(receive, drain=True)
                    break
        await self.app(scope, receive, send)

    async def _refuse_declared(
        self, scope: Scope, receive: Receive, send: Send, declared: int
    ) -> None:
        """413 from the declared length, before any of the body is read.

        The server discards what the app left unread only on a connection it keeps; on one it
        closes after the answer (HTTP/1.0, `Connection: close`) the body is drained here
        first. A client waiting for `100 Continue` has sent no body, so the answer closes the
        connection rather than leave the server and the client to guess whether it follows.
        """
        headers = _connection_headers(scope)
        if declared > self.max_bytes + DRAIN_BYTES or b"100-continue" in headers[b"expect"]:
            close = True
        elif _server_closes(scope, headers[b"connection"]):
            await _discard(receive, declared)
            close = True
        else:
            close = False
        await too_large(self.max_bytes, close=close)(scope, receive, send)

    def _counting(self, receive: Receive, *, drain: bool) -> Receive:
        """`receive` that raises a 413 once the body read so far is over the limit; with
        `drain` (a chunked body, which the server does not discard by a declared length), it
        first reads the rest up to `DRAIN_BYTES`, and asks for the connection to be closed
        when the body goes on past them."""
        received = 0
        refused: HTTPException | None = None

        async def counted() -> Message:
            nonlocal received, refused
            if refused is not None:  # read again (a second reader): the same answer, at once
                raise refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    ended = not message.get("more_body", False)
                    if drain and not ended:
                        ended = await _discard(receive, DRAIN_BYTES)
                    refused = HTTPException(413, headers=None if ended else dict(CLOSE))
                    raise refused
            return message

        return counted


def _connection_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's `Connection` and `Expect` values, lower-cased (empty when absent)."""
    found = {b"connection": b"", b"expect": b""}
    for name, value in scope["headers"]:
        if name in found:
            found[name] += b"," + value.lower()
    return found


def _server_closes(scope: Scope, connection: bytes) -> bool:
    """Whether the server closes the connection after this request's answer."""
    tokens = {token.strip() for token in connection.split(b",")}
    if b"close" in tokens:
        return True
    return scope.get("http_version") == "1.0" and b"keep-alive" not in tokens


async def _discard(receive: Receive, limit: int) -> bool:
    """Read and drop the rest of a body, up to `limit` bytes: whether it ended within them
    (or the client left)."""
    discarded = 0
    while discarded <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return True
        discarded += len(message.get("body", b""))
    return False


class BodyLimitedFastAPI(FastAPI):
    """FastAPI with `BodyLimit` around its whole stack (`body_limit`: the largest body)."""

    def __init__(self, *, body_limit: int, **options: Any) -> None:
        super().__init__(**options)
        self.body_limit = body_limit

    def build_middleware_stack(self) -> ASGIApp:
        return BodyLimit(super().build_middleware_stack(), max_bytes=self.body_limit)
