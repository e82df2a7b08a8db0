"""FastAPI on asyncpg directly: the generated app's read routes without SQLAlchemy."""

from __future__ import annotations

from fastapi import FastAPI, Response

from bench.floor.common import first_page, read_task

app = FastAPI()
JSON = "application/json"


@app.get("/api/{owner}/tasks")
async def list_tasks(owner: str) -> Response:
    return Response(await first_page(owner), media_type=JSON)


@app.get("/api/{owner}/tasks/{task_id}")
async def get_task(owner: str, task_id: int) -> Response:
    body = await read_task(owner, task_id)
    if body is None:
        return Response(b'{"error": "not found"}', status_code=404, media_type=JSON)
    return Response(body, media_type=JSON)
