"""The project's own Task spec with `auth: {type: bearer-jwt}` added, extension included.

A copy of the project serves it, migrated as a user would; its generated tests (the generic
contract, signed as each path's owner, and the bearer table), the extension's tests and
`complete_behind_bearer.py` run there, on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.examples.project import pytest_summary, spec_project
from tests.fixtures import ROOT

BEARER = "\nauth:\n  type: bearer-jwt\n"


def test_the_task_spec_and_its_extension_serve_behind_bearer_tokens(tmp_path: Path) -> None:
    spec = (ROOT / "spec" / "tasks.yaml").read_text(encoding="utf-8") + BEARER
    project, env = spec_project(
        tmp_path, {"tasks.yaml": spec}, postgres_name="bearer_tasks", keep_extensions=True
    )
    paths = [
        "generated/tests",
        "tests/api/test_complete.py",
        "tests/auth/complete_behind_bearer.py",
    ]
    summary = pytest_summary(project, env, sys.executable, paths)
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    if "TEST_DATABASE_URL" in env:
        assert "skipped" not in summary, f"PostgreSQL runs were skipped: {summary}"
