"""The data of a resource's generated contract tests, derived from the spec and `samples`.

Templates receive ready Python expressions (through `code`), so the test module is a few
generic tests driven by tables of spec-derived cases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from generator.model import INT64_MAX, Field, Resource, Spec
from generator.render_values import code
from generator.samples import FieldSamples, normalised, samples

MAX_ROWS = 3


@dataclass(frozen=True)
class ContractData:
    """Every table the contract-test template renders, as Python source text."""

    rows: tuple[str, ...]
    """Complete, valid create bodies with distinct values for unique and sortable fields."""
    expected_rows: tuple[str, ...]
    """What the API returns for each of `rows` (stripped, in UTC, defaults applied)."""
    minimal_body: str
    minimal_expected: str
    accepted: tuple[tuple[str, str, str, str], ...]
    refused: tuple[tuple[str, str, str], ...]
    required: tuple[str, ...]
    sorts: tuple[tuple[str, bool], ...]
    filters: tuple[tuple[str, str, str], ...]
    bad_filters: tuple[tuple[str, str], ...]
    unique: tuple[str, ...]
    updates: tuple[tuple[str, str, str], ...]
    missing_id: str
    bad_ids: tuple[str, ...]
    bad_owners: tuple[tuple[str, str], ...]
    """Owner path values the owner's max_length or pattern refuse, with why."""
    server_managed: tuple[str, ...]
    non_finite: tuple[str, ...]
    """Number fields, which must refuse NaN and the infinities."""


def _row_count(fields: tuple[Field, ...], found: dict[str, FieldSamples]) -> int:
    count = MAX_ROWS
    for field in fields:
        if field.unique:
            count = min(count, len(found[field.name].ordered))
    return count


def _value_for_row(sample: FieldSamples, index: int) -> Any:
    values = sample.ordered
    return values[index % len(values)] if values else None


def collection_template(spec: Spec, resource: Resource) -> str:
    """The collection's URL with `{owner}` where the owner goes, as `ResourceApi` takes it."""
    return re.sub(r"\{[^}]*\}", "{owner}", spec.prefix + resource.path_of("collection"))


def missing_id(resource: Resource) -> str:
    """An id no row of the resource has, as source: the largest BIGINT, or a fixed UUID."""
    if resource.id_type == "integer":
        return code(INT64_MAX)
    return code("00000000-0000-4000-8000-0000000dead0")


def _row(fields: tuple[Field, ...], found: dict[str, FieldSamples], index: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields:
        value = _value_for_row(found[field.name], index)
        if value is not None or field.nullable:
            row[field.name] = value
    return row


def plain_rows(resource: Resource) -> list[dict[str, Any]] | None:
    """Valid bodies of every field but the refs (whose values only the database can give),
    distinct in unique and sortable fields; None when the spec alone gives none."""
    fields = tuple(field for field in resource.fields if field.type != "ref")
    found = {field.name: samples(field) for field in fields}
    if any(not found[field.name].ordered for field in fields if field.required or field.unique):
        return None
    return [_row(fields, found, index) for index in range(_row_count(fields, found))] or None


def contract_data(resource: Resource) -> ContractData | None:
    """The tables for `resource`, or None when no valid row can be built from the spec alone."""
    fields = resource.fields
    found = {field.name: samples(field) for field in fields}
    if any(not found[field.name].ordered for field in fields if field.required or field.unique):
        return None
    count = _row_count(fields, found)
    if count < 1:
        return None

    rows = [_row(fields, found, index) for index in range(count)]

    minimal: dict[str, Any] = {f.name: found[f.name].ordered[0] for f in fields if f.required}
    minimal_expected = {
        field.name: (
            normalised(field, minimal[field.name])
            if field.name in minimal
            else (found[field.name].default if field.has_default else None)
        )
        for field in fields
    }

    accepted: list[tuple[str, str, str, str]] = []
    refused: list[tuple[str, str, str]] = []
    for field in fields:
        sample = found[field.name]
        for label, value in sample.boundaries:
            accepted.append((field.name, code(label), code(value), code(normalised(field, value))))
        for case in sample.invalid:
            refused.append((field.name, code(case.label), code(case.value)))

    updates: list[tuple[str, str, str]] = []
    for field in fields:
        values = found[field.name].ordered
        if len(values) >= 2:
            updates.append((field.name, code(values[1]), code(normalised(field, values[1]))))

    sorts: list[tuple[str, bool]] = [("id", False)]
    if resource.timestamps:
        sorts += [("created_at", False), ("updated_at", False)]
    ties_possible = not any(field.unique for field in fields)
    for field in fields:
        if field.sortable and len({json.dumps(v) for v in found[field.name].ordered}) >= 2:
            sorts.append((field.name, ties_possible))

    filters: list[tuple[str, str, str]] = []
    bad_filters: list[tuple[str, str]] = []
    for field in resource.filterable_fields:
        values = found[field.name].ordered
        if len(values) >= 2:
            filters.append((field.name, code(_query_text(values[0])), code(0)))
            if field.ordered:
                filters.append((f"{field.name}__gte", code(_query_text(values[1])), code(1)))
                filters.append((f"{field.name}__lte", code(_query_text(values[0])), code(0)))
        bad = field.rule.bad_filter
        if bad is not None and not (field.type == "enum" and bad in field.values):
            bad_filters.append((field.name, code(bad)))

    bad_ids: tuple[str, ...]
    owner = resource.owner.field
    if resource.id_type == "integer":
        bad_ids = (code("abc"), code(0), code(-1), code(INT64_MAX + 1), code("1.5"))
    else:
        bad_ids = (code("abc"), code(1), code("00000000-0000-4000-8000"))

    owner_field = Field(
        name=owner,
        type="string",
        max_length=resource.owner.max_length,
        pattern=resource.owner.pattern,
    )
    bad_owners = tuple(
        (code(case.label), code(case.value))
        for case in samples(owner_field).invalid
        if isinstance(case.value, str) and case.value.strip() and "/" not in case.value
    )
    return ContractData(
        bad_owners=bad_owners,
        rows=tuple(code(row) for row in rows),
        expected_rows=tuple(
            code(
                {
                    field.name: (
                        normalised(field, row[field.name])
                        if row.get(field.name) is not None
                        else None
                    )
                    for field in fields
                    if field.name in row
                }
            )
            for row in rows
        ),
        minimal_body=code(minimal),
        minimal_expected=code(minimal_expected),
        accepted=tuple(accepted),
        refused=tuple(refused),
        required=tuple(field.name for field in fields if field.required),
        sorts=tuple(sorts),
        filters=tuple(filters),
        bad_filters=tuple(bad_filters),
        unique=tuple(field.name for field in fields if field.unique),
        updates=tuple(updates),
        missing_id=missing_id(resource),
        bad_ids=bad_ids,
        server_managed=resource.server_managed,
        non_finite=tuple(field.name for field in fields if field.type == "number"),
    )


def _query_text(value: Any) -> str:
    """How a JSON value is written in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
