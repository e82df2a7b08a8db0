"""Names that spec text may become: checked against Python, SQL and framework rules, never renamed.

A spec name ends up as a Python identifier, a column or table name and a URL segment. Rather
than silently mangling a name that would break one of those, the generator refuses it and
says why, so what the user wrote is exactly what they get.
"""

from __future__ import annotations

import builtins
import keyword
import re

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
_GENERATED_MODULES = frozenset({"base", "support", "references", "cursor", "paging", "conditional"})
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


RESERVED_RESOURCE_NAMES: dict[str, str] = {
    # Imported bare because the field rules (`field_rules.py`) write them in column and value
    # types.
    "UTCDateTime": "the column type of datetime fields",
    "UUID": "the Python type of uuid values",
    "Annotated": "the typing construct of constrained values",
    "Literal": "the type of enum values and of the sort parameter",
    "Field": "Pydantic's constraints on values and filters",
    "DecimalDigits": "the check on integer ids and filters",
    "StorableText": "the check on stored text",
    "BoolText": "the type of boolean filters",
    "DateText": "the type of date values and filters",
    "UTCDatetime": "the type of datetime values and filters",
    # Bound by the generated modules themselves.
    "Base": "the declarative base of every model",
    "Mapped": "the annotation SQLAlchemy reads every column from",
    "Any": "the type routers use for untyped statement results",
    "ConnectionFactory": "the connection factory every router is built with",
    "StatementCache": "the statement cache of every router",
    "DirectRoute": "the route class of every router",
    "COLUMNS": "a router's tuple of its table's columns",
    "FILTERS": "a router's list filter conditions",
    "OWNER": "a router's owner bind parameter",
    "OwnedReference": "the foreign key of every ref field",
    "Relation": "what `?include=` embeds",
    "BeforeValidator": "the parsing of `?include=`",
    "RELATIONS": "a router's relations by name",
    "AsyncConnection": "the connection a create with `api.idempotency` writes its row on",
    "IdempotencyKeyHeader": "the `Idempotency-Key` parameter of creates",
    "IdempotentCreates": "the key store of creates with `api.idempotency`",
    "KEYSETS": "a router's keyset of each sort, which cursor pages seek by",
    "Keyset": "the keyset condition of a sort",
    "Paging": "what a list request asked for: offset or cursor, counted or not",
    "PageShape": "the statement shape of a list page",
    "GUARD": "a router's conditional-request rules (`concurrency`)",
}
"""Names a resource may not take (nor start with a derived suffix), and why each is reserved.

A resource's class is bound in its model module and imported by its router and by
`models/__init__.py`; its name also starts the schema and parameter names of
`DERIVED_SUFFIXES`. A name those modules already bind would be shadowed. Framework names the
templates use are reached through their modules (`sa.Index`, `fastapi.Query`), so `Request`,
`Response`, `Query`, `Path` or `Index` are free; this table lists every name that is not.
`tests/generator/test_reserved_names.py` checks it against every generated module.
"""

DERIVED_SUFFIXES = (
    "Create",
    "Replace",
    "Update",
    "Read",
    "Embedded",
    "Include",
    "Page",
    "OwnerParam",
    "PathOwner",
    "IdParam",
    "Sort",
)
"""A resource `Task` also names `TaskCreate`, ..., `TaskSort` in its schemas and router
(`TaskPathOwner` in a bearer-jwt spec's router)."""


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
    if name in _BUILTINS:
        return f"{name!r} is a Python built-in name"
    for suffix in ("", *DERIVED_SUFFIXES):
        if (why := RESERVED_RESOURCE_NAMES.get(name + suffix)) is not None:
            used = name + suffix
            return f"{used!r} is a name the generated code uses ({why}); choose another"
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
