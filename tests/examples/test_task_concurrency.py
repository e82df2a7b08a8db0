"""The project's own spec with `concurrency: required` on Task: the extension honours it too.

A copy of the project keeps the Task extension and its revisions, so the new revision adds
`version` to the existing table (1 for rows already there); then the generated Task contract
tests and the extension's conditional tests run on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.examples.project import pytest_summary, run, spec_project
from tests.fixtures import ROOT

TESTS = ["generated/tests/test_task_contract.py", "tests/api/test_complete_conditional.py"]


def test_task_extension_honours_concurrency_required(tmp_path: Path) -> None:
    spec = (ROOT / "spec" / "tasks.yaml").read_text(encoding="utf-8")
    anchor = "    timestamps: true"
    assert spec.count(anchor) == 1, "spec/tasks.yaml changed: update this test's anchor"
    spec = spec.replace(anchor, f"    concurrency: required\n{anchor}")
    project, env = spec_project(
        tmp_path,
        {"tasks.yaml": spec},
        postgres_name="task_concurrency",
        keep_extensions=True,
        keep_revisions=True,
    )
    run(project, env, sys.executable, "-m", "alembic", "check")
    summary = pytest_summary(project, env, sys.executable, TESTS)
    assert " passed" in summary and "failed" not in summary, summary
    if "TEST_DATABASE_URL" in env:
        # Only the check that concurrency is off skips, once per database.
        skipped = re.search(r"(\d+) skipped", summary)
        assert skipped is not None and skipped.group(1) == "2", summary
