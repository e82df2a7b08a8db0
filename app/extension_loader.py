"""Import the extensions, turning "the spec no longer has what an extension needs" into one line.

An extension imports generated modules by name; when its resource leaves the spec, importing
it fails deep inside the import system. Start-up then stops with a `ConfigError` that names the
extension and what to do, instead of a traceback (`make generate` has warned already).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter

from app.settings import ConfigError

ExtensionBuilder = Callable[..., APIRouter]
"""`build_router(connect, prefix="")`, or `build_router(connect)` for a router to include."""
EXTENSIONS_DIR = Path(__file__).resolve().parent / "extensions"
GENERATED_PACKAGE = "generated"


def _importing_extension(error: BaseException) -> str:
    """The extension file (and line) whose import failed, relative to the project."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        if path.parent == EXTENSIONS_DIR and path.name != "__init__.py":
            return f"{path.relative_to(EXTENSIONS_DIR.parent.parent).as_posix()}:{frame.lineno}"
    return "app/extensions/__init__.py"


def load_extensions() -> tuple[ExtensionBuilder, ...]:
    """`app.extensions.EXTENSIONS`; a `ConfigError` if one imports generated code now gone."""
    try:
        from app.extensions import EXTENSIONS
    except ImportError as error:
        missing = error.name or ""
        if missing != GENERATED_PACKAGE and not missing.startswith(GENERATED_PACKAGE + "."):
            raise
        raise ConfigError(
            f"{_importing_extension(error)} imports from {missing}, which the generated code "
            "no longer has (is its resource still in the spec?): add the resource back and run "
            "`make generate`, or take the extension out of app/extensions/__init__.py"
        ) from None
    return EXTENSIONS
