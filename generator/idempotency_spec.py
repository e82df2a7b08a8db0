"""The checks of `api.idempotency` that span the whole spec: one setting, one table name."""

from __future__ import annotations

from generator.load import Position
from generator.model import IDEMPOTENCY_TABLE, Idempotency, Resource
from generator.problems import Problem


def idempotency_problems(
    tables: list[tuple[Resource, Position]], given: list[tuple[Idempotency, str, Position]]
) -> list[Problem]:
    """`api.idempotency` is one setting of the whole API, and its table is not a resource's.

    `tables` holds each resource with where its table name was written; `given`, each file's
    `api.idempotency` with its file and position.
    """
    if not given:
        return []
    first, first_file, _ = given[0]
    problems = [
        Problem(
            file,
            where.line,
            where.column,
            "api.idempotency",
            f"every spec file that sets it must set the same; {first_file} keeps keys "
            f"{first.ttl_hours} hours, this one {other.ttl_hours}",
        )
        for other, file, where in given[1:]
        if other != first
    ]
    for resource, where in tables:
        if resource.table == IDEMPOTENCY_TABLE:
            problems.append(
                Problem(
                    resource.file,
                    where.line,
                    where.column,
                    f"resources.{resource.name}.table",
                    f"table {IDEMPOTENCY_TABLE!r} holds the idempotency keys that "
                    "api.idempotency turns on; choose another table name",
                )
            )
    return problems
