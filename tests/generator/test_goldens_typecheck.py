"""The success goldens must run, not only match: `mypy --strict`, a clean import, a working app.

Each case's `expected/` is copied into a scratch root as the package `generated` and checked from
that root, so `import generated` finds the copy and never the project's own `generated/`. The
mypy runs share one cache, so only the first pays for FastAPI, SQLAlchemy and Pydantic.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.generator.test_golden import CASES, EXPECTED, OUT, success_cases

# Imports every module of the package, checks that it is the copy, then mounts the routers the
# way app.main does, renders OpenAPI and compiles the DDL for both databases. Prints OpenAPI.
IMPORT_AND_BUILD = """
import importlib, json, pathlib, sys
root = pathlib.Path.cwd().resolve()
package = root / "generated"
names = sorted(
    ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
    for path in package.rglob("*.py")
)
for name in names:
    module = importlib.import_module(name)
    assert pathlib.Path(module.__file__).resolve().is_relative_to(package), module.__file__

from fastapi import FastAPI
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from generated.models import Base
from generated.routers import API_PREFIX, ROUTER_BUILDERS

async def no_connection():
    raise AssertionError("no request is made")
    yield

app = FastAPI()
for build_router in ROUTER_BUILDERS:
    app.include_router(build_router(no_connection), prefix=API_PREFIX)
openapi = app.openapi()
for dialect in (postgresql.dialect(), sqlite.dialect()):
    for table in Base.metadata.sorted_tables:
        str(CreateTable(table).compile(dialect=dialect))
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))
json.dump(openapi, sys.stdout)
"""

HOSTILE = CASES / "hostile_text"
# What the hostile spec's texts would run if one escaped its string literal.
ESCAPED_CODE_NAMES = frozenset(
    {"os", "system", "pathlib", "touch", "__import__", "SystemExit", "PWNED", "jinja", "HOME"}
)


def install_golden(case: Path, root: Path) -> Path:
    """Copy the case's expected tree to `root/generated`, with fresh mtimes; returns `root`."""
    shutil.copytree(case / EXPECTED, root / OUT, copy_function=shutil.copy)
    return root


def import_and_build(root: Path) -> dict[str, Any]:
    """Run IMPORT_AND_BUILD in a fresh interpreter at `root`; returns the app's OpenAPI."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", IMPORT_AND_BUILD],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    openapi: dict[str, Any] = json.loads(result.stdout)
    return openapi


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.mark.parametrize("case", success_cases(), ids=lambda case: case.name)
def test_golden_passes_mypy_strict(case: Path, tmp_path: Path, mypy_cache: Path) -> None:
    root = install_golden(case, tmp_path)
    result = subprocess.run(
        # An absolute path: mypy's cache then tells the cases' same-named modules apart.
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(mypy_cache), str(root / OUT)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{case.name}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("case", success_cases(), ids=lambda case: case.name)
def test_golden_imports_and_builds_an_app(case: Path, tmp_path: Path) -> None:
    openapi = import_and_build(install_golden(case, tmp_path))
    assert openapi["paths"], "no routes were mounted"


def _code_names(source: str) -> set[str]:
    """The names a module's code uses, leaving out everything inside strings and comments."""
    return {
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NAME
    }


def test_hostile_text_stays_inside_string_literals(tmp_path: Path) -> None:
    for path in sorted((HOSTILE / EXPECTED).rglob("*.py")):
        escaped = _code_names(path.read_text(encoding="utf-8")) & ESCAPED_CODE_NAMES
        assert not escaped, f"{path.relative_to(HOSTILE)} runs spec text as code: {escaped}"

    root = install_golden(HOSTILE, tmp_path)
    openapi = import_and_build(root)
    assert not (root / "PWNED").exists(), "importing the golden ran the spec's text"

    # Every text arrives byte for byte as the value it was in the spec.
    spec = yaml.safe_load((HOSTILE / "spec.yaml").read_text(encoding="utf-8"))
    note = spec["resources"]["Note"]
    fields = note["fields"]
    properties = openapi["components"]["schemas"]["NoteCreate"]["properties"]
    title, kind, body = properties["title"], properties["kind"], properties["body"]
    assert title["description"] == fields["title"]["description"]
    assert title["default"] == fields["title"]["default"]
    assert title["pattern"] == fields["title"]["pattern"]
    assert kind["description"] == fields["kind"]["description"]
    assert kind["default"] == fields["kind"]["default"]
    assert kind["enum"] == fields["kind"]["values"]
    assert body["description"] == fields["body"]["description"]
    assert body["default"] == fields["body"]["default"]
    listing = openapi["paths"]["/api/{owner_id}/notes"]["get"]
    assert listing["description"].startswith(note["description"] + "\n\n")
    (owner,) = (p for p in listing["parameters"] if p["in"] == "path")
    assert owner["schema"]["pattern"] == note["owner"]["pattern"]
