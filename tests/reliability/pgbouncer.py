"""A throwaway PgBouncer in transaction mode, as Neon's pooled (`-pooler`) host runs it.

The tests start one in front of a PostgreSQL server: a `pgbouncer.ini` and a user list in a
temporary directory, a free port on 127.0.0.1, trust authentication. PgBouncer refuses to run
as root, so as root it is started with `-u postgres` and its directory belongs to that user.

CI starts one for a whole pytest run from the command line:

    python -m tests.reliability.pgbouncer start --upstream URL --dir DIR   # prints the pooled URL
    python -m tests.reliability.pgbouncer stop --dir DIR
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from tests.fixtures import free_port

STARTUP_SECONDS = 10.0
LOGIN_RETRY_SECONDS = 0.2
"""PgBouncer's `server_login_retry` (default 15 s): after a failed server login, every client
gets an error at once until it retries. Short here, so a restarted server is used again at once."""
POOL_SIZE = 40
"""Server connections per database and user: two app workers with small pools, plus the tests'
own connections, fit; the shared server's max_connections (100) is not reached."""


def pgbouncer_binary() -> Path | None:
    """`pgbouncer` on the PATH, or where Debian's package puts it (/usr/sbin, off most PATHs)."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    return Path(found) if found else None


CANCEL_CRASH_FIXED = (1, 19, 1)
"""Older PgBouncers can crash ("bad client state") when a cancel request's client leaves
before the server answers it (pgbouncer#801, fixed by #846), as a driver does whose statement
timeout expired against a hung server. Debian 12 ships 1.18."""


def pgbouncer_version(binary: Path) -> tuple[int, ...]:
    """From `pgbouncer --version`'s first line, `PgBouncer 1.18.0`."""
    first = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()
    return tuple(int(part) for part in first[1].split("."))


def missing_tool(message: str) -> NoReturn:
    """Skip for lack of a tool; in CI (REQUIRE_POSTGRES=1) that is a failure instead."""
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_pgbouncer() -> Path:
    """The `pgbouncer` binary, or the test is skipped (failed in CI)."""
    binary = pgbouncer_binary()
    if binary is None:
        missing_tool("pgbouncer not found; install it (Debian: apt-get install pgbouncer)")
    return binary


def stop_pgbouncer(directory: Path) -> None:
    """SIGINT to the PgBouncer whose pid file is in `directory` (its safe shutdown, which
    waits for no client), then wait until it has exited and removed that file."""
    pidfile = directory / "pgbouncer.pid"
    try:
        os.kill(int(pidfile.read_text().strip()), signal.SIGINT)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return
    deadline = time.monotonic() + STARTUP_SECONDS
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


class PgBouncer:
    """One PgBouncer whose files live in `directory`, forwarding every database to `upstream`."""

    def __init__(
        self, binary: Path, directory: Path, upstream: str, pool_size: int = POOL_SIZE
    ) -> None:
        self.binary = binary
        self.pool_size = pool_size
        self.directory = directory
        self.upstream: URL = make_url(upstream)
        self.port = free_port()
        self.config = directory / "pgbouncer.ini"
        self.log = directory / "pgbouncer.log"

    def url(self, database: str | None = None) -> str:
        """`upstream` with PgBouncer's address: the URL the app is given."""
        pooled = self.upstream.set(
            host="127.0.0.1", port=self.port, database=database or self.upstream.database
        )
        return pooled.render_as_string(hide_password=False)

    def write_config(self) -> None:
        user = self.upstream.username or "postgres"
        password = self.upstream.password or ""
        self.config.write_text(
            "[databases]\n"
            f"* = host={self.upstream.host or '127.0.0.1'} port={self.upstream.port or 5432}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "pool_mode = transaction\n"
            "auth_type = trust\n"
            f"auth_file = {self.directory / 'userlist.txt'}\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 500\n"
            f"server_login_retry = {LOGIN_RETRY_SECONDS}\n"
            f"logfile = {self.log}\n"
            f"pidfile = {self.directory / 'pgbouncer.pid'}\n"
        )
        (self.directory / "userlist.txt").write_text(f'"{user}" "{password}"\n')
        if os.geteuid() == 0:
            for path in (self.directory, *self.directory.iterdir()):
                shutil.chown(path, user="postgres", group="postgres")

    def start(self) -> None:
        """Write the configuration and start PgBouncer as a daemon; ready when it listens."""
        self.write_config()
        argv = [str(self.binary), "-d", "-q"]
        if os.geteuid() == 0:
            argv += ["-u", "postgres"]
        result = subprocess.run(
            [*argv, str(self.config)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"pgbouncer did not start:\n{result.stderr}\n{self.output()}")
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._listening():
            if time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer is not listening on {self.port}:\n{self.output()}")
            time.sleep(0.05)

    def _listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        stop_pgbouncer(self.directory)

    async def wait_until_it_logs_in(self) -> None:
        """Until a query through PgBouncer reaches the server again.

        After the server refused or failed a login, PgBouncer answers every client with
        "server login has been failing" until its next attempt succeeds; that wait is the
        pooler's, and an app behind it sees 503 meanwhile.
        """
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                connection = await asyncpg.connect(self.url(), statement_cache_size=0)
                try:
                    await connection.fetchval("SELECT 1")
                    return
                finally:
                    await connection.close()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"PgBouncer still fails: {error}\n{self.output()}"
                    ) from None
            await asyncio.sleep(0.1)

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


@contextmanager
def running_pgbouncer(
    binary: Path, upstream: str, pool_size: int = POOL_SIZE
) -> Iterator[PgBouncer]:
    """A started PgBouncer in front of `upstream`; stopped and its files removed on the way out.

    `pool_size` server connections per database and user: 1 makes every client share one."""
    directory = Path(tempfile.mkdtemp(prefix="crudgen-pgbouncer-"))
    bouncer = PgBouncer(binary, directory, upstream, pool_size)
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", required=True, type=Path, help="where its files live")
    parser.add_argument("--upstream", help="the PostgreSQL URL to forward to (start)")
    arguments = parser.parse_args()
    directory: Path = arguments.dir
    if arguments.action == "stop":
        stop_pgbouncer(directory)
        return
    binary = pgbouncer_binary()
    if binary is None or not arguments.upstream:
        parser.error("start needs --upstream, and pgbouncer installed")
    directory.mkdir(parents=True, exist_ok=True)
    bouncer = PgBouncer(binary, directory, arguments.upstream)
    bouncer.start()
    print(bouncer.url())


if __name__ == "__main__":
    main()
