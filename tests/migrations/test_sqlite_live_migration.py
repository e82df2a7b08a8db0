"""`make migrate` on a SQLite file that another process is writing to, as during a deploy.

The whole migration is one transaction (tests/migrations/test_schema_evolution.py). It must
wait for a write in progress and then run, not fail with "database is locked": SQLite gives a
transaction that read first and asks for the write lock later no wait at all once another
connection has committed in between.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.fixtures import ROOT

HOLD_AFTER_START_SECONDS = 1.0
"""How long the other writer keeps its transaction open once the migration has started."""


def test_a_migration_waits_for_a_write_in_progress_then_runs(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE other_app_data (x INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO other_app_data VALUES (1)")

    migration = subprocess.Popen(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert migration.stderr is not None
    lines: list[str] = []
    started = threading.Event()

    def read_log() -> None:
        assert migration.stderr is not None
        for line in migration.stderr:
            lines.append(line)
            if "Context impl" in line:  # configured: next it begins and reads the schema
                started.set()
        started.set()

    reader = threading.Thread(target=read_log)
    reader.start()
    assert started.wait(60), "the migration never started"
    time.sleep(HOLD_AFTER_START_SECONDS)
    writer.execute("COMMIT")
    writer.close()
    assert migration.wait(60) == 0, "".join(lines)
    reader.join(10)
    migration.stderr.close()

    migrated = sqlite3.connect(path)
    try:
        (revision,) = migrated.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {row[0] for row in migrated.execute("SELECT name FROM sqlite_master")}
    finally:
        migrated.close()
    assert revision and "tasks" in tables and "other_app_data" in tables
