"""The typed intermediate model the templates read: a validated spec with every default filled in.

Templates never look at raw YAML. Everything they need to decide is answered here, in Python,
so the templates stay free of spec logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# A field and its rules are declared together; the generated app's range of BIGINT is its own.
from generator.field_rules import Field as Field
from generator.field_rules import FilterOperator, IdType, filter_alias
from generator.runtime.support import INT64_MAX as INT64_MAX
from generator.runtime.support import INT64_MIN as INT64_MIN

Operation = Literal["list", "create", "read", "replace", "update", "delete"]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Concurrency = Literal["none", "optimistic", "required"]
"""`concurrency`: no row versions, versions with conditional requests, or If-Match required."""
CONCURRENCY: tuple[Concurrency, ...] = ("none", "optimistic", "required")
Where = Literal["collection", "item"]
"""A resource serves two paths: its collection (`path`) and one row of it (`path/{id}`)."""

OPERATION_ROUTES: dict[Operation, tuple[Method, Where]] = {
    "list": ("GET", "collection"),
    "create": ("POST", "collection"),
    "read": ("GET", "item"),
    "replace": ("PUT", "item"),
    "update": ("PATCH", "item"),
    "delete": ("DELETE", "item"),
}
"""The method and path of each operation: the one place that pairs them."""
OPERATIONS: tuple[Operation, ...] = tuple(OPERATION_ROUTES)
METHODS: tuple[Method, ...] = ("DELETE", "GET", "PATCH", "POST", "PUT")
"""Every method some operation uses, sorted as `Allow` headers list them."""


@dataclass(frozen=True)
class Owner:
    """Who a row belongs to: the column (also the path's placeholder) and its rules."""

    field: str
    max_length: int
    pattern: str


@dataclass(frozen=True)
class SortKey:
    """A column the list may be sorted by, and whether NULLs need explicit placement."""

    name: str
    nullable: bool


@dataclass(frozen=True)
class ListFilter:
    """One list query parameter: `?name=` (equals) or, on ordered types, `?name__gte=` / `__lte`."""

    field: Field
    operator: FilterOperator

    @property
    def alias(self) -> str:
        """The parameter's name in the URL."""
        return filter_alias(self.field.name, self.operator)


@dataclass(frozen=True)
class ListSettings:
    """Paging limits and the default order of the list operation."""

    default_limit: int
    max_limit: int
    default_sort: str


@dataclass(frozen=True)
class Resource:
    """One resource: a table, its models and schemas, and the routes that serve it."""

    name: str
    module: str
    description: str | None
    table: str
    path: str
    owner: Owner
    id_type: IdType
    timestamps: bool
    fields: tuple[Field, ...]
    list: ListSettings
    operations: tuple[Operation, ...]
    source: str
    """The spec file as generated headers name it (relative to the project root)."""
    file: str
    """The spec file as problems name it (relative to the working directory)."""
    concurrency: Concurrency = "none"

    @property
    def versioned(self) -> bool:
        """Whether rows carry a server-managed `version`, their ETag (`concurrency` not none)."""
        return self.concurrency != "none"

    @property
    def server_managed(self) -> tuple[str, ...]:
        """The columns clients never write: the id, the owner, the timestamps and the version."""
        timestamps = ("created_at", "updated_at") if self.timestamps else ()
        version = ("version",) if self.versioned else ()
        return ("id", self.owner.field, *timestamps, *version)

    @property
    def sort_keys(self) -> tuple[SortKey, ...]:
        """Every value `?sort=` accepts (without its `-`), in a stable order."""
        keys = [SortKey("id", False)]
        if self.timestamps:
            keys += [SortKey("created_at", False), SortKey("updated_at", False)]
        keys += [SortKey(field.name, field.nullable) for field in self.fields if field.sortable]
        return tuple(keys)

    @property
    def longest_sort_text(self) -> int | None:
        """The most characters a sortable text value holds (0 without sortable text; None
        when a sortable text field has no max_length): what bounds a cursor's length."""
        longest = 0
        for field in self.fields:
            if field.sortable and field.type in ("string", "text"):
                if field.max_length is None:
                    return None
                longest = max(longest, field.max_length)
            elif field.sortable and field.type == "enum":
                longest = max(longest, *(len(value) for value in field.values))
        return longest

    @property
    def sort_values(self) -> tuple[str, ...]:
        """Every value `?sort=` accepts: each sort key, ascending then descending (`-`)."""
        return tuple(value for key in self.sort_keys for value in (key.name, f"-{key.name}"))

    @property
    def filterable_fields(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.filterable)

    @property
    def refs(self) -> tuple[Field, ...]:
        """The `ref` fields: each points at a row of the same owner in its target."""
        return tuple(field for field in self.fields if field.type == "ref")

    @property
    def list_filters(self) -> tuple[ListFilter, ...]:
        """Every filter parameter of the list, in field order."""
        return tuple(
            ListFilter(field, operator)
            for field in self.filterable_fields
            for operator in field.filter_operators
        )

    def serves(self, operation: Operation) -> bool:
        return operation in self.operations

    def path_of(self, where: Where) -> str:
        """The URL template of the collection or of one row, below the API prefix."""
        return self.path if where == "collection" else f"{self.path}/{{id}}"

    def served_methods(self, where: Where) -> tuple[Method, ...]:
        """The methods the spec serves on the collection or item path, in `METHODS` order."""
        served = {OPERATION_ROUTES[operation] for operation in self.operations}
        return tuple(method for method in METHODS if (method, where) in served)


IDEMPOTENCY_TABLE = "idempotency_keys"
"""The table of `api.idempotency`'s keys, which no resource's table may also be called."""


@dataclass(frozen=True)
class Idempotency:
    """`api.idempotency`: every create honours `Idempotency-Key`, kept for `ttl_hours`."""

    ttl_hours: int


@dataclass(frozen=True)
class BearerAuth:
    """`auth: {type: bearer-jwt}`: the owner is a token's claim, checked against the path."""

    owner_claim: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    """The whole validated spec: the API prefix and every resource, in spec order."""

    prefix: str
    resources: tuple[Resource, ...]
    source: str
    auth: BearerAuth | None = None
    """None when the path alone names the owner (no `auth`, or `type: none`)."""
    idempotency: Idempotency | None = None
    """None: the `Idempotency-Key` header is ignored and no key table is generated."""

    def target(self, field: Field) -> Resource:
        """The resource a `ref` field points at (validation made sure there is one)."""
        return next(resource for resource in self.resources if resource.name == field.to)

    def referrers(self, target: Resource) -> tuple[tuple[Resource, Field], ...]:
        """Every `ref` that points at `target`, with its resource, in spec order."""
        return tuple(
            (resource, field)
            for resource in self.resources
            for field in resource.refs
            if field.to == target.name
        )
