"""The code fragments one field turns into: its annotations, column type and server default.

Everything here is about a single field; `render` assembles resources from these pieces. What
each type and constraint becomes is declared in `field_rules`; this arranges it per field.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from generator.field_rules import Field
from generator.model import Resource
from generator.render_values import literal, text_literal


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
        value_type=field.rule.annotation(field).source(),
        create_annotation=create_annotation,
        create_assignment=create_assignment,
        description_keyword=description_keyword,
        read_type=f"{field.rule.read_type} | None" if field.nullable else field.rule.read_type,
        read_assignment=f" = Field({description})" if description else "",
        column_type=field.rule.column(field),
        column_keywords=_server_default(field),
    )
