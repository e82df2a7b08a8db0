"""What both floor apps share: the asyncpg pool, the two statements and the JSON they answer."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
from typing import Any

import asyncpg

COLUMNS = "id, user_id, title, description, completed, created_at, updated_at"
READ_ROW = f"SELECT {COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2"
FIRST_PAGE = (
    f"SELECT {COLUMNS}, count(*) OVER () AS total FROM tasks WHERE user_id = $1 "
    "ORDER BY created_at DESC, id DESC LIMIT 20"
)
PAGE_SIZE = 20

_pool: asyncpg.Pool | None = None
_lock = asyncio.Lock()


async def pool() -> asyncpg.Pool:
    """One pool per process, sized like the other apps' (`DB_POOL_SIZE`), opened on first use."""
    global _pool
    if _pool is None:
        async with _lock:
            if _pool is None:
                url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
                size = int(os.environ.get("DB_POOL_SIZE", "10"))
                _pool = await asyncpg.create_pool(
                    url, min_size=1, max_size=size, server_settings={"TimeZone": "UTC"}
                )
    return _pool


def _instant(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def task(record: Any) -> dict[str, Any]:
    return {
        "id": record["id"],
        "user_id": record["user_id"],
        "title": record["title"],
        "description": record["description"],
        "completed": record["completed"],
        "created_at": _instant(record["created_at"]),
        "updated_at": _instant(record["updated_at"]),
    }


async def read_task(owner: str, task_id: int) -> bytes | None:
    async with (await pool()).acquire() as conn:
        record = await conn.fetchrow(READ_ROW, task_id, owner)
    return None if record is None else json.dumps(task(record), separators=(",", ":")).encode()


async def first_page(owner: str) -> bytes:
    async with (await pool()).acquire() as conn:
        records = await conn.fetch(FIRST_PAGE, owner)
    total = records[0]["total"] if records else 0
    page = {
        "data": [task(record) for record in records],
        "total_count": total,
        "has_more": len(records) < total,
        "offset": 0,
        "limit": PAGE_SIZE,
    }
    return json.dumps(page, separators=(",", ":")).encode()
