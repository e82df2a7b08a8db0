"""The view of `API.md`: per resource, its operations, fields, listing rules and a session."""

from __future__ import annotations

from dataclasses import dataclass

from generator.docs import Example, FieldRow, examples, field_rows
from generator.model import (
    OPERATION_ROUTES,
    BearerAuth,
    ListSettings,
    Operation,
    Owner,
    Resource,
    Spec,
)
from generator.routes import Unserved, unserved

SUCCESS: dict[Operation, str] = {
    "list": "200 page",
    "create": "201 row, `Location` header",
    "read": "200 row",
    "replace": "200 row; omitted fields take their default (or null)",
    "update": "200 row; only the fields sent change",
    "delete": "204, empty body",
}


@dataclass(frozen=True)
class OperationRow:
    """A line of a resource's operation table."""

    operation: Operation
    method: str
    path: str
    success: str


@dataclass(frozen=True)
class Listing:
    """What the list operation takes, for the "Listing" section."""

    path: str
    settings: ListSettings
    sort_values: tuple[str, ...]
    filters: tuple[str, ...]
    bounds: bool
    """Whether some filter is an ordered field's, so `__gte` and `__lte` are among them."""


@dataclass(frozen=True)
class ResourceDoc:
    """One resource's section of `API.md`."""

    name: str
    description: str | None
    table: str
    owner: Owner
    id_description: str
    timestamps: bool
    concurrency: str
    versioned: bool
    operations: tuple[OperationRow, ...]
    unserved: tuple[Unserved, ...]
    fields: tuple[FieldRow, ...]
    listing: Listing | None
    relations: tuple[tuple[str, str], ...]
    """Each relation `?include=` embeds, and its target."""
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class DocsView:
    """What `api.md.jinja` shows: the prefix and a section per resource, in spec order."""

    prefix: str
    resources: tuple[ResourceDoc, ...]
    diagram: tuple[str, ...]
    """The lines of a Mermaid entity-relationship diagram, when the spec has references."""
    conditional: bool
    """Whether some resource has `concurrency`, whose answers add 412 and 428."""
    auth: BearerAuth | None
    """The spec's bearer-token rule, when the owner comes from a token."""
    idempotency_ttl_hours: int | None = None
    """With `api.idempotency`: how long a create's `Idempotency-Key` is kept."""


# Mermaid's ends of a relation: exactly one target, or zero or one (a nullable reference);
# rows pointing at it: zero or one (a unique reference) or zero or more.
_TARGET_END = {False: "||", True: "|o"}
_ROWS_END = {False: "o{", True: "o|"}


def er_diagram(spec: Spec) -> tuple[str, ...]:
    """Each resource with its columns, and a line per reference from its target to its rows."""
    if not any(resource.refs for resource in spec.resources):
        return ()
    lines = ["erDiagram"]
    for resource in spec.resources:
        lines.append(f"    {resource.name} {{")
        lines.append(f"        {resource.id_type} id PK")
        lines.append(f"        string {resource.owner.field}")
        for field in resource.fields:
            kind = field.target_id if field.type == "ref" else field.type
            lines.append(f"        {kind} {field.name}{' FK' if field.type == 'ref' else ''}")
        lines.append("    }")
    for resource in spec.resources:
        for field in resource.refs:
            ends = f"{_TARGET_END[field.nullable]}--{_ROWS_END[field.unique]}"
            lines.append(
                f'    {field.to} {ends} {resource.name} : "{field.name} ({field.on_delete})"'
            )
    return tuple(lines)


def _listing(resource: Resource, prefix: str) -> Listing | None:
    if not resource.serves("list"):
        return None
    filters = resource.list_filters
    return Listing(
        path=prefix + resource.path,
        settings=resource.list,
        sort_values=resource.sort_values,
        filters=tuple(flt.alias for flt in filters),
        bounds=any(flt.operator != "eq" for flt in filters),
    )


def _resource_doc(resource: Resource, prefix: str, *, idempotent: bool) -> ResourceDoc:
    return ResourceDoc(
        name=resource.name,
        description=resource.description,
        table=resource.table,
        owner=resource.owner,
        id_description="64-bit integer" if resource.id_type == "integer" else "UUID v4",
        timestamps=resource.timestamps,
        concurrency=resource.concurrency,
        versioned=resource.versioned,
        operations=tuple(
            OperationRow(
                operation,
                OPERATION_ROUTES[operation][0],
                prefix + resource.path_of(OPERATION_ROUTES[operation][1]),
                SUCCESS[operation],
            )
            for operation in resource.operations
        ),
        unserved=unserved(resource),
        fields=field_rows(resource),
        listing=_listing(resource, prefix),
        relations=tuple((field.relation, field.to or "") for field in resource.refs),
        examples=examples(resource, prefix, idempotent=idempotent),
    )


def docs_view(spec: Spec) -> DocsView:
    return DocsView(
        prefix=spec.prefix or "/",
        resources=tuple(
            _resource_doc(resource, spec.prefix, idempotent=spec.idempotency is not None)
            for resource in spec.resources
        ),
        diagram=er_diagram(spec),
        auth=spec.auth,
        idempotency_ttl_hours=spec.idempotency.ttl_hours if spec.idempotency else None,
        conditional=any(resource.versioned for resource in spec.resources),
    )
