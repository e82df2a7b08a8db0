"""`make contract BASE_URL=...`: the generated contract tests over HTTP against a running server.

A pipeline checks a deployment with the same tests CI ran; they must pass there and leave every
other owner's rows as they were.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from generated.routers import API_PREFIX
from tests.fixtures import ROOT, run_alembic, server_process


def test_make_contract_passes_against_a_server_and_spares_other_owners(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"
    migrated = run_alembic(database_url, "upgrade", "head")
    assert migrated.returncode == 0, migrated.stderr
    bystander = f"{API_PREFIX}/bystander-{os.getpid()}/tasks"  # spec/: Task
    with server_process(database_url) as server:
        created = httpx.post(f"{server.base_url}{bystander}", json={"title": "mine"})
        assert created.status_code == 201, created.text
        before = httpx.get(f"{server.base_url}{bystander}").json()
        # Not this run's PostgreSQL, nor the make running this test: under `make test` the
        # inner make would print "Leaving directory" after the summary line.
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("TEST_DATABASE_URL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
        }
        result = subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-o",
                ".venv/.installed",
                "contract",
                f"BASE_URL={server.base_url}",
            ],
            cwd=ROOT,
            env={**env, "PYTEST_ARGS": "-q"},
            capture_output=True,
            text=True,
            check=False,
        )
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
        assert " passed" in summary and "skipped" not in summary, summary
        assert "failed" not in summary and "error" not in summary, summary
        assert httpx.get(f"{server.base_url}{bystander}").json() == before
    server.assert_stopped_cleanly()


def test_make_contract_without_base_url_says_how() -> None:
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", "contract"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "usage: make contract BASE_URL=" in result.stdout + result.stderr
