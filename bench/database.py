"""The benchmark's own PostgreSQL databases: created, migrated, seeded and reset between rounds."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import asyncpg

from bench.config import ROOT, BenchError, Config

SEED_SQL = """
INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at)
SELECT k + 1,
       'u' || lpad((k % $1)::text, greatest(5, length((k % $1)::text)), '0'),
       'Task ' || (k / $1) || ' of u' || lpad((k % $1)::text, 5, '0'),
       CASE WHEN k % 3 = 0 THEN NULL ELSE 'Details of task ' || (k + 1) || ', seeded' END,
       k % 4 = 0,
       timestamptz '2026-01-01 00:00:00+00' + k * interval '1 second',
       timestamptz '2026-01-01 00:00:00+00' + k * interval '1 second'
FROM generate_series(0, $2::bigint - 1) AS k
"""
"""Row k (0-based) belongs to owner k % owners ("u00042") and has id k + 1, so the owners'
rows are interleaved through the table as in a real multi-tenant table, and bench/lua/common.lua
can name any seeded row: task j of owner o has id j * owners + o + 1."""


def database_url(config: Config, database: str) -> str:
    return f"{config.pg_url}/{database}"


async def server_version(config: Config) -> tuple[str, dict[str, str]]:
    conn = await asyncpg.connect(database_url(config, "postgres"), timeout=5)
    try:
        version = await conn.fetchval("SELECT version()")
        settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("shared_buffers", "max_connections", "synchronous_commit", "work_mem")
        }
    finally:
        await conn.close()
    return str(version), settings


async def ensure_database(config: Config, database: str) -> None:
    conn = await asyncpg.connect(database_url(config, "postgres"), timeout=5)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def migrate(config: Config, database: str) -> None:
    """`alembic upgrade head` on the benchmark database, as `make migrate` does."""
    env = {**os.environ, "DATABASE_URL": database_url(config, database)}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"migrating {database} failed:\n{result.stdout}{result.stderr}")


async def after_seeding(conn: asyncpg.Connection) -> None:
    """Ids go on after the seeded ones, and the planner learns the new table."""
    await conn.execute(
        "SELECT setval(pg_get_serial_sequence('tasks', 'id'), (SELECT max(id) FROM tasks))"
    )
    await conn.execute("VACUUM ANALYZE tasks")


async def seed(config: Config, database: str, owners: int) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(database_url(config, database), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("TRUNCATE tasks RESTART IDENTITY")
        # Loading into a table without its secondary indexes, then building them, is ~5x faster.
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'tasks' AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        await conn.execute(SEED_SQL, owners, owners * config.tasks_per_owner)
        for index in indexes:
            await conn.execute(index["indexdef"])
        await after_seeding(conn)
    finally:
        await conn.close()
    return time.perf_counter() - started


async def reset_after_writes(config: Config, database: str, seeded_rows: int) -> None:
    """Delete the rows a round created and vacuum, so the next round starts from the same table."""
    conn = await asyncpg.connect(database_url(config, database), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("DELETE FROM tasks WHERE id > $1", seeded_rows)
        await conn.execute("VACUUM ANALYZE tasks")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
