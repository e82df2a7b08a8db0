"""The cases of a resource's generated contract tests, derived from the spec and `samples`.

Each function answers one table of cases as Python source text (through `code`), so the test
module is a few generic tests driven by tables; `generator.views.tests` gathers them into the
contract-test view.
"""

from __future__ import annotations

import json
import re
from typing import Any

from generator.field_rules import FilterOperator
from generator.model import INT64_MAX, Field, Resource, Spec
from generator.render_values import code
from generator.samples import FieldSamples, normalised, samples

MAX_ROWS = 3

Samples = dict[str, FieldSamples]
"""Each field's samples, by field name."""


def field_samples(resource: Resource) -> Samples:
    return {field.name: samples(field) for field in resource.fields}


def valid_rows(fields: tuple[Field, ...], found: Samples) -> list[dict[str, Any]]:
    """Up to `MAX_ROWS` complete, valid create bodies with distinct values for unique and
    sortable fields; none when the spec alone gives no valid row."""
    if any(not found[field.name].ordered for field in fields if field.required or field.unique):
        return []
    count = MAX_ROWS
    for field in fields:
        if field.unique:
            count = min(count, len(found[field.name].ordered))
    rows: list[dict[str, Any]] = []
    for index in range(count):
        row: dict[str, Any] = {}
        for field in fields:
            values = found[field.name].ordered
            value = values[index % len(values)] if values else None
            if value is not None or field.nullable:
                row[field.name] = value
        rows.append(row)
    return rows


def plain_rows(resource: Resource) -> list[dict[str, Any]] | None:
    """Valid bodies of every field but the refs (whose values only the database can give),
    distinct in unique and sortable fields; None when the spec alone gives none."""
    fields = tuple(field for field in resource.fields if field.type != "ref")
    return valid_rows(fields, field_samples(resource)) or None


def collection_template(spec: Spec, resource: Resource) -> str:
    """The collection's URL with `{owner}` where the owner goes (every placeholder is one)."""
    return re.sub(r"\{[^}]*\}", "{owner}", spec.prefix + resource.path_of("collection"))


def expected_row(fields: tuple[Field, ...], row: dict[str, Any]) -> str:
    """What the API returns for the valid create body `row` (stripped, in UTC)."""
    return code(
        {
            field.name: (
                normalised(field, row[field.name]) if row.get(field.name) is not None else None
            )
            for field in fields
            if field.name in row
        }
    )


def minimal(fields: tuple[Field, ...], found: Samples) -> tuple[str, str]:
    """A body of the required fields only, and the row the API returns for it (defaults
    applied, null where there is none)."""
    body: dict[str, Any] = {f.name: found[f.name].ordered[0] for f in fields if f.required}
    expected = {
        field.name: (
            normalised(field, body[field.name])
            if field.name in body
            else (found[field.name].default if field.has_default else None)
        )
        for field in fields
    }
    return code(body), code(expected)


def accepted(fields: tuple[Field, ...], found: Samples) -> tuple[tuple[str, str, str, str], ...]:
    """Values at the edge of each field's constraints: field, label, value, what is returned."""
    return tuple(
        (field.name, code(label), code(value), code(normalised(field, value)))
        for field in fields
        for label, value in found[field.name].boundaries
    )


def refused(fields: tuple[Field, ...], found: Samples) -> tuple[tuple[str, str, str], ...]:
    """Values that break one rule of a field: field, label, value."""
    return tuple(
        (field.name, code(case.label), code(case.value))
        for field in fields
        for case in found[field.name].invalid
    )


def updates(fields: tuple[Field, ...], found: Samples) -> tuple[tuple[str, str, str], ...]:
    """A second valid value per field, for PATCH: field, value, what is returned."""
    cases: list[tuple[str, str, str]] = []
    for field in fields:
        values = found[field.name].ordered
        if len(values) >= 2:
            cases.append((field.name, code(values[1]), code(normalised(field, values[1]))))
    return tuple(cases)


def sorts(resource: Resource, found: Samples) -> tuple[tuple[str, bool], ...]:
    """Each sort key the rows can show an order on, and whether rows may tie on it."""
    ties_possible = not any(field.unique for field in resource.fields)
    cases: list[tuple[str, bool]] = []
    for key in resource.sort_keys:
        if key.name not in found:  # a server-managed column: distinct on every row
            cases.append((key.name, False))
        elif len({json.dumps(v) for v in found[key.name].ordered}) >= 2:
            cases.append((key.name, ties_possible))
    return tuple(cases)


_MATCHED_ROW: dict[FilterOperator, int] = {"eq": 0, "gte": 1, "lte": 0}
"""Of two rows holding a field's first two ordered values, the one a filter's value matches
alone: equal to the first, at least the second, at most the first."""


def filters(resource: Resource, found: Samples) -> tuple[tuple[str, str, str], ...]:
    """Filter parameters with a value that only one of the first two rows matches: parameter,
    value, that row's index."""
    cases: list[tuple[str, str, str]] = []
    for flt in resource.list_filters:
        values = found[flt.field.name].ordered
        if len(values) >= 2:
            row = _MATCHED_ROW[flt.operator]
            cases.append((flt.alias, code(_query_text(values[row])), code(row)))
    return tuple(cases)


def bad_filters(resource: Resource) -> tuple[tuple[str, str], ...]:
    """Filter parameters with a query-string value they refuse; never one of the field's values."""
    cases: list[tuple[str, str]] = []
    for field in resource.filterable_fields:
        bad = field.rule.bad_filter
        if bad is not None and bad not in field.values:
            cases.append((field.name, code(bad)))
    return tuple(cases)


def ids(resource: Resource) -> tuple[str, tuple[str, ...]]:
    """An id no row has, and ids of the wrong type or range."""
    if resource.id_type == "integer":
        return code(INT64_MAX), (code("abc"), code(0), code(-1), code(INT64_MAX + 1), code("1.5"))
    return code("00000000-0000-4000-8000-0000000dead0"), (
        code("abc"),
        code(1),
        code("00000000-0000-4000-8000"),
    )


def bad_owners(resource: Resource) -> tuple[tuple[str, str], ...]:
    """Owner path values the owner's max_length or pattern refuse, with why."""
    owner = Field(
        name=resource.owner.field,
        type="string",
        max_length=resource.owner.max_length,
        pattern=resource.owner.pattern,
    )
    return tuple(
        (code(case.label), code(case.value))
        for case in samples(owner).invalid
        if isinstance(case.value, str) and case.value.strip() and "/" not in case.value
    )


def non_finite(fields: tuple[Field, ...]) -> tuple[str, ...]:
    """Floating-point fields, which must refuse NaN and the infinities."""
    return tuple(field.name for field in fields if field.rule.floating)


def _query_text(value: Any) -> str:
    """How a JSON value is written in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
