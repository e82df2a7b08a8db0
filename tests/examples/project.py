"""A scratch copy of the project serving another spec, driven through the commands users run.

The example specs and the 20-resource scale spec both replace the project's spec in a copy,
drop the Task extension (it imports the Task resource), regenerate, write the first migration,
migrate and run the copy's generated contract tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.fixtures import copy_project, postgres_url, scratch_postgres_url

NO_EXTENSIONS = '''"""No hand-written extensions in this project."""

EXTENSIONS = ()
'''


def run(project: Path, env: dict[str, str], *command: str) -> str:
    """Run `command` in `project`; its output, or an assertion naming what it printed."""
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)}:\n{result.stdout[-6000:]}{result.stderr[-6000:]}"
    )
    return result.stdout


def spec_project(
    root: Path,
    spec_files: dict[str, str],
    *,
    postgres_name: str | None,
    keep_extensions: bool = False,
    keep_revisions: bool = False,
) -> tuple[Path, dict[str, str]]:
    """A migrated copy of the project under `root` whose `spec/` holds only `spec_files`.

    The Task extension is dropped unless `keep_extensions` (for a spec that still has Task).
    With `keep_revisions` (a spec that changes the project's), the revisions stay and the new
    one upgrades their schema.

    Returns the copy and the environment to run in it: SQLite for `DATABASE_URL`, and
    `TEST_DATABASE_URL` set to a fresh scratch database when PostgreSQL is configured and
    `postgres_name` names one.
    """
    project = copy_project(root / "project")
    shutil.rmtree(project / "spec")
    (project / "spec").mkdir()
    for name, text in spec_files.items():
        (project / "spec" / name).write_text(text, encoding="utf-8")
    if not keep_extensions:
        (project / "app" / "extensions" / "__init__.py").write_text(NO_EXTENSIONS)
        (project / "app" / "extensions" / "task_complete.py").unlink()
    if not keep_revisions:
        for revision in (project / "migrations" / "versions").glob("*.py"):
            revision.unlink()
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'project.db'}"}
    env.pop("TEST_DATABASE_URL", None)
    if postgres_name is not None and postgres_url() is not None:
        scratch = scratch_postgres_url(postgres_name)
        assert scratch is not None
        env["TEST_DATABASE_URL"] = scratch
    make = ("make", "-o", ".venv/.installed")
    run(project, env, *make, "generate")
    run(project, env, *make, "migration", "m=spec change" if keep_revisions else "m=initial schema")
    run(project, env, *make, "migrate")
    return project, env


def pytest_summary(project: Path, env: dict[str, str], python: str, paths: Sequence[str]) -> str:
    """Run pytest over `paths` of `project`; its last line (`N passed in S s`)."""
    output = run(project, env, python, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider")
    return output.strip().splitlines()[-1]
