"""The example specs, which together use every key of the format, generate, migrate and serve.

Each example replaces the spec of a copy of the project; the copy then goes through what a
user runs (`make generate`, `make migration`, `make migrate`) and its generated contract tests
run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL; so do the client tests of
tests/clients, against the document the copy serves.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.clients import node_tools
from tests.examples.project import pytest_summary, run, spec_project
from tests.fixtures import ROOT

CHECKS_IN_THE_COPY = (
    "generated/tests",
    "tests/docs/test_api_docs.py",
    "tests/api/test_openapi.py::test_the_document_is_valid_and_usable_by_generators",
    "tests/clients/test_python_client.py",
)
"""The copy's contract tests, its API docs, its OpenAPI document and the clients generated
from it, each client generated once per example."""
TYPESCRIPT_CHECK = "tests/clients/test_typescript_types.py"
"""Run in the copy where node and npm are (its skip would read as a skipped PostgreSQL run);
where they are not, the same test of this project says it skipped and why."""
EXAMPLES = sorted(path.name for path in (ROOT / "examples").iterdir() if path.is_dir())


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_generates_migrates_and_passes_its_contract_tests(
    tmp_path: Path, example: str
) -> None:
    specs = {
        spec.name: spec.read_text(encoding="utf-8")
        for spec in sorted((ROOT / "examples" / example).iterdir())
    }
    project, env = spec_project(tmp_path, specs, postgres_name=f"crudgen_test_example_{example}")
    run(project, env, sys.executable, "-m", "alembic", "check")
    typescript = [TYPESCRIPT_CHECK] if node_tools.missing_reason() is None else []
    summary = pytest_summary(project, env, sys.executable, [*CHECKS_IN_THE_COPY, *typescript])
    assert " passed" in summary and "failed" not in summary, summary
    if "TEST_DATABASE_URL" in env:
        assert "skipped" not in summary, f"PostgreSQL runs were skipped: {summary}"
