"""Check request bodies before any route reads them: 413 over the size limit, 415 if not JSON.

The body is read here once, up to the limit, and handed on: a client that streams a huge
body without a Content-Length is cut off at the limit instead of filling memory. Doing the
content-type check here, for the routes that take JSON, keeps it off every request's
dependency chain; unknown routes and wrong methods still answer 404 and 405.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json(content_type: str) -> bool:
    """`application/json`, or any `application/*+json`, with or without parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    main_type, _, subtype = media_type.partition("/")
    return main_type == "application" and (subtype == "json" or subtype.endswith("+json"))


class BodyLimitMiddleware:
    """Pure ASGI middleware: 413 over `max_bytes`, 415 for a non-JSON body to a JSON route.

    `takes_json(method, path)` says whether a served route expects a JSON body there.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, takes_json: Callable[[str, str], bool]
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.takes_json = takes_json

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = self._declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if (
            body
            and scope["method"] in JSON_METHODS
            and not self._declares_json(scope)
            and self.takes_json(scope["method"], scope["path"])
        ):
            reason = "the request body must be JSON (application/json)"
            await error_response(415, reason)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _declares_json(scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"content-type":
                return is_json(value.decode("latin-1"))
        return False

    @staticmethod
    def _declared_length(scope: Scope) -> int | None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is over {self.max_bytes} bytes"
        response = error_response(413, message, headers={"Connection": "close"})
        await response(scope, receive, send)
