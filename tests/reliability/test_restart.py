"""Acknowledged writes survive a real restart of the server process, on each database."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.fixtures import ROOT, running_server


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
