"""Acknowledged writes survive a real restart of the server process, on each database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.fixtures import ROOT

STARTUP_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(database_url: str) -> Iterator[str]:
    """`uvicorn app.main:app` in its own process, as `make serve` runs it; stopped by SIGTERM."""
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    env = {**os.environ, "DATABASE_URL": database_url}
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
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"server exited: {log.read().decode()}")
            try:
                httpx.get(f"{base_url}/openapi.json", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.seek(0)
        output = log.read().decode()
        log.close()
    # uvicorn re-raises SIGTERM after its graceful shutdown, so -15 is a clean stop.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output, output


def test_tasks_survive_a_server_restart(database_url: str, owner: str) -> None:
    with running_server(database_url) as base_url:
        created = httpx.post(f"{base_url}/api/{owner}/tasks", json={"title": "persist me"})
        assert created.status_code == 201, created.text
        task = created.json()
        updated = httpx.patch(f"{base_url}/api/{owner}/tasks/{task['id']}/complete")
        assert updated.status_code == 200
        task = updated.json()

    with running_server(database_url) as base_url:
        fetched = httpx.get(f"{base_url}/api/{owner}/tasks/{task['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == task
        listed = httpx.get(f"{base_url}/api/{owner}/tasks").json()
        assert listed["total_count"] == 1
        assert listed["data"] == [task]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_configuration_stops_the_server_with_a_clear_message(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DB_POOL_SIZE": "lots"}
    result = subprocess.run(
        [sys.executable, "-c", "import app.main; app.main.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "DB_POOL_SIZE" in result.stderr
    assert "Traceback" not in result.stderr
