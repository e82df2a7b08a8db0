"""Shared fixtures (a pytest plugin loaded by the root conftest.py): databases and a live app.

Every API test runs on SQLite and, when `TEST_DATABASE_URL` names a PostgreSQL server, on
PostgreSQL too. Without it the PostgreSQL runs are skipped with a message saying how to
enable them; with `REQUIRE_POSTGRES=1` (set in CI) a missing server is a failure instead.
Tests isolate themselves by owner (a fresh random owner per test), not by wiping tables.

With `CONTRACT_BASE_URL` set (`make contract BASE_URL=...`) the `client` is an HTTP client of
that already-running server instead, and a test that needs a database of its own skips.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from fastapi import FastAPI

from app.auth import spec_policy
from app.main import create_app
from app.settings import Settings
from tests.bearer import bearer_settings, owner_tokens

ROOT = Path(__file__).resolve().parent.parent
SQLITE_THREAD_JOIN_SECONDS = 5.0
POSTGRES_HELP = (
    "PostgreSQL tests skipped: set TEST_DATABASE_URL=postgresql://user@host:5432/db "
    "(a database the tests may wipe) to run them"
)


def run_alembic(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Alembic as `make migrate` does, against `database_url`."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    return None


def _reset_postgres(url: str) -> None:
    """Drop everything the tests create, so each session starts from an empty schema."""
    downgrade = run_alembic(url, "downgrade", "base")
    if downgrade.returncode != 0 and "Can't locate revision" not in downgrade.stderr:
        raise RuntimeError(f"could not reset {url}:\n{downgrade.stderr}")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    result = run_alembic(url, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    return url


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_HELP)
    _reset_postgres(url)
    result = run_alembic(url, "upgrade", "head")
    assert result.returncode == 0, f"migrating {url} failed:\n{result.stderr}"
    yield url


DEPLOYMENT = "deployment"
CONTRACT_BASE_URL = os.environ.get("CONTRACT_BASE_URL", "").strip()
"""A running server to test over HTTP (`make contract BASE_URL=...`), or "" for the local app."""
NEEDS_DATABASE = "needs a database of its own; CONTRACT_BASE_URL runs the HTTP contract tests only"


@pytest.fixture(
    scope="session", params=[DEPLOYMENT] if CONTRACT_BASE_URL else ["sqlite", "postgres"]
)
def api_target(request: pytest.FixtureRequest) -> str:
    """What the API tests run against: each kind of database, or the server at CONTRACT_BASE_URL."""
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(api_target: str, request: pytest.FixtureRequest) -> str:
    """A migrated database of each kind; the test runs once per backend."""
    if api_target == DEPLOYMENT:
        pytest.skip(NEEDS_DATABASE)
    name = "sqlite_url" if api_target == "sqlite" else "postgres_database_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """One asyncio event loop for the session, so the shared app's pooled connections stay on
    the loop that opened them (anyio keeps its runner while a session-scoped fixture holds it)."""
    return "asyncio"


@pytest.fixture(scope="session")
def app(database_url: str, bearer: Any) -> FastAPI:
    """One app (and engine) per database for the whole session: building an app costs time in
    proportion to the number of resources, so a per-test app made the suite grow with the square
    of the spec. Tests isolate themselves by fresh owners; a test that changes the app, drives it
    on another event loop or disposes its engine takes `own_app` instead."""
    return create_app(Settings(database_url=database_url, **bearer_settings(bearer)))


@pytest.fixture
def own_app(database_url: str, bearer: Any) -> FastAPI:
    """An app of the test's own, for tests that add routes, run it on their own event loop or
    end its engine."""
    return create_app(Settings(database_url=database_url, **bearer_settings(bearer)))


@pytest.fixture(scope="session")
async def client(
    api_target: str, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client wired to the shared app in process; 500s come back as responses.

    With a bearer-jwt spec it signs each request as the owner its path names. Against a
    deployment, a plain HTTP client of CONTRACT_BASE_URL (its path prefix kept).
    """
    if api_target == DEPLOYMENT:
        if spec_policy() is not None:
            pytest.skip(
                "make contract against a bearer-jwt deployment needs tokens it trusts, "
                "which the tests cannot mint"
            )
        async with httpx.AsyncClient(base_url=CONTRACT_BASE_URL, timeout=30.0) as http:
            yield http
        return
    app: FastAPI = request.getfixturevalue("app")
    bearer = request.getfixturevalue("bearer")
    async with asgi_client(app, auth=owner_tokens(bearer)) as http:
        yield http


@asynccontextmanager
async def asgi_client(
    app: FastAPI, *, auth: httpx.Auth | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling `app` in process; on leaving, the app's engine is disposed.

    Then, while the event loop is still open, the aiosqlite threads started meanwhile are
    joined: when SQLite cannot open the file, aiosqlite stops its worker thread without waiting
    for it, and a thread outliving the loop would fail handing its result back. Threads that
    were already running (the shared app's pooled connections) are left alone.
    """
    running = set(threading.enumerate())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", auth=auth
        ) as http:
            yield http
    finally:
        await app.state.database.dispose()
        for thread in set(threading.enumerate()) - running:
            if "_connection_worker_thread" in thread.name:
                thread.join(SQLITE_THREAD_JOIN_SECONDS)


@pytest.fixture
def owner() -> str:
    """A fresh owner per test: tests never see each other's rows."""
    return f"owner-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def other_owner() -> str:
    return f"other-{uuid.uuid4().hex[:12]}"


def project_files() -> list[str]:
    """The project's files as a fresh clone would have them (tracked, plus new unignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def copy_project(destination: Path) -> Path:
    """A copy of the project sharing this one's virtualenv, for tests that change its files.

    Modification times are kept, so `make` sees the shared virtualenv as up to date.
    """
    for name in project_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def scratch_postgres_url(name: str) -> str | None:
    """A freshly created, empty PostgreSQL database beside TEST_DATABASE_URL's, or None.

    Tests that migrate a different schema (a copy of the project with another spec) must not
    share the database the rest of the session has migrated. The name is prefixed with the
    base database's, so two runs against one server with different TEST_DATABASE_URL
    databases never drop each other's scratch databases.
    """
    base = postgres_url()
    if base is None:
        return None
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_{name}"[:63]  # PostgreSQL's identifier limit
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def recreate() -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())
    return url.set(database=name).render_as_string(hide_password=False)


SERVER_STARTUP_SECONDS = 30.0
SERVER_SHUTDOWN_SECONDS = 15.0
GRACEFUL_SHUTDOWN_SECONDS = 10
"""`make serve`'s `--timeout-graceful-shutdown`: in-flight requests get this long after SIGTERM."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """A real `uvicorn app.main:app` process, started as `make serve` starts it."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: IO[bytes]) -> None:
        self.process = process
        self.base_url = base_url
        self._log: IO[bytes] | None = log
        self._final_output = ""

    def output(self) -> str:
        """Everything the server has logged (uvicorn logs to stderr)."""
        if self._log is None:
            return self._final_output
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def terminate(self) -> None:
        """SIGTERM, as an orchestrator stops it; the graceful shutdown starts here."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = SERVER_SHUTDOWN_SECONDS) -> int:
        """The exit status; the process is killed if it has not stopped within `timeout` s."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the server did not stop within {timeout} s:\n{self.output()}"
            ) from None

    def assert_stopped_cleanly(self) -> None:
        """Exited after a graceful shutdown: uvicorn re-raises SIGTERM, so -15 is a clean stop."""
        output = self.output()
        assert self.process.returncode in (0, -signal.SIGTERM), output
        assert "Application shutdown complete" in output, output

    def close(self) -> None:
        """Stop the process if it still runs, and keep its log after closing the file."""
        try:
            self.terminate()
            self.wait()
        finally:
            if self._log is not None:
                self._final_output = self.output()
                self._log.close()
                self._log = None


@contextmanager
def server_process(
    database_url: str, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """`uvicorn app.main:app` in its own process, ready to serve; stopped by SIGTERM on exit.

    Ready means every worker has logged its start-up and the server answers HTTP.
    """
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by ServerProcess.close
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--timeout-graceful-shutdown",
            str(GRACEFUL_SHUTDOWN_SECONDS),
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + SERVER_STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited: {server.output()}")
            if server.output().count("Application startup complete") >= workers:
                try:
                    httpx.get(f"{server.base_url}/openapi.json", timeout=1.0)
                    break
                except httpx.TransportError:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready within {SERVER_STARTUP_SECONDS} s")
            time.sleep(0.1)
        try:
            yield server
        except Exception as error:
            error.add_note(f"server log:\n{server.output()}")
            raise
    finally:
        server.close()


@contextmanager
def running_server(database_url: str, *, workers: int = 1) -> Iterator[str]:
    """The server's base URL; on leaving, SIGTERM, and the shutdown must have been clean."""
    with server_process(database_url, workers=workers) as server:
        yield server.base_url
    server.assert_stopped_cleanly()
