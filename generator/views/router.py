"""The view of `routers/<resource>.py`: routes, path parameters, filters, sorting and 405s."""

from __future__ import annotations

import dataclasses
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
    responses: str = "ERROR_RESPONSES"
    """The documented error answers: with 409 where one can come back, 401/403 behind a token."""


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
    id_param_checks: tuple[str, ...]
    """Validators after the id's bounds: integers from a path take decimal digits only."""
    id_path_keywords: str
    creates_id: bool
    """Whether the app makes the id (a UUID) rather than the database (an integer)."""
    timestamps: bool
    list: ListSettings
    sort_values: tuple[str, ...]
    order_by: tuple[tuple[str, tuple[str, ...]], ...]
    keysets: tuple[tuple[str, str], ...]
    """Each `?sort=` value and its `Keyset(...)`, which cursor pages seek by."""
    longest_sort_text: int | None
    filters: tuple[FilterView, ...]
    endpoints: dict[Operation, Endpoint]
    """The served operations only; a template serves an operation when it has an entry."""
    refused: tuple[RefusedRoute, ...]
    has_references: bool
    """Whether a write may name a row its owner lacks, which the database refuses."""
    is_target: bool
    """Whether references point at this resource, so that a delete may be refused (409)."""
    relations: tuple[RelationView, ...]
    bearer: bool
    """Whether a bearer token must name the path's owner (`auth: {type: bearer-jwt}`)."""
    row_schema: str
    """What list and read answer with: the read schema, with the embeddable relations if any."""
    imports: tuple[tuple[str, str], ...]
    """The other resources' modules and names the relations need (models and schemas)."""
    concurrency: str
    versioned: bool
    """Whether rows have a `version`: ETags, conditional reads and writes (`concurrency`)."""
    idempotency_ttl_hours: int | None = None
    """With `api.idempotency` and a create: it takes `Idempotency-Key`, kept this long."""


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


def _keysets(resource: Resource) -> tuple[tuple[str, str], ...]:
    """The keyset of each sort value, in ORDER_BY's order: (column, id), NULLs last."""
    name = resource.name
    entries: list[tuple[str, str]] = []
    for key in resource.sort_keys:
        for prefix, descending in (("", False), ("-", True)):
            arguments = [f"{name}.{key.name}", f"{name}.id"]
            if descending:
                arguments.append("descending=True")
            if key.nullable:
                arguments.append("nullable=True")
            entries.append((f"{prefix}{key.name}", f"Keyset({', '.join(arguments)})"))
    return tuple(entries)


def _delete_may_conflict(spec: Spec, resource: Resource) -> bool:
    """Whether deleting a row can be refused: a `restrict` reference points at it, or at a row
    its deletion cascades to."""
    reached, pending = {resource.name}, [resource]
    while pending:
        for referrer, field in spec.referrers(pending.pop()):
            if field.on_delete == "restrict":
                return True
            if field.on_delete == "cascade" and referrer.name not in reached:
                reached.add(referrer.name)
                pending.append(referrer)
    return False


def _conflicts(spec: Spec, resource: Resource) -> set[Operation]:
    """The operations that may answer 409 `conflict`."""
    found: set[Operation] = set()
    if any(field.unique for field in resource.fields):
        found |= {"create", "replace", "update"}
    if _delete_may_conflict(spec, resource):
        found.add("delete")
    return found


def _endpoints(spec: Spec, resource: Resource) -> dict[Operation, Endpoint]:
    name, owner, singular = resource.name, resource.owner.field, resource.module
    texts: dict[Operation, tuple[str, str]] = {
        "list": (
            f"list_{plural(singular)}",
            f"One page of the owner's {name} rows, with the total for the same filters "
            "(unless `count=false`) and the cursor of the next page (`next_cursor`). "
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
    conflicts = _conflicts(spec, resource)
    for operation, endpoint in endpoints.items():
        idempotent = operation == "create" and spec.idempotency is not None
        overlays = ["IDEMPOTENT_CREATE_ANSWERS"] if idempotent else []
        if operation in conflicts and not idempotent:  # an idempotent create says its own 409
            overlays.append("CONFLICT_ANSWER")
        if resource.versioned:
            overlays += CONDITIONAL_ANSWERS.get(operation, [])
        responses = _responses(spec.auth is not None, overlays)
        endpoints[operation] = dataclasses.replace(endpoint, responses=responses)
    return endpoints


CONDITIONAL_ANSWERS: dict[Operation, list[str]] = {
    "read": ["conditional.NOT_MODIFIED_RESPONSES"],
    "replace": ["GUARD.write_responses"],
    "update": ["GUARD.write_responses"],
    "delete": ["GUARD.write_responses"],
}
"""What `concurrency` adds to each operation's documented answers: 304, or 412 and 428."""


def _responses(bearer: bool, overlays: list[str]) -> str:
    """The expression of a route's documented answers: the spec's errors and what it adds.

    The common cases read as one named table; the rest merge the tables they need.
    """
    if not bearer:
        if not overlays:
            return "ERROR_RESPONSES"
        if overlays == ["CONFLICT_ANSWER"]:
            return "CONFLICT_RESPONSES"
        if overlays == ["IDEMPOTENT_CREATE_ANSWERS"]:
            return "IDEMPOTENT_CREATE_RESPONSES"
    base = "BEARER_ERROR_RESPONSES" if bearer else "ERROR_RESPONSES"
    if not overlays:
        return base
    return "{" + ", ".join(f"**{name}" for name in [base, *overlays]) + "}"


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
        id_param_checks=("DecimalDigits",) if integer else (),
        id_path_keywords=f"ge=1, le={INT64_MAX}, " if integer else "",
        creates_id=not integer,
        timestamps=resource.timestamps,
        list=resource.list,
        sort_values=resource.sort_values,
        order_by=_order_by(resource),
        keysets=_keysets(resource),
        longest_sort_text=resource.longest_sort_text,
        filters=_filters(resource),
        endpoints=_endpoints(spec, resource),
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
        bearer=spec.auth is not None,
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
        idempotency_ttl_hours=(
            spec.idempotency.ttl_hours
            if spec.idempotency is not None and resource.serves("create")
            else None
        ),
        concurrency=resource.concurrency,
        versioned=resource.versioned,
    )


NOTHING_SERVED = "No operation of this path is served: every method answers 405, not 404."
SHADOWING = "Methods not served here answer 405, not a later path that also matches the URL."
