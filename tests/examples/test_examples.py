"""The example specs, which together use every key of the format, generate, migrate and serve.

Each example replaces the spec of a copy of the project; the copy then goes through what a
user runs (`make generate`, `make migration`, `make migrate`) and its generated contract tests
run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT, copy_project, postgres_url, scratch_postgres_url

EXAMPLES = sorted(path.name for path in (ROOT / "examples").iterdir() if path.is_dir())
NO_EXTENSIONS = '''"""No hand-written extensions in this example."""

EXTENSIONS = ()
'''


def _run(project: Path, env: dict[str, str], *command: str) -> str:
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)}:\n{result.stdout[-6000:]}{result.stderr[-6000:]}"
    )
    return result.stdout


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_generates_migrates_and_passes_its_contract_tests(
    tmp_path: Path, example: str
) -> None:
    project = copy_project(tmp_path / "project")
    shutil.rmtree(project / "spec")
    shutil.copytree(ROOT / "examples" / example, project / "spec")
    (project / "app" / "extensions" / "__init__.py").write_text(NO_EXTENSIONS)
    (project / "app" / "extensions" / "task_complete.py").unlink()
    for revision in (project / "migrations" / "versions").glob("*.py"):
        revision.unlink()
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'example.db'}"}
    env.pop("TEST_DATABASE_URL", None)
    if postgres_url() is not None:
        scratch = scratch_postgres_url(f"crudgen_test_example_{example}")
        assert scratch is not None
        env["TEST_DATABASE_URL"] = scratch

    _run(project, env, "make", "-o", ".venv/.installed", "generate")
    _run(project, env, "make", "-o", ".venv/.installed", "migration", "m=initial schema")
    _run(project, env, "make", "-o", ".venv/.installed", "migrate")
    _run(project, env, sys.executable, "-m", "alembic", "check")
    output = _run(
        project,
        env,
        sys.executable,
        "-m",
        "pytest",
        "generated/tests",
        "tests/test_api_docs.py",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary, summary
    if "TEST_DATABASE_URL" in env:
        assert "skipped" not in summary, f"PostgreSQL runs were skipped: {summary}"
