"""What a field's keys say together: bounds in order, a default that keeps its own rules.

Each field's shape is `spec_schema`'s; these checks need several of its keys at once, and the
default is judged by the generated app's own validator (`field_rules.validator`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import ValidationError

from generator.field_rules import CONSTRAINTS, Field, validator
from generator.problems import describe
from generator.shape_errors import Checker, Loc
from generator.spec_schema import FIELD_SHAPE, RefField
from generator.spec_values import has_nul_or_surrogate

# Query parameters of every list; a filter of the same name could not be told apart.
LIST_PARAMETERS = frozenset({"offset", "limit", "sort", "cursor", "count"})
# Constraints that come in pairs, a lower bound and an upper one.
BOUNDS = (("min_length", "max_length"), ("minimum", "maximum"))


def default_value(spec_field: Field, raw: Any) -> tuple[Any, str | None]:
    """The default as the generated code will hold it, or why it breaks its own field's rules."""
    if raw is None:
        if spec_field.nullable:
            return None, None
        return None, "null is not allowed unless the field is nullable: true"
    written_as = spec_field.rule.written_as
    if written_as is not None and not isinstance(raw, str):
        return None, f"{written_as}, got {describe(raw)}"
    if isinstance(raw, str) and has_nul_or_surrogate(raw):
        return None, "NUL characters and lone surrogates are not allowed"
    try:
        return validator(spec_field).validate_python(raw), None
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
    # Text not written the way the type's values are (a date as YYYY-MM-DD) is told just that.
    if written_as is not None and reason.removeprefix("Value error, ").startswith(written_as):
        return None, f"{written_as}, got {describe(raw)}"
    return None, f"the default {describe(raw)} breaks the field's own constraints: {reason}"


def _check_ref(check: Checker, name: str, shape: RefField, loc: Loc) -> None:
    """A ref's own rules: named after its relation, and nullable when deleting nulls it."""
    if not name.endswith("_id") or name == "_id":
        check.report(
            loc,
            f"a ref's name ends in '_id' (the rest names the relation): write '{name}_id'",
            at_key=True,
        )
    if shape.on_delete == "set_null" and not shape.nullable:
        check.report(
            (*loc, "on_delete"),
            "on_delete: set_null needs nullable: true (the reference becomes null)",
        )


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def check_field(check: Checker, name: str, loc: Loc) -> Field | None:
    """Check one field's shape, then what its keys say together; build it when all is well."""
    shape = check.shape(FIELD_SHAPE.validate_python, loc, None)
    if shape is None:
        return None
    count_before = len(check.problems)
    given = shape.model_fields_set
    has_default = "default" in given
    required = shape.required if shape.required is not None else not (shape.nullable or has_default)
    if not required and not (shape.nullable or has_default):
        check.report(
            (*loc, "required"), "a field that is not required needs a default or nullable: true"
        )
    for low_key, high_key in BOUNDS:
        low, high = getattr(shape, low_key, None), getattr(shape, high_key, None)
        if low is not None and high is not None and low > high:
            check.report((*loc, low_key), f"{low_key} ({low}) is greater than {high_key} ({high})")
    values: list[str] = getattr(shape, "values", [])
    for index, value in enumerate(values):
        if value in values[:index]:
            check.report((*loc, "values", index), f"value {value!r} is listed twice")
    if shape.filterable and name in LIST_PARAMETERS:
        check.report(
            (*loc, "filterable"),
            f"a filter named {name!r} would share ?{name}= with paging and sorting; "
            "rename the field to filter on it",
        )
    # Each constraint the type takes, by the name the shape and the field share (lists frozen).
    constraints: dict[str, Any] = {
        c.key: _frozen(getattr(shape, c.key))
        for c in CONSTRAINTS
        if c.key in type(shape).model_fields
    }
    if isinstance(shape, RefField):
        _check_ref(check, name, shape, loc)
        constraints |= {"to": shape.to, "on_delete": shape.on_delete}
    spec_field = Field(
        name=name,
        type=shape.type,
        description=shape.description,
        nullable=shape.nullable,
        required=required,
        has_default=has_default,
        unique=shape.unique,
        index=shape.index,
        filterable=shape.filterable,
        sortable=shape.sortable,
        **constraints,
    )
    if len(check.problems) > count_before:
        return None
    if not has_default:
        return spec_field
    value, problem = default_value(spec_field, shape.default)
    if problem:
        check.report((*loc, "default"), problem)
        return None
    return dataclasses.replace(spec_field, default=value)
