"""A bare ASGI callable on asyncpg: the same two reads with no framework at all."""

from __future__ import annotations

from typing import Any

from bench.floor.common import first_page, read_task

HEADERS = [(b"content-type", b"application/json")]


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    parts = scope["path"].split("/")  # "", "api", owner, "tasks"[, id]
    if scope["method"] == "GET" and len(parts) == 4 and parts[1] == "api" and parts[3] == "tasks":
        await _answer(send, 200, await first_page(parts[2]))
        return
    if len(parts) == 5 and parts[1] == "api" and parts[3] == "tasks" and parts[4].isdigit():
        body = await read_task(parts[2], int(parts[4]))
        if body is not None:
            await _answer(send, 200, body)
            return
    await _answer(send, 404, b'{"error": "not found"}')
