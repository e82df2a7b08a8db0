"""The data of the generated reference tests: which rows each resource can be created with.

A reference can only be tested with rows the API creates: its target's, and the rows pointing
at it, whose own required references need rows of their targets first. A resource is
creatable when the spec gives valid bodies for its other fields (`plain_rows`) and each of its
required, non-nullable references points at a creatable resource; only references between
creatable resources are tested.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.contract import collection_template, ids, plain_rows
from generator.model import Field, Resource, Spec
from generator.render_values import code


@dataclass(frozen=True)
class RefCase:
    """One reference to test: `resource.field` points at a row of `target`."""

    resource: str
    field: str
    target: str
    on_delete: str
    deletes_target: bool
    """Whether the target serves DELETE and the resource serves GET, to see what a delete does."""
    updates: bool
    """Whether the resource serves PATCH, to point a row elsewhere."""
    filters: bool
    """Whether the resource's list filters on the reference."""
    relation: str
    nullable: bool
    includes: bool
    """Whether the resource serves list and read, which take `?include=`."""


@dataclass(frozen=True)
class Creatable:
    """How the tests create a row of one resource."""

    name: str
    collection: str
    operations: tuple[str, ...]
    bodies: str
    """Valid bodies of its other fields, as Python source."""
    required_refs: str
    """Its required references as {field: target}, None for a nullable one, as source."""
    missing_id: str
    """An id no row has, as source."""


@dataclass(frozen=True)
class RefTestData:
    creatable: tuple[Creatable, ...]
    cases: tuple[RefCase, ...]
    versioned: bool = False
    """Whether some resource has a `version` (`concurrency`), which a `set_null` moves."""
    if_match_required: bool = False
    """Whether some resource refuses writes without `If-Match` (`concurrency: required`)."""

    @property
    def deletions(self) -> tuple[RefCase, ...]:
        return tuple(case for case in self.cases if case.deletes_target)

    @property
    def updates(self) -> tuple[RefCase, ...]:
        return tuple(case for case in self.cases if case.updates)

    @property
    def includes(self) -> tuple[RefCase, ...]:
        return tuple(case for case in self.cases if case.includes)

    @property
    def filters(self) -> tuple[RefCase, ...]:
        return tuple(case for case in self.cases if case.filters)


def _needs_row(field: Field) -> bool:
    return field.required and not field.nullable


def _creatable(spec: Spec) -> dict[str, Resource]:
    """The resources whose rows the tests can create, found by growing the set to a fixpoint."""
    candidates = {
        resource.name: resource
        for resource in spec.resources
        if resource.serves("create") and plain_rows(resource) is not None
    }
    found: dict[str, Resource] = {}
    grew = True
    while grew:
        grew = False
        for name, resource in candidates.items():
            ready = all(field.to in found for field in resource.refs if _needs_row(field))
            if name not in found and ready:
                found[name] = resource
                grew = True
    return {r.name: r for r in spec.resources if r.name in found}


def ref_test_data(spec: Spec) -> RefTestData | None:
    """The tables of `tests/test_references.py`, or None when no reference can be tested."""
    creatable = _creatable(spec)
    cases = tuple(
        RefCase(
            resource=resource.name,
            field=field.name,
            target=field.to or "",
            on_delete=field.on_delete,
            deletes_target=creatable[field.to or ""].serves("delete") and resource.serves("read"),
            updates=resource.serves("update"),
            filters=field.filterable and resource.serves("list"),
            relation=field.relation,
            nullable=field.nullable,
            includes=resource.serves("list") and resource.serves("read"),
        )
        for resource in creatable.values()
        for field in resource.refs
        if field.to in creatable
    )
    if not cases:
        return None
    return RefTestData(
        creatable=tuple(
            Creatable(
                name=resource.name,
                collection=collection_template(spec, resource),
                operations=resource.operations,
                bodies=code(plain_rows(resource)),
                required_refs=code(
                    {
                        field.name: (None if field.nullable else field.to)
                        for field in resource.refs
                        if field.required
                    }
                ),
                missing_id=ids(resource)[0],
            )
            for resource in creatable.values()
        ),
        cases=cases,
        versioned=any(resource.versioned for resource in creatable.values()),
        if_match_required=any(r.concurrency == "required" for r in creatable.values()),
    )
