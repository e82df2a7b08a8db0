"""The view of `tests/test_auth.py`, the bearer-token tests of a bearer-jwt spec."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from generator import contract
from generator.model import Resource, Spec
from generator.render_values import code


@dataclass(frozen=True)
class AuthTestView:
    """One resource's URLs to knock on, and the spec's auth choices."""

    owner_claim: str
    algorithms: tuple[str, ...]
    probe_template: str
    """A URL (with `{owner}`) whose GET answers `probe_status` once the token is accepted."""
    probe_status: int
    collection_template: str | None
    """Where a row can be created and then read (`item`), or None when no resource allows it."""
    row: str | None
    row_listed: bool
    """Whether that resource serves list, to show that a refused write wrote nothing."""


def _probe(spec: Spec) -> tuple[Resource, str, int]:
    """A GET any valid token passes: a list (200) or, failing that, a missing row (404)."""
    for resource in spec.resources:
        if resource.serves("list"):
            return resource, contract.collection_template(spec, resource), 200
    for resource in spec.resources:
        if resource.serves("read"):
            missing_id = ast.literal_eval(contract.ids(resource)[0])
            template = contract.collection_template(spec, resource)
            return resource, f"{template}/{missing_id}", 404
    raise LookupError("no resource serves list or read")


def auth_test_view(spec: Spec) -> AuthTestView | None:
    """The view, or None without bearer-jwt or without a GET route to probe."""
    if spec.auth is None or not any(r.serves("list") or r.serves("read") for r in spec.resources):
        return None
    _, probe, status = _probe(spec)
    template, row, listed = None, None, False
    # Rows stand alone (no references to create first); those that can be listed go first.
    candidates = sorted(
        (r for r in spec.resources if not r.refs and r.serves("create") and r.serves("read")),
        key=lambda resource: not resource.serves("list"),
    )
    for resource in candidates:
        rows = contract.valid_rows(resource.fields, contract.field_samples(resource))
        if rows:
            template, row = contract.collection_template(spec, resource), code(rows[0])
            listed = resource.serves("list")
            break
    return AuthTestView(
        owner_claim=spec.auth.owner_claim,
        algorithms=spec.auth.algorithms,
        probe_template=probe,
        probe_status=status,
        collection_template=template,
        row=row,
        row_listed=listed,
    )
