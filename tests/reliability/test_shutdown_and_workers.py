"""A real `uvicorn app.main:app`, as `make serve` runs it: graceful shutdown, and two workers.

SIGTERM while a request is in flight must let that request finish with its 2xx before the
process exits. The slow request is made without touching the app: a separate connection
holds the row's lock (`SELECT ... FOR UPDATE`), so the server's UPDATE waits for it. With
`--workers 2` on PostgreSQL, the concurrency checks of test_concurrency and owner isolation
hold over real HTTP, also through PgBouncer in transaction mode, and every body over the limit
gets its 413, however it is sent, instead of a reset connection.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.fixtures import ServerProcess, server_process
from tests.reliability.pgbouncer import require_pgbouncer, running_pgbouncer
from tests.reliability.scenarios import TOGGLES, concurrent_creates, concurrent_toggles
from tests.task_api import (
    MIB,
    Json,
    all_rows,
    assert_error,
    collection,
    complete_url,
    create,
    item,
)

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

LOCK_WAIT_SECONDS = 10.0
HELD_AFTER_SIGTERM_SECONDS = 1.0
HTTP_TIMEOUT = httpx.Timeout(30.0)
SMALL_POOLS = {"DB_POOL_SIZE": "5", "DB_MAX_OVERFLOW": "5"}
"""At most 10 connections per worker: the test shares its PostgreSQL server with others."""


def asyncpg_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def wait_until_blocked_by(monitor: Any, blocker_pid: int) -> None:
    """Until some backend waits for a lock that `blocker_pid` holds."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        waiting = await monitor.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
            blocker_pid,
        )
        if waiting:
            return
        assert time.monotonic() < deadline, "the server's UPDATE never waited for the lock"
        await asyncio.sleep(0.05)


async def stopped(server: ServerProcess) -> int:
    return await asyncio.to_thread(server.wait)


async def test_sigterm_lets_the_request_in_flight_finish_with_its_2xx(
    postgres_database_url: str, owner: str
) -> None:
    dsn = asyncpg_url(postgres_database_url)
    with server_process(postgres_database_url) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
            task = await create(http, owner, title="before shutdown")

            locker = await asyncpg.connect(dsn)
            monitor = await asyncpg.connect(dsn)
            try:
                lock = locker.transaction()
                await lock.start()
                await locker.execute("SELECT id FROM tasks WHERE id = $1 FOR UPDATE", task["id"])
                slow = asyncio.create_task(
                    http.patch(item(owner, task["id"]), json={"title": "finished in shutdown"})
                )
                await wait_until_blocked_by(monitor, locker.get_server_pid())

                server.terminate()
                await asyncio.sleep(HELD_AFTER_SIGTERM_SECONDS)
                assert server.process.poll() is None, (
                    "the server exited with a request in flight:\n" + server.output()
                )
                assert not slow.done(), "the request was answered before the lock was released"
                await lock.rollback()

                response = await asyncio.wait_for(slow, timeout=LOCK_WAIT_SECONDS)
                assert response.status_code == 200, response.text
                assert response.json()["title"] == "finished in shutdown"

                await stopped(server)
                server.assert_stopped_cleanly()
                stored = await monitor.fetchval(
                    "SELECT title FROM tasks WHERE id = $1 AND user_id = $2", task["id"], owner
                )
                assert stored == "finished in shutdown"
            finally:
                await locker.close()
                await monitor.close()


def worker_processes(server: ServerProcess) -> list[int]:
    """The workers uvicorn's supervisor started (as it logs them) that are still its children."""
    pid = server.process.pid
    children = {
        int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    }
    logged = [
        int(worker) for worker in re.findall(r"Started server process \[(\d+)\]", server.output())
    ]
    return sorted(worker for worker in logged if worker in children)


@pytest.fixture(params=["direct", "pgbouncer"])
def served(request: pytest.FixtureRequest, postgres_database_url: str) -> Iterator[dict[str, str]]:
    """DATABASE_URL and DB_POOLER for the server: PostgreSQL itself, or a PgBouncer before it."""
    if request.param == "direct":
        yield {"DATABASE_URL": postgres_database_url, "DB_POOLER": "none"}
        return
    with running_pgbouncer(require_pgbouncer(), postgres_database_url) as bouncer:
        yield {"DATABASE_URL": bouncer.url(), "DB_POOLER": "pgbouncer"}


async def test_two_workers_keep_creates_toggles_and_owners_apart(
    served: dict[str, str], owner: str, other_owner: str
) -> None:
    env = SMALL_POOLS | served
    with server_process(served["DATABASE_URL"], workers=2, env=env) as server:
        workers = worker_processes(server)
        assert len(workers) == 2, server.output()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=HTTP_TIMEOUT, limits=limits
        ) as http:
            tasks = await concurrent_creates(http, owner)
            await concurrent_toggles(http, owner, TOGGLES)
            await concurrent_toggles(http, owner, TOGGLES + 1)
            await assert_owners_are_isolated(http, owner, other_owner, tasks[0])
        assert worker_processes(server) == workers, "a worker died while serving"
        server.terminate()
        await stopped(server)
        server.assert_stopped_cleanly()
        assert server.output().count("Application shutdown complete") == 2, server.output()


async def assert_owners_are_isolated(
    http: httpx.AsyncClient, owner: str, other_owner: str, theirs: Json
) -> None:
    """`other_owner` cannot see or touch `owner`'s row, on whichever worker answers."""
    before = await all_rows(http, owner)
    mine = await create(http, other_owner, title="mine")
    row_id = theirs["id"]
    attempts: list[tuple[str, str, Json | None]] = [
        ("GET", item(other_owner, row_id), None),
        ("PUT", item(other_owner, row_id), {"title": "stolen"}),
        ("PATCH", item(other_owner, row_id), {"title": "stolen"}),
        ("PATCH", complete_url(other_owner, row_id), None),
        ("DELETE", item(other_owner, row_id), None),
    ]
    for _ in range(3):  # several connections, so both workers get asked
        answers = await asyncio.gather(
            *(http.request(method, url, json=body) for method, url, body in attempts)
        )
        for answer in answers:
            error = assert_error(answer, 404, "not_found")
            assert error["message"] == f"Task {row_id} not found"
    assert await all_rows(http, other_owner) == [mine]
    assert await all_rows(http, owner) == before
    listed = await http.get(collection(other_owner), params={"limit": 100})
    assert [row["id"] for row in listed.json()["data"]] == [mine["id"]]


OVERSIZED_BODIES = [2 * MIB, 4 * MIB, 8 * MIB]
ROUNDS = 3


async def post_raw(port: int, path: str, body: bytes, *, chunked: bool) -> tuple[int, Json]:
    """POST `body` over a plain socket, all of it, then read the answer: a client that sends
    its whole body before it reads, with Content-Length or chunked."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        if chunked:
            writer.write(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
            for start in range(0, len(body), 64 * 1024):
                piece = body[start : start + 64 * 1024]
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        answer = await reader.readexactly(int(headers["content-length"]))
        return int(status_line.split()[1]), json.loads(answer)
    finally:
        writer.close()


async def test_two_workers_answer_every_oversized_body_413_not_a_reset(
    postgres_database_url: str, owner: str
) -> None:
    """Closing a socket that still holds unread request bytes makes the kernel send a reset,
    which a client still sending its body sees instead of the answer; the server must read
    and discard the rest, so the 413 arrives whatever the size, the framing or the worker."""
    with server_process(postgres_database_url, workers=2, env=SMALL_POOLS) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        for _ in range(ROUNDS):
            answers = await asyncio.gather(
                *(
                    post_raw(port, collection(owner), b"{" + b" " * size + b"}", chunked=chunked)
                    for size in OVERSIZED_BODIES
                    for chunked in (False, True)
                )
            )
            for status, body in answers:
                assert status == 413, body
                assert body["error"]["code"] == "payload_too_large", body
        async with httpx.AsyncClient(base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
            assert await all_rows(http, owner) == []
