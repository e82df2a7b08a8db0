"""A throwaway PostgreSQL cluster that a test owns: it may stop, kill or freeze it at will.

`initdb` into a temporary directory, `pg_ctl start` on a free port of 127.0.0.1 with trust
authentication and its socket in that directory. Run as the `postgres` user when the tests run
as root (PostgreSQL refuses to run as root). The shared server is never touched.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fixtures import free_port

COMMAND_SECONDS = 60.0


def postgres_bindir() -> Path | None:
    """Where `initdb` and `pg_ctl` are: $PG_BINDIR, the PATH, or Debian's versioned directory."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


class ThrowawayCluster:
    """One cluster in a temporary directory, on its own port."""

    def __init__(self, bindir: Path, directory: Path) -> None:
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False
        )
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.server_log()}"
            )
        return result

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def init(self) -> None:
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )

    def start(self, *settings: str) -> None:
        """Start (again) on the same port; `settings` are extra `name=value` server settings."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c max_connections=50 -c shared_buffers=16MB"
        )
        options += "".join(f" -c {setting}" for setting in settings)
        self._run(
            "pg_ctl", "start", "--pgdata", str(self.data), "--log", str(self.log),
            "--wait", "--timeout", "30", "--options", options,
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as clients can tell: connections die mid-stream."""
        self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", mode, "--wait")

    def restart(self, *settings: str) -> None:
        """A clean stop, then a start with these extra server settings."""
        self.stop("fast")
        self.start(*settings)

    def hold_in_standby(self) -> None:
        """On its next start, the server stays a standby waiting for WAL that never comes; with
        `hot_standby=off` it refuses every connection: "the database system is not accepting
        connections" (SQLSTATE 57P03), as during a long recovery or a failover."""
        (self.data / "standby.signal").touch()

    def release_standby(self) -> None:
        (self.data / "standby.signal").unlink(missing_ok=True)

    def is_running(self) -> bool:
        status = self.bindir / "pg_ctl"
        argv = [str(status), "status", "--pgdata", str(self.data)]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, timeout=COMMAND_SECONDS, check=False)
        return result.returncode == 0


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[ThrowawayCluster]:
    """A started cluster; stopped and removed on the way out, whatever happened."""
    directory = Path(tempfile.mkdtemp(prefix="crudgen-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, user="postgres", group="postgres")
        cluster = ThrowawayCluster(bindir, directory)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.is_running():
                cluster.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
