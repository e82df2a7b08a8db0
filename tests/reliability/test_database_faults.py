"""The database goes away and comes back: 503 in the envelope, quickly; then full recovery.

PostgreSQL only, on a throwaway cluster this module starts and stops (never the shared one),
reached directly and through PgBouncer in transaction mode (as Neon's pooled host runs it).
The app is created once per test and never recreated: recovering is the pool's job
(`pool_pre_ping`). Every write that was acknowledged with a 2xx must still be there after
the server crashed (`pg_ctl stop -m immediate`) and restarted, and no write refused with a
503 may have happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.main import create_app
from app.settings import Settings
from tests.fixtures import POSTGRES_HELP, asgi_client, postgres_url, run_alembic
from tests.reliability.pg_cluster import ThrowawayCluster, postgres_bindir, throwaway_cluster
from tests.reliability.pgbouncer import (
    CANCEL_CRASH_FIXED,
    PgBouncer,
    missing_tool,
    pgbouncer_version,
    require_pgbouncer,
    running_pgbouncer,
)
from tests.task_api import (
    Json,
    all_rows,
    assert_error,
    assert_task,
    collection,
    complete_url,
    item,
)

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

CONNECT_TIMEOUT = 2.0
STATEMENT_TIMEOUT = 2.0
OUTAGE_ANSWER_SECONDS = 6.0
"""A request while the server is down must be answered (503) within this: a behaviour bound."""
HUNG_ANSWER_SECONDS = CONNECT_TIMEOUT + (STATEMENT_TIMEOUT + 1) + 2.5
"""While the server is frozen: one pre-ping that times out (statement timeout + 1 s, asyncpg's
command timeout), one connection attempt that times out, and slack for a loaded machine."""
CONNECTION_LIMIT = 4


@pytest.fixture(scope="module")
def module_cluster() -> Iterator[ThrowawayCluster]:
    """One throwaway cluster for the module (initdb is the slow part), migrated once."""
    if postgres_url() is None:
        pytest.skip(POSTGRES_HELP)
    bindir = postgres_bindir()
    if bindir is None:
        missing_tool("PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BINDIR")
    with throwaway_cluster(bindir) as started:
        migrated = run_alembic(started.url, "upgrade", "head")
        assert migrated.returncode == 0, migrated.stderr
        yield started


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def pooler(
    request: pytest.FixtureRequest, module_cluster: ThrowawayCluster
) -> Iterator[PgBouncer | None]:
    """How the app reaches the cluster: straight, or through a PgBouncer in transaction mode
    that stays up while the cluster behind it stops, hangs and restarts."""
    if request.param == "direct":
        yield None
        return
    with running_pgbouncer(require_pgbouncer(), module_cluster.url) as bouncer:
        yield bouncer


@pytest.fixture
def cluster(module_cluster: ThrowawayCluster) -> Iterator[ThrowawayCluster]:
    """The module's cluster, running normally; back to normal after the test, whatever it did
    (stopped, frozen, held in standby or restarted with other settings)."""
    yield module_cluster
    _signal_all(_cluster_processes(module_cluster), signal.SIGCONT)
    module_cluster.release_standby()
    if module_cluster.is_running():
        module_cluster.restart()
    else:
        module_cluster.start()


@pytest.fixture
def pre_ping() -> bool | None:
    """DB_POOL_PRE_PING for the app; None keeps the app's default."""
    return None


@pytest.fixture
def app(cluster: ThrowawayCluster, pooler: PgBouncer | None, pre_ping: bool | None) -> FastAPI:
    settings = Settings(
        database_url=cluster.url if pooler is None else pooler.url(),
        db_pooler="none" if pooler is None else "pgbouncer",
        db_connect_timeout=CONNECT_TIMEOUT,
        db_statement_timeout=STATEMENT_TIMEOUT,
    )
    if pre_ping is not None:
        settings = settings.model_copy(update={"db_pool_pre_ping": pre_ping})
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http


@dataclass
class Acknowledged:
    """Every row of `owner` as the last 2xx answer left it; what the database must hold."""

    owner: str
    rows: dict[int, Json] = field(default_factory=dict)

    def record(self, response: httpx.Response) -> None:
        assert response.status_code in (200, 201), response.text
        task = assert_task(response.json())
        self.rows[task["id"]] = task

    async def assert_all_present(self, client: httpx.AsyncClient) -> None:
        """The database holds exactly the acknowledged rows: none lost, none changed, and no
        write that was refused (503) happened after all."""
        stored = {row["id"]: row for row in await all_rows(client, self.owner)}
        problems = [f"lost: {row}" for key, row in self.rows.items() if key not in stored]
        problems += [
            f"unacknowledged: {row}" for key, row in stored.items() if key not in self.rows
        ]
        problems += [
            f"changed: {self.rows[key]} -> {row}"
            for key, row in stored.items()
            if key in self.rows and row != self.rows[key]
        ]
        assert not problems, "\n".join(problems)


async def write_some_rows(client: httpx.AsyncClient, acknowledged: Acknowledged) -> None:
    """Creates (several at once, so the pool holds several connections), then other writes."""
    owner = acknowledged.owner
    created = await asyncio.gather(
        *(client.post(collection(owner), json={"title": f"row {n}"}) for n in range(8))
    )
    for response in created:
        acknowledged.record(response)
    first, second, third, fourth, *_ = sorted(acknowledged.rows)
    acknowledged.record(await client.patch(item(owner, first), json={"description": "patched"}))
    acknowledged.record(await client.put(item(owner, second), json={"title": "replaced"}))
    acknowledged.record(await client.patch(complete_url(owner, third)))
    deleted = await client.delete(item(owner, fourth))
    assert deleted.status_code == 204, deleted.text
    del acknowledged.rows[fourth]


def outage_requests(owner: str, row_id: int) -> list[tuple[str, str, Json | None]]:
    return [
        ("GET", collection(owner), None),
        ("GET", item(owner, row_id), None),
        ("POST", collection(owner), {"title": "written during the outage"}),
        ("PUT", item(owner, row_id), {"title": "replaced during the outage"}),
        ("PATCH", item(owner, row_id), {"title": "patched during the outage"}),
        ("PATCH", complete_url(owner, row_id), None),
        ("DELETE", item(owner, row_id), None),
        ("GET", "/readyz", None),
    ]


async def assert_unavailable(
    client: httpx.AsyncClient, method: str, url: str, body: Json | None, bound: float
) -> str:
    """A 503 in the envelope within `bound` seconds; returns its message."""
    started = time.monotonic()
    response = await client.request(method, url, json=body)
    elapsed = time.monotonic() - started
    assert_error(response, 503, "service_unavailable")
    assert elapsed < bound, f"{method} {url} took {elapsed:.1f} s to answer 503"
    return str(response.json()["error"]["message"])


async def assert_serving(
    client: httpx.AsyncClient, acknowledged: Acknowledged, pooler: PgBouncer | None
) -> None:
    """At once, without retries: ready, every acknowledged row intact, and writes work.

    Behind PgBouncer, once the pooler itself logs in to the server again: until then it
    refuses every client, which the app can only answer 503."""
    if pooler is not None:
        await pooler.wait_until_it_logs_in()
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    await acknowledged.assert_all_present(client)
    for row_id, row in acknowledged.rows.items():
        read = await client.get(item(acknowledged.owner, row_id))
        assert read.status_code == 200, read.text
        assert read.json() == row
    acknowledged.record(await client.post(collection(acknowledged.owner), json={"title": "after"}))
    await acknowledged.assert_all_present(client)


@dataclass(frozen=True)
class Written:
    """The app after one owner's rows were written and acknowledged, with the database (and
    pooler) under it that a test then breaks."""

    app: FastAPI
    client: httpx.AsyncClient
    cluster: ThrowawayCluster
    pooler: PgBouncer | None
    acknowledged: Acknowledged
    engine: AsyncEngine
    """The app's engine before the fault: recovering is the pool's job, not a new engine's."""

    async def assert_recovered(self) -> None:
        """`assert_serving`, on the engine the app started with."""
        await assert_serving(self.client, self.acknowledged, self.pooler)
        assert self.app.state.database.engine is self.engine


@pytest.fixture
async def written(
    app: FastAPI,
    client: httpx.AsyncClient,
    cluster: ThrowawayCluster,
    pooler: PgBouncer | None,
    owner: str,
) -> Written:
    acknowledged = Acknowledged(owner)
    await write_some_rows(client, acknowledged)
    return Written(app, client, cluster, pooler, acknowledged, app.state.database.engine)


@pytest.mark.parametrize("pre_ping", [None, True], ids=["default pool", "pre-ping"])
async def test_a_database_restart_between_requests_is_invisible_to_clients(
    written: Written,
) -> None:
    """Pooled connections died with the server; the pool replaces them before use (the
    closed-connection check on checkout, or a ping with DB_POOL_PRE_PING), so the first
    request after the restart already succeeds."""
    await asyncio.to_thread(written.cluster.stop, "immediate")
    await asyncio.to_thread(written.cluster.start)
    await written.assert_recovered()


async def test_an_outage_answers_503_quickly_and_the_app_recovers_with_every_write(
    written: Written,
) -> None:
    client, owner = written.client, written.acknowledged.owner
    row_id = min(written.acknowledged.rows)

    await asyncio.to_thread(written.cluster.stop, "immediate")
    for round_number in range(2):  # the first round meets pooled connections, then new ones
        for method, url, body in outage_requests(owner, row_id):
            await assert_unavailable(client, method, url, body, OUTAGE_ANSWER_SECONDS)
        healthz = await client.get("/healthz")
        assert healthz.status_code == 200 and healthz.json() == {"status": "ok"}, round_number
    started = time.monotonic()
    many = await asyncio.gather(*(client.get(collection(owner)) for _ in range(30)))
    for response in many:
        assert_error(response, 503, "service_unavailable")
    assert time.monotonic() - started < OUTAGE_ANSWER_SECONDS

    await asyncio.to_thread(written.cluster.start)
    await written.assert_recovered()


def _cluster_processes(cluster: ThrowawayCluster) -> list[int]:
    """The postmaster and its children (every backend and helper process); none if stopped."""
    try:
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    except FileNotFoundError:
        return []
    processes = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                processes.append(int(entry.name))
    return processes


def _signal_all(processes: list[int], signum: signal.Signals) -> None:
    """Send `signum` to each process still alive: a backend may exit between the listing and
    the signal (a client disconnecting, the server shutting down after a restart), and a process
    that is gone needs neither freezing nor waking."""
    for pid in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


@pytest.mark.parametrize("pre_ping", [None, True], ids=["default pool", "pre-ping"])
async def test_a_hung_database_answers_503_within_the_timeouts_then_recovers(
    written: Written, pre_ping: bool | None
) -> None:
    """The server accepts TCP but never answers (SIGSTOP): requests must not hang.

    With DB_POOL_PRE_PING the ping meets the hang first, so no write is ever sent and a
    failed request changes nothing. Without it (the default) a write is sent into the hang
    and the server may still run it when it resumes: that is a timeout's real ambiguity, and
    the 503 says so ("the write may still be applied"). Those writes go to a second owner
    here; the first owner's acknowledged rows must come through untouched either way.
    """
    client, pooler = written.client, written.pooler
    if pooler is not None and pgbouncer_version(pooler.binary) < CANCEL_CRASH_FIXED:
        pytest.skip("this PgBouncer crashes on the cancel requests sent to a hung server")
    in_doubt = Acknowledged(f"{written.acknowledged.owner}-in-doubt")
    await write_some_rows(client, in_doubt)
    target = written.acknowledged if pre_ping else in_doubt
    row_id = min(target.rows)

    frozen = _cluster_processes(written.cluster)
    _signal_all(frozen, signal.SIGSTOP)
    try:
        answers = await asyncio.gather(
            *(
                assert_unavailable(client, method, url, body, HUNG_ANSWER_SECONDS)
                for method, url, body in outage_requests(target.owner, row_id)
            )
        )
        healthz = await client.get("/healthz")
        assert healthz.status_code == 200, healthz.text
    finally:
        _signal_all(frozen, signal.SIGCONT)
    if not pre_ping:
        for (method, _, _), message in zip(
            outage_requests(target.owner, row_id), answers, strict=True
        ):
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                assert "may still be applied" in message, message
    await written.assert_recovered()


async def test_a_database_at_its_connection_limit_answers_503_not_500(
    client: httpx.AsyncClient,
    cluster: ThrowawayCluster,
    pooler: PgBouncer | None,
    owner: str,
) -> None:
    """PostgreSQL refuses a new connection with "sorry, too many clients already" (53300):
    the database cannot be reached, for now; a client should retry, so 503, not 500."""
    acknowledged = Acknowledged(owner)
    await asyncio.to_thread(
        cluster.restart, f"max_connections={CONNECTION_LIMIT}", "superuser_reserved_connections=0"
    )
    held = [await asyncpg.connect(cluster.url) for _ in range(CONNECTION_LIMIT)]
    try:
        for method, url, body in outage_requests(owner, 1):
            await assert_unavailable(client, method, url, body, OUTAGE_ANSWER_SECONDS)
    finally:
        for connection in held:
            await connection.close()
    await assert_serving(client, acknowledged, pooler)


async def test_a_database_not_accepting_connections_yet_answers_503_not_500(
    written: Written,
) -> None:
    """While PostgreSQL starts up, recovers or fails over it answers "the database system is
    not accepting connections" (57P03): unreachable for now, so 503 and /readyz 503."""
    client, cluster, acknowledged = written.client, written.cluster, written.acknowledged
    cluster.hold_in_standby()
    await asyncio.to_thread(cluster.restart, "hot_standby=off")
    for method, url, body in outage_requests(acknowledged.owner, min(acknowledged.rows)):
        await assert_unavailable(client, method, url, body, OUTAGE_ANSWER_SECONDS)
    healthz = await client.get("/healthz")
    assert healthz.status_code == 200, healthz.text

    cluster.release_standby()
    await asyncio.to_thread(cluster.restart)
    await written.assert_recovered()
