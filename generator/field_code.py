"""The code fragments one field turns into: its annotations, column type and server default.

Everything here is about a single field; `render` assembles resources from these pieces.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from generator.model import INT64_MAX, INT64_MIN, Field, Resource
from generator.render_values import literal, text_literal


def _keywords(pairs: list[tuple[str, Any]]) -> str:
    return ", ".join(f"{key}={literal(value)}" for key, value in pairs if value is not None)


@dataclass(frozen=True)
class FieldCode:
    """The code fragments one field turns into, ready for the templates."""

    field: Field
    value_alias: str
    value_type: str
    create_annotation: str
    create_assignment: str
    description_keyword: str
    read_type: str
    read_assignment: str
    column_type: str
    column_keywords: str


def _value_type(field: Field) -> str:
    """The Pydantic annotation of one value of the field (without `| None`)."""
    kind = field.type
    if kind in ("string", "text"):
        constraints = _keywords(
            [
                ("strip_whitespace", True if field.strip else None),
                ("min_length", field.min_length),
                ("max_length", field.max_length),
                ("pattern", field.pattern),
            ]
        )
        return f"Annotated[StrictStr, StringConstraints({constraints}), StorableText]"
    if kind == "integer":
        low = field.minimum if field.minimum is not None else INT64_MIN
        high = field.maximum if field.maximum is not None else INT64_MAX
        return f"Annotated[StrictInt, Field(ge={literal(low)}, le={literal(high)})]"
    if kind == "number":
        bounds = _keywords([("ge", field.minimum), ("le", field.maximum)])
        extra = f", {bounds}" if bounds else ""
        return f"Annotated[float, Field(strict=True, allow_inf_nan=False{extra})]"
    if kind == "boolean":
        return "StrictBool"
    if kind == "date":
        return "DateText"
    if kind == "datetime":
        return "UTCDatetime"
    if kind == "uuid":
        return "UUID"
    return f"Literal[{', '.join(literal(value) for value in field.values)}]"


def _read_type(field: Field) -> str:
    base = {
        "string": "str",
        "text": "str",
        "integer": "int",
        "number": "float",
        "boolean": "bool",
        "date": "datetime.date",
        "datetime": "datetime.datetime",
        "uuid": "UUID",
        "enum": "str",
    }[field.type]
    return f"{base} | None" if field.nullable else base


def filter_type(field: Field) -> str:
    """The query-parameter type of an exact-match filter on the field."""
    return {
        "string": "Annotated[str, StorableText]",
        "text": "Annotated[str, StorableText]",
        "integer": "Annotated[PlainInt, Field(ge=INT64_MIN, le=INT64_MAX)]",
        "number": "Annotated[float, Field(allow_inf_nan=False)]",
        "boolean": "BoolText",
        "date": "DateText",
        "datetime": "UTCDatetime",
        "uuid": "UUID",
        "enum": f"Literal[{', '.join(literal(value) for value in field.values)}]",
    }[field.type]


def _column_type(field: Field) -> str:
    kind = field.type
    if kind == "string":
        return f"code_point_text({field.max_length})"
    if kind == "text":
        return "code_point_text(None)"
    if kind == "enum":
        return f"code_point_text({max(len(value) for value in field.values)})"
    return {
        "integer": "BigInteger()",
        "number": "Double()",
        "boolean": "Boolean()",
        "date": "Date()",
        "datetime": "UTCDateTime()",
        "uuid": "Uuid()",
    }[kind]


def _server_default(field: Field) -> str:
    """`, server_default=...` for a field with a default, so new columns fill existing rows.

    The SQL literal is built by SQLAlchemy from a Python value (never pasted text), except
    numbers, which are validated finite numbers written with `repr`.
    """
    value = field.default
    if not field.has_default or value is None:
        return ""
    if isinstance(value, bool):
        # The keywords TRUE and FALSE mean the same on PostgreSQL and on SQLite (>= 3.23).
        expression = 'sql_text("true")' if value else 'sql_text("false")'
    elif isinstance(value, int | float):
        expression = f"sql_text({literal(repr(value))})"
    elif isinstance(value, datetime.datetime):
        # The text SQLite stores for the app's own writes, read as UTC on PostgreSQL too
        # (connections set TimeZone=UTC), so backfilled rows compare equal to written ones.
        expression = literal(value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    elif isinstance(value, datetime.date | uuid.UUID):
        expression = literal(str(value) if isinstance(value, datetime.date) else value.hex)
    else:
        expression = literal(value)
    return f", server_default={expression}"


def field_code(resource: Resource, field: Field) -> FieldCode:
    # `Task_title`: one alias per field, named after it verbatim, so no two can clash.
    alias = f"{resource.name}_{field.name}"
    description = (
        f"description={text_literal(field.description)}" if field.description is not None else ""
    )
    description_keyword = f", {description}" if description else ""
    create_annotation = f"{alias} | None" if field.nullable else alias
    if not field.required:
        default = literal(field.default) if field.has_default else "None"
        create_assignment = f" = Field(default={default}{description_keyword})"
    elif description:
        create_assignment = f" = Field({description})"
    else:
        create_assignment = ""
    return FieldCode(
        field=field,
        value_alias=alias,
        value_type=_value_type(field),
        create_annotation=create_annotation,
        create_assignment=create_assignment,
        description_keyword=description_keyword,
        read_type=_read_type(field),
        read_assignment=f" = Field({description})" if description else "",
        column_type=_column_type(field),
        column_keywords=_server_default(field),
    )
