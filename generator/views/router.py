"""The view of `routers/<resource>.py`: routes, path parameters, filters, sorting and 405s."""

from __future__ import annotations

from dataclasses import dataclass

from generator.field_rules import filter_type
from generator.model import INT64_MAX, ListSettings, Method, Operation, Owner, Resource, Spec
from generator.naming import plural
from generator.routes import ServedPath
from generator.views.schemas import relation_targets


@dataclass(frozen=True)
class FilterView:
    """One list query parameter: its Python name, URL name, type and SQL condition."""

    param: str
    alias: str
    type: str
    description: str
    bind: str
    bound_condition: str


@dataclass(frozen=True)
class RelationView:
    """A relation `?include=` embeds: the reference, and the target's model and read schema."""

    name: str
    field: str
    target: str
    target_owner: str


@dataclass(frozen=True)
class Endpoint:
    """A served operation: its function name (also its OpenAPI operationId) and description."""

    operation_id: str
    description: str


@dataclass(frozen=True)
class RefusedRoute:
    """A hidden route that answers 405 for methods this path does not serve."""

    path_constant: str
    function: str
    methods: tuple[Method, ...]
    why: str


@dataclass(frozen=True)
class RouterView:
    """What `router.py.jinja` shows: paths, parameters, statements and the served routes."""

    name: str
    module: str
    owner: Owner
    collection_path: str
    item_path: str
    id_python_type: str
    id_param_type: str
    id_path_keywords: str
    creates_id: bool
    """Whether the app makes the id (a UUID) rather than the database (an integer)."""
    timestamps: bool
    list: ListSettings
    sort_values: tuple[str, ...]
    order_by: tuple[tuple[str, tuple[str, ...]], ...]
    filters: tuple[FilterView, ...]
    endpoints: dict[Operation, Endpoint]
    """The served operations only; a template serves an operation when it has an entry."""
    refused: tuple[RefusedRoute, ...]
    has_references: bool
    """Whether a write may name a row its owner lacks, which the database refuses."""
    is_target: bool
    """Whether references point at this resource, so that a delete may be refused (409)."""
    relations: tuple[RelationView, ...]
    row_schema: str
    """What list and read answer with: the read schema, with the embeddable relations if any."""
    imports: tuple[tuple[str, str], ...]
    """The other resources' modules and names the relations need (models and schemas)."""
    concurrency: str
    versioned: bool
    """Whether rows have a `version`: ETags, conditional reads and writes (`concurrency`)."""


_COMPARISONS = {"eq": ("==", "equals"), "gte": (">=", "is at least"), "lte": ("<=", "is at most")}


def _filters(resource: Resource) -> tuple[FilterView, ...]:
    filters: list[FilterView] = []
    for flt in resource.list_filters:
        name = flt.field.name
        bind = f"{name}__{flt.operator}"
        operator, words = _COMPARISONS[flt.operator]
        filters.append(
            FilterView(
                param=f"filter_{flt.alias}",
                alias=flt.alias,
                type=filter_type(flt.field),
                description=f"Only rows whose {name} {words} this.",
                bind=bind,
                bound_condition=f"{resource.name}.{name} {operator} sa.bindparam({bind!r})",
            )
        )
    return tuple(filters)


def _order_by(resource: Resource) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ORDER BY terms per sort value; NULLs are placed last explicitly only where they exist."""
    entries: list[tuple[str, tuple[str, ...]]] = []
    for key in resource.sort_keys:
        for prefix, direction in (("", "asc"), ("-", "desc")):
            term = f"{resource.name}.{key.name}.{direction}()"
            if key.nullable:
                term += ".nulls_last()"
            terms = (term,) if key.name == "id" else (term, f"{resource.name}.id.{direction}()")
            entries.append((f"{prefix}{key.name}", terms))
    return tuple(entries)


def _endpoints(resource: Resource) -> dict[Operation, Endpoint]:
    name, owner, singular = resource.name, resource.owner.field, resource.module
    texts: dict[Operation, tuple[str, str]] = {
        "list": (
            f"list_{plural(singular)}",
            f"One page of the owner's {name} rows, with the total for the same filters. "
            "Rows of other owners are never included.",
        ),
        "create": (
            f"create_{singular}",
            f"Creates a {name} owned by the `{owner}` in the path; answers 201 with the row "
            "and its URL in `Location`.",
        ),
        "read": (
            f"read_{singular}",
            f"One {name} of the owner; another owner's row answers 404 like a missing one.",
        ),
        "replace": (
            f"replace_{singular}",
            f"Sets every writable field of one {name}; omitted fields take their default.",
        ),
        "update": (f"update_{singular}", f"Changes only the fields sent of one {name}."),
        "delete": (f"delete_{singular}", f"Deletes one {name} of the owner."),
    }
    endpoints: dict[Operation, Endpoint] = {}
    for operation in resource.operations:
        operation_id, text = texts[operation]
        if resource.description:
            text = f"{resource.description}\n\n{text}"
        endpoints[operation] = Endpoint(operation_id, text)
    return endpoints


def router_view(spec: Spec, resource: Resource, paths: tuple[ServedPath, ...]) -> RouterView:
    """`paths` is the spec's served-path table; the resource's own entries give its 405s."""
    integer = resource.id_type == "integer"
    return RouterView(
        name=resource.name,
        module=resource.module,
        owner=resource.owner,
        collection_path=resource.path_of("collection"),
        item_path=resource.path_of("item"),
        id_python_type="int" if integer else "UUID",
        id_param_type="PlainInt" if integer else "UUID",
        id_path_keywords=f"ge=1, le={INT64_MAX}, " if integer else "",
        creates_id=not integer,
        timestamps=resource.timestamps,
        list=resource.list,
        sort_values=resource.sort_values,
        order_by=_order_by(resource),
        filters=_filters(resource),
        endpoints=_endpoints(resource),
        refused=tuple(
            RefusedRoute(
                f"{path.where.upper()}_PATH",
                f"{path.where}_not_served",
                path.refused,
                NOTHING_SERVED if not path.methods else SHADOWING,
            )
            for path in paths
            if path.resource is resource and path.refused
        ),
        has_references=bool(resource.refs),
        is_target=bool(spec.referrers(resource)),
        relations=tuple(
            RelationView(name, field.name, target.name, target.owner.field)
            for field, (name, target) in zip(
                resource.refs, relation_targets(spec, resource), strict=True
            )
        ),
        row_schema=f"{resource.name}{'Embedded' if resource.refs else 'Read'}",
        imports=tuple(
            sorted(
                {
                    (target.module, target.name)
                    for _, target in relation_targets(spec, resource)
                    if target is not resource
                }
            )
        ),
        concurrency=resource.concurrency,
        versioned=resource.versioned,
    )


NOTHING_SERVED = "No operation of this path is served: every method answers 405, not 404."
SHADOWING = "Methods not served here answer 405, not a later path that also matches the URL."
