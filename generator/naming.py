"""Names that spec text may become: checked against Python, SQL and framework rules, never renamed.

A spec name ends up as a Python identifier, a column or table name and a URL segment. Rather
than silently mangling a name that would break one of those, the generator refuses it and
says why, so what the user wrote is exactly what they get.
"""

from __future__ import annotations

import builtins
import keyword
import re
from pathlib import Path

from pydantic import BaseModel

RESOURCE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
PLACEHOLDER = re.compile(r"^\{([a-z][a-z0-9_]*)\}$")

# PostgreSQL truncates identifiers past 63 bytes, which would make two names collide silently.
MAX_IDENTIFIER_LENGTH = 63

# Attributes that SQLAlchemy's declarative base or Pydantic's BaseModel already own; a column
# or field of the same name would shadow them and break the generated classes.
_FRAMEWORK_ATTRIBUTES = frozenset(
    {"metadata", "registry"} | {name for name in dir(BaseModel) if not name.startswith("__")}
)

# Names the generated modules use for their own parameters and helpers, or import at module
# level. A field of the same name would shadow them inside a class body (a class attribute
# named `text` hides the `text()` used by the next column), so such names are refused.
_GENERATED_MODULES = frozenset({"base", "support"})
_GENERATED_NAMES = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "datetime",
        "mapped_column",
        "code_point_text",
        "int64_id",
        "sql_text",
    }
)
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))


def _module_level_names() -> frozenset[str]:
    """Every name a generated module imports or defines at module level, read from the templates.

    A resource class of the same name would shadow it in its own modules, so such resource
    names are refused. Reading the templates keeps this list from drifting as they change.
    """
    names: set[str] = set()
    here = Path(__file__).parent
    # `runtime/support.py` is copied into the output as `support.py`, so it counts as generated.
    for template in [*sorted((here / "templates").glob("*.py.jinja")), here / "runtime/support.py"]:
        for line in template.read_text(encoding="utf-8").splitlines():
            if found := re.match(r"^from \S+ import (.+)$", line):
                names.update(part.split(" as ")[-1].strip() for part in found.group(1).split(","))
            elif found := re.match(r"^import (\S+)(?: as (\S+))?$", line):
                names.add(found.group(2) or found.group(1).split(".")[0])
            elif found := re.match(r"^(?:class |def |async def )?([A-Za-z_]\w*)\s*[(:=]", line):
                names.add(found.group(1))
    return frozenset(name for name in names if name.isidentifier())


_RESERVED_CLASS_NAMES = _module_level_names() | {"Connection", "Sequence"}


def snake_case(name: str) -> str:
    """`TaskItem` -> `task_item`, for module names and default table names."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()


def plural(word: str) -> str:
    """English plural good enough for table names: task -> tasks, category -> categories."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def field_name_problem(name: str) -> str | None:
    """Why `name` cannot be a field or owner name, or None when it can."""
    if not FIELD_NAME.match(name):
        return (
            f"{name!r} is not a plain lower-case identifier "
            "(letters a-z, digits and underscores, starting with a letter)"
        )
    if "__" in name:
        return f"{name!r} contains '__', which list filters use for operators (name__gte)"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword"
    if name in _FRAMEWORK_ATTRIBUTES:
        return f"{name!r} is reserved by SQLAlchemy or Pydantic models"
    if name in _GENERATED_NAMES:
        return f"{name!r} is a name the generated code uses; choose another"
    if len(name) > MAX_IDENTIFIER_LENGTH:
        return f"{name!r} is longer than {MAX_IDENTIFIER_LENGTH} characters"
    return None


def resource_name_problem(name: str) -> str | None:
    """Why `name` cannot be a resource (class) name, or None when it can."""
    if not RESOURCE_NAME.match(name):
        return f"{name!r} is not a PascalCase identifier (like Task or NoteItem)"
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword"
    if name in _RESERVED_CLASS_NAMES or name in _BUILTINS:
        return f"{name!r} is a name the generated code uses; choose another"
    if snake_case(name) in _GENERATED_MODULES:
        return f"{name!r} would become module {snake_case(name)!r}, which the generated code uses"
    return None


def table_name_problem(name: str) -> str | None:
    """Why `name` cannot be a table name, or None when it can."""
    if not TABLE_NAME.match(name):
        return (
            f"{name!r} is not a plain lower-case SQL name "
            "(letters a-z, digits and underscores, starting with a letter)"
        )
    if len(name) > MAX_IDENTIFIER_LENGTH:
        return f"{name!r} is longer than {MAX_IDENTIFIER_LENGTH} characters"
    if name == "alembic_version":
        return "'alembic_version' is Alembic's own table"
    return None
