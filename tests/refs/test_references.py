"""References (`type: ref`) hold in the database itself, whoever writes: tested from outside.

A copy of the project serves a spec with every kind of reference, spread over two spec files
(a self-reference, a uuid target, owner fields of other names, each `on_delete`). Its
generated tests run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL; then rows written
straight into each database, past the API, must not cross owners either.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc, text

from app.db import make_engine
from app.settings import Settings
from tests.examples.project import pytest_summary, run, spec_project
from tests.fixtures import POSTGRES_HELP

PROJECTS_AND_TASKS = """\
version: 1
resources:
  Project:
    path: /{user_id}/projects
    fields:
      name: {type: string, max_length: 100, unique: true, sortable: true}
  Task:
    path: /{user_id}/tasks
    fields:
      title: {type: string, max_length: 200}
      project_id: {type: ref, to: Project, nullable: true, on_delete: set_null, filterable: true}
      parent_id: {type: ref, to: Task, nullable: true, on_delete: cascade}
"""
NOTES = """\
version: 1
resources:
  Note:
    path: /owners/{owner}/notes
    id: uuid
    fields:
      body: {type: text}
      task_id: {type: ref, to: Task}
      folder_id: {type: ref, to: Folder, nullable: true}
  Folder:
    path: /owners/{owner}/folders
    id: uuid
    fields:
      name: {type: string, max_length: 50}
"""
NOW = "'2026-01-01 00:00:00'"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("refs")
    specs = {"projects.yaml": PROJECTS_AND_TASKS, "notes.yaml": NOTES}
    yield spec_project(root, specs, postgres_name="crudgen_test_refs")


def test_the_generated_reference_tests_pass(project: tuple[Path, dict[str, str]]) -> None:
    path, env = project
    run(path, env, sys.executable, "-m", "alembic", "check")
    summary = pytest_summary(path, env, sys.executable, ["generated/tests"])
    assert " passed" in summary and "failed" not in summary, summary
    if "TEST_DATABASE_URL" in env:
        assert "skipped" not in summary, f"PostgreSQL runs were skipped: {summary}"


def _statements(url: str, *sql: str) -> list[list[dict[str, Any]]]:
    """Run each statement on its own connection of the app's kind (SQLite: foreign keys on)."""

    async def go() -> list[list[dict[str, Any]]]:
        engine = make_engine(Settings(database_url=url))
        try:
            results = []
            async with engine.connect() as conn:
                for statement in sql:
                    result = await conn.execute(text(statement))
                    results.append(
                        [dict(r._mapping) for r in result] if result.returns_rows else []
                    )
            return results
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, project: tuple[Path, dict[str, str]]) -> str:
    """The copy's database of each kind, migrated to its head."""
    path, env = project
    url = env["DATABASE_URL"] if request.param == "sqlite" else env.get("TEST_DATABASE_URL")
    if url is None:
        pytest.skip(POSTGRES_HELP)
    run(path, {**env, "DATABASE_URL": url}, sys.executable, "-m", "alembic", "upgrade", "head")
    return url


def _project(url: str, owner: str, name: str) -> int:
    inserted = _statements(
        url,
        "INSERT INTO projects (user_id, name, created_at, updated_at) "
        f"VALUES ('{owner}', '{name}', {NOW}, {NOW}) RETURNING id",
    )
    return int(inserted[0][0]["id"])


def test_a_row_written_straight_into_the_database_cannot_cross_owners(database: str) -> None:
    theirs = _project(database, "raw-alice", "alice-home")
    for statement in (
        "INSERT INTO tasks (user_id, title, project_id, created_at, updated_at) "
        f"VALUES ('raw-bob', 'sneaky', {theirs}, {NOW}, {NOW})",
        "INSERT INTO tasks (user_id, title, project_id, created_at, updated_at) "
        f"VALUES ('raw-bob', 'dangling', {theirs + 1000}, {NOW}, {NOW})",
    ):
        with pytest.raises(exc.IntegrityError):
            _statements(database, statement)
    (own,) = _statements(
        database,
        "INSERT INTO tasks (user_id, title, created_at, updated_at) "
        f"VALUES ('raw-bob', 'own', {NOW}, {NOW}) RETURNING id",
    )
    with pytest.raises(exc.IntegrityError):
        _statements(database, f"UPDATE tasks SET project_id = {theirs} WHERE id = {own[0]['id']}")
    (rows,) = _statements(database, "SELECT title, project_id FROM tasks WHERE user_id = 'raw-bob'")
    assert rows == [{"title": "own", "project_id": None}]


def test_set_null_nulls_the_reference_and_nothing_else(database: str) -> None:
    project_id = _project(database, "raw-carol", "carol-home")
    _statements(
        database,
        "INSERT INTO tasks (user_id, title, project_id, created_at, updated_at) "
        f"VALUES ('raw-carol', 'kept', {project_id}, {NOW}, '2026-01-02 00:00:00')",
    )
    query = "SELECT user_id, title, project_id, created_at, updated_at FROM tasks"
    (before,) = _statements(database, f"{query} WHERE user_id = 'raw-carol'")
    _statements(database, f"DELETE FROM projects WHERE id = {project_id}")
    (after,) = _statements(database, f"{query} WHERE user_id = 'raw-carol'")
    assert after == [{**before[0], "project_id": None}]
