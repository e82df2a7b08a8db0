"""The view of `tests/test_idempotent_creates.py`: the creates that `api.idempotency` guards."""

from __future__ import annotations

from dataclasses import dataclass

from generator import contract
from generator.model import Spec
from generator.render_values import code


@dataclass(frozen=True)
class IdempotentCreate:
    """One resource whose create takes `Idempotency-Key`, with bodies to send it."""

    name: str
    collection: str
    """The collection URL with `{owner}` where the owner goes."""
    openapi_path: str
    """The collection as the OpenAPI document names it."""
    bodies: tuple[str, ...]
    """One or two valid create bodies (Python source), different from each other."""
    lists: bool
    """Whether its list is served, to count the rows a race made."""


@dataclass(frozen=True)
class IdempotencyTestView:
    ttl_hours: int
    creates: tuple[IdempotentCreate, ...]


def idempotency_test_view(spec: Spec) -> IdempotencyTestView | None:
    """None without `api.idempotency` or without a create the spec alone gives bodies for.

    Resources with `ref` fields are left out when a reference is required (its value is a
    row only the database can give); their creates run the same code as every other's.
    """
    if spec.idempotency is None:
        return None
    creates = []
    for resource in spec.resources:
        if not resource.serves("create") or any(ref.required for ref in resource.refs):
            continue
        rows = contract.plain_rows(resource)
        if rows is None:
            continue
        creates.append(
            IdempotentCreate(
                name=resource.name,
                collection=contract.collection_template(spec, resource),
                openapi_path=spec.prefix + resource.path_of("collection"),
                bodies=tuple(code(row) for row in rows[:2]),
                lists=resource.serves("list"),
            )
        )
    if not creates:
        return None
    return IdempotencyTestView(spec.idempotency.ttl_hours, tuple(creates))
