"""Hand-written extensions that import generated code the spec no longer produces.

An extension (`app/extensions/*.py`, listed in `app/extensions/__init__.py`) imports generated
modules and names: remove its resource from the spec, and the app would fail on import. The
generator reads the extensions' imports (never runs them) and names each one that the new
output lacks, so the warning comes at `make generate`, not at start-up.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

EXTENSIONS_PACKAGE = "app.extensions"


@dataclass(frozen=True)
class StaleImport:
    file: str  # relative to the project, POSIX
    line: int
    module: str
    name: str | None  # None: the module itself is gone

    def format(self, spec_shown: str) -> str:
        what = f"{self.name} from {self.module}" if self.name else self.module
        return (
            f"warning: {self.file}:{self.line}: imports {what}, which {spec_shown} no longer "
            "generates; add its resource back to the spec, or take the extension out of "
            "app/extensions/__init__.py (the app will not start until then)"
        )


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None  # not ours to report: Python will, when the app starts


def _imports(tree: ast.Module) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, imported name or None) for every absolute import in the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, node.module, alias.name


def _listed_extensions(extensions_dir: Path) -> list[Path]:
    """The extension modules `app/extensions/__init__.py` imports (the ones the app loads)."""
    tree = _parse(extensions_dir / "__init__.py")
    if tree is None:
        return []
    names: list[str] = []
    for _, module, name in _imports(tree):
        if module == EXTENSIONS_PACKAGE and name is not None:
            names.append(name)
        elif module.startswith(EXTENSIONS_PACKAGE + "."):
            names.append(module.removeprefix(EXTENSIONS_PACKAGE + ".").split(".")[0])
    found = [extensions_dir / f"{name}.py" for name in dict.fromkeys(names)]
    return [path for path in found if path.is_file()]


def _top_level_names(text: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


class _Output:
    """The rendered files seen as the Python package `package`."""

    def __init__(self, package: str, files: Mapping[PurePosixPath, str]) -> None:
        self.package = package
        self.files = files

    def source(self, module: str) -> str | None:
        """The text of `module` (a dotted name inside the package), or None if not rendered."""
        parts = module.split(".")[1:]
        for path in (
            PurePosixPath(*parts, "__init__.py"),
            PurePosixPath(*parts[:-1], f"{parts[-1]}.py") if parts else None,
        ):
            if path is not None and path in self.files:
                return self.files[path]
        return None

    def has(self, module: str, name: str | None) -> bool:
        text = self.source(module)
        if text is None:
            return False
        if name is None or name == "*":
            return True
        return name in _top_level_names(text) or self.source(f"{module}.{name}") is not None


def stale_imports(
    project: Path, package: str, files: Mapping[PurePosixPath, str]
) -> list[StaleImport]:
    """Every import of `package` by a listed extension that the rendered `files` lack."""
    output = _Output(package, files)
    stale: list[StaleImport] = []
    for path in _listed_extensions(project / "app" / "extensions"):
        tree = _parse(path)
        if tree is None:
            continue
        shown = path.relative_to(project).as_posix()
        for line, module, name in _imports(tree):
            if module != package and not module.startswith(package + "."):
                continue
            if not output.has(module, name):
                gone = None if output.source(module) is None else name
                stale.append(StaleImport(shown, line, module, gone))
    # A module that is gone is named once, however many names are imported from it.
    return list(dict.fromkeys(stale))
