"""Format rendered Python with a pinned ruff, in memory, before anything is written.

Templates stay readable and the output looks written by a careful person whatever the
length of the names in a spec. Ruff sorts imports, drops the ones a resource does not use,
and formats; its version is pinned in pyproject.toml so the bytes never change under us.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

RUFF_SETTINGS = [
    "--isolated",
    "--line-length=100",
    "--target-version=py311",
]


class FormatterError(RuntimeError):
    """Ruff refused the rendered code: a bug in a template, never a spec problem."""


def _ruff(args: list[str], folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, *RUFF_SETTINGS, "."],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise FormatterError(f"ruff {args[0]} failed:\n{result.stdout}{result.stderr}")


def format_python(files: dict[PurePosixPath, str]) -> dict[PurePosixPath, str]:
    """The same files with every `.py` one import-sorted, pruned and formatted."""
    with tempfile.TemporaryDirectory(prefix="generator-format-") as temp:
        root = Path(temp) / "generated"
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        _ruff(
            [
                "check",
                "--fix",
                "--quiet",
                "--select=I,F401",
                "--config=lint.isort.known-first-party=['generated']",
                "--exit-zero",
            ],
            root,
        )
        _ruff(["format", "--quiet"], root)
        return {
            relative: (root / relative).read_text(encoding="utf-8")
            if relative.suffix == ".py"
            else text
            for relative, text in files.items()
        }
