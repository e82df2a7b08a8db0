"""The spec changes, the data stays: the evolution workflow on a populated database.

A copy of the project gets a spec change, then goes through exactly what a user runs:
`make generate`, `make migration m=...`, `make migrate`. Existing rows must all survive with
their values, new columns must be filled from their defaults, every kind of schema object must
be detected by autogenerate, and the migrations must round-trip.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.db import make_engine
from app.settings import Settings
from tests.fixtures import POSTGRES_HELP, ROOT, copy_project, run_alembic, scratch_postgres_url

STAMP = ".venv/.installed"

NEW_TASK_FIELDS = """\
      priority:
        type: integer
        default: 3
        minimum: 1
        maximum: 5
        sortable: true
      note:
        type: text
        nullable: true
      status:
        type: enum
        values: [open, done]
        default: open
      code:
        type: string
        max_length: 20
        nullable: true
        unique: true
        index: true
"""

NEW_RESOURCE = """\
  Note:
    fields:
      body:
        type: text
        max_length: 500
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _make(project: Path, database_url: str, *args: str) -> str:
    result = subprocess.run(
        ["make", "-o", STAMP, *args],
        cwd=project,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"make {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def _query(database_url: str, sql: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        engine = make_engine(Settings(database_url=database_url))
        try:
            async with engine.connect() as conn:
                return [dict(row._mapping) for row in await conn.execute(text(sql))]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _execute(database_url: str, sql: str) -> None:
    async def run() -> None:
        engine = make_engine(Settings(database_url=database_url))
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'evolution.db'}"
        return
    url = scratch_postgres_url("crudgen_test_evolution")
    if url is None:
        pytest.skip(POSTGRES_HELP)
    yield url


def _migrate_with_tasks(project: Path, url: str) -> None:
    """The committed schema, with tasks of two owners in it."""
    _make(project, url, "migrate")
    _execute(
        url,
        "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) "
        "VALUES ('alice', 'one', NULL, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00'), "
        "('alice', 'two', 'd', true, '2026-01-02 00:00:00', '2026-01-02 00:00:00'), "
        "('bob', 'three', NULL, false, '2026-01-03 00:00:00', '2026-01-03 00:00:00')",
    )


def test_adding_fields_and_a_resource_keeps_every_row(project: Path, empty_database: str) -> None:
    url = empty_database
    _migrate_with_tasks(project, url)
    before = _query(url, "SELECT id, user_id, title, description, completed FROM tasks ORDER BY id")

    spec = project / "spec" / "tasks.yaml"
    source = spec.read_text()
    source = source.replace("    list:\n", NEW_TASK_FIELDS + "    list:\n", 1)
    spec.write_text(source + NEW_RESOURCE)

    _make(project, url, "generate")
    _make(project, url, "migration", "m=add priority, status and notes")
    revisions = sorted((project / "migrations" / "versions").glob("0002_*.py"))
    assert [path.name for path in revisions] == ["0002_add_priority_status_and_notes.py"]
    revision = revisions[0].read_text()
    for expected in (
        "add_column",
        '"priority"',
        "server_default",
        "create_check_constraint",
        "ck_tasks_status",
        "create_unique_constraint",
        "uq_tasks_user_id_code",
        "ix_tasks_user_id_priority_id",
        'create_table(\n        "notes"',
    ):
        assert expected in revision, f"{expected} missing from the revision:\n{revision}"

    _make(project, url, "migrate")
    after = _query(
        url,
        "SELECT id, user_id, title, description, completed, priority, note, status, code "
        "FROM tasks ORDER BY id",
    )
    assert [{key: row[key] for key in before[0]} for row in after] == before
    assert {(row["priority"], row["note"], row["status"], row["code"]) for row in after} == {
        (3, None, "open", None)
    }
    assert _query(url, "SELECT count(*) AS n FROM notes") == [{"n": 0}]

    check = run_alembic_in(project, url, "check")
    assert check.returncode == 0, check.stdout + check.stderr

    for step in (("downgrade", "base"), ("upgrade", "head")):
        result = run_alembic_in(project, url, *step)
        assert result.returncode == 0, result.stderr
    assert _query(url, "SELECT count(*) AS n FROM tasks") == [{"n": 0}]


def test_a_spec_change_without_its_revision_fails_the_migration_check(
    project: Path, empty_database: str
) -> None:
    url = empty_database
    _make(project, url, "migrate")
    spec = project / "spec" / "tasks.yaml"
    spec.write_text(spec.read_text().replace("    list:\n", NEW_TASK_FIELDS + "    list:\n", 1))
    _make(project, url, "generate")
    result = subprocess.run(
        ["make", "-o", STAMP, "check-migrations"],
        cwd=project,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert 'make migration m="..."' in result.stdout + result.stderr


def run_alembic_in(
    project: Path, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "alembic", *args],
        cwd=project,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_committed_migrations_round_trip(empty_database: str) -> None:
    for step in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"), ("check",)):
        result = run_alembic(empty_database, *step)
        assert result.returncode == 0, result.stdout + result.stderr


NEW_REFERENCES = """\
      project_id:
        type: ref
        to: Project
        nullable: true
        on_delete: set_null
      parent_id:
        type: ref
        to: Task
        nullable: true
        on_delete: cascade
"""

NEW_TARGET = """\
  Project:
    fields:
      name:
        type: string
        max_length: 100
"""


def _add_references(project: Path) -> None:
    """Task, already populated, gets a reference to a new resource and one to itself."""
    spec = project / "spec" / "tasks.yaml"
    source = spec.read_text().replace("    list:\n", NEW_REFERENCES + "    list:\n", 1)
    spec.write_text(source + NEW_TARGET)


def test_adding_references_and_their_target_keeps_every_row(
    project: Path, empty_database: str
) -> None:
    url = empty_database
    _migrate_with_tasks(project, url)
    before = _query(url, "SELECT * FROM tasks ORDER BY id")
    _add_references(project)
    _make(project, url, "generate")
    _make(project, url, "migration", "m=projects and subtasks")
    revision = (project / "migrations" / "versions" / "0002_projects_and_subtasks.py").read_text()
    for expected in (
        'create_table(\n        "projects"',
        "uq_projects_user_id_id",
        "uq_tasks_user_id_id",
        "fk_tasks_user_id_project_id_projects",
        'ondelete="SET NULL (project_id)"',
        "fk_tasks_user_id_parent_id_tasks",
        "ix_tasks_user_id_project_id",
    ):
        assert expected in revision, f"{expected} missing from the revision:\n{revision}"
    _make(project, url, "migrate")
    after = _query(url, "SELECT * FROM tasks ORDER BY id")
    assert after == [{**row, "project_id": None, "parent_id": None} for row in before]
    check = run_alembic_in(project, url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    # The new key holds: a task cannot point at another owner's project.
    _execute(
        url,
        "INSERT INTO projects (user_id, name, created_at, updated_at) "
        "VALUES ('alice', 'home', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    with pytest.raises(IntegrityError):
        _execute(url, "UPDATE tasks SET project_id = 1 WHERE user_id = 'bob'")
    _execute(url, "UPDATE tasks SET project_id = 1 WHERE user_id = 'alice'")
    _execute(url, "DELETE FROM projects WHERE user_id = 'alice'")
    assert _query(url, "SELECT * FROM tasks ORDER BY id") == after
    for step in (("downgrade", "0001"), ("upgrade", "head")):
        result = run_alembic_in(project, url, *step)
        assert result.returncode == 0, result.stderr
    assert len(_query(url, "SELECT id FROM tasks")) == len(before)


def test_a_missing_reference_constraint_fails_the_migration_check(
    project: Path, empty_database: str
) -> None:
    url = empty_database
    _add_references(project)
    _make(project, url, "generate")
    _make(project, url, "migration", "m=projects and subtasks")
    revision = project / "migrations" / "versions" / "0002_projects_and_subtasks.py"
    source = revision.read_text()
    # The statement that adds the reference's foreign key, as autogenerate wrote it.
    without = re.sub(
        r"\n( *)batch_op\.create_foreign_key\(\n"
        r"\1 +\"fk_tasks_user_id_project_id_projects\"(?:.*\n)*?\1\)",
        "",
        source,
    )
    assert without != source, f"no foreign key to leave out:\n{source}"
    revision.write_text(without)
    _make(project, url, "migrate")
    check = run_alembic_in(project, url, "check")
    assert check.returncode != 0, check.stdout + check.stderr
    assert "fk_tasks_user_id_project_id_projects" in check.stdout + check.stderr


LATER_REVISION = '''\
"""{doc}

Revision ID: {revision}
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    {upgrade}


def downgrade() -> None:
    pass
'''


def test_a_failed_migration_changes_nothing(project: Path, empty_database: str) -> None:
    """Every pending revision and the trigger work around them run in one transaction: a
    revision that fails, even after another succeeded, leaves the schema, the rows, the
    `set_null` rule and the recorded revision as they were, on SQLite as on PostgreSQL."""
    url = empty_database
    _migrate_with_tasks(project, url)
    _add_references(project)
    _make(project, url, "generate")
    _make(project, url, "migration", "m=projects and subtasks")
    _make(project, url, "migrate")
    _execute(
        url,
        "INSERT INTO projects (user_id, name, created_at, updated_at) "
        "VALUES ('alice', 'home', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    _execute(url, "UPDATE tasks SET project_id = 1 WHERE user_id = 'alice'")
    before = _query(url, "SELECT * FROM tasks ORDER BY id")
    revisions = project / "migrations" / "versions"
    (revisions / "0003_scratch.py").write_text(
        LATER_REVISION.format(
            doc="A revision that changes tasks and would succeed (on SQLite by a rebuild: "
            "copy, drop, rename).",
            revision="0003",
            down="0002",
            upgrade='rebuild = "always" if op.get_bind().dialect.name == "sqlite" else "auto"\n'
            '    with op.batch_alter_table("tasks", recreate=rebuild) as batch_op:\n'
            '        batch_op.add_column(sa.Column("scratch", sa.Integer(), nullable=True))',
        )
    )
    (revisions / "0004_fails.py").write_text(
        LATER_REVISION.format(
            doc="A revision that fails.",
            revision="0004",
            down="0003",
            upgrade='op.execute("UPDATE no_such_table SET x = 1")',
        )
    )

    failed = run_alembic_in(project, url, "upgrade", "head")
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert "no_such_table" in failed.stderr

    assert _query(url, "SELECT version_num FROM alembic_version") == [{"version_num": "0002"}]
    assert _query(url, "SELECT * FROM tasks ORDER BY id") == before
    _execute(url, "DELETE FROM projects WHERE user_id = 'alice'")
    assert _query(url, "SELECT * FROM tasks ORDER BY id") == [
        {**row, "project_id": None} for row in before
    ]
    (revisions / "0003_scratch.py").unlink()
    (revisions / "0004_fails.py").unlink()
    check = run_alembic_in(project, url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
