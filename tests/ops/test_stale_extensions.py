"""A spec without the resource an extension imports: `make generate` warns naming the
extension, and start-up fails with one line that says what to do, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import copy_project, free_port


@pytest.fixture(scope="module")
def project_without_task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose spec names the resource Note instead of Task."""
    project = copy_project(tmp_path_factory.mktemp("stale") / "project")
    spec = project / "spec" / "tasks.yaml"
    spec.write_text(spec.read_text().replace("\n  Task:\n", "\n  Note:\n", 1))
    return project


def run(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=120, check=False
    )


def test_generate_warns_naming_the_extension_and_what_it_imports(
    project_without_task: Path,
) -> None:
    result = run(project_without_task, sys.executable, "-m", "generator")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    modules = ["generated.models.task", "generated.routers.task", "generated.schemas.task"]
    assert len(warnings) == len(modules), result.stderr
    for warning, module in zip(warnings, modules, strict=True):
        assert warning.startswith("warning: app/extensions/task_complete.py:"), warning
        assert f"imports {module}, which spec/ no longer generates" in warning
        assert "app/extensions/__init__.py" in warning


def test_the_server_stops_at_start_up_with_one_line_saying_what_to_do(
    project_without_task: Path,
) -> None:
    assert run(project_without_task, sys.executable, "-m", "generator").returncode == 0
    result = run(
        project_without_task,
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--port",
        str(free_port()),
        "--no-access-log",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    source = (project_without_task / "app" / "extensions" / "task_complete.py").read_text()
    first_gone = 1 + source.splitlines().index("from generated.models.task import Task")
    where = f"app/extensions/task_complete.py:{first_gone}"
    assert last.startswith(f"error: {where} imports from generated.models.task,"), last
    assert "add the resource back and run `make generate`" in last
    assert "take the extension out of app/extensions/__init__.py" in last


def test_a_warning_names_an_imported_name_the_module_no_longer_has(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    extension = project / "app" / "extensions" / "task_complete.py"
    extension.write_text(
        extension.read_text().replace("    ITEM_PATH,\n", "    ITEM_PATH,\n    NOT_THERE,\n")
    )
    result = run(project, sys.executable, "-m", "generator", "--check")
    assert "imports NOT_THERE from generated.routers.task" in result.stderr, result.stderr
    assert result.stderr.count("warning:") == 1, result.stderr
