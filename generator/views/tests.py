"""The view of `tests/test_<resource>_contract.py`: URLs, served operations and test cases."""

from __future__ import annotations

from dataclasses import dataclass

from generator import contract
from generator.model import OPERATION_ROUTES, ListSettings, Method, Operation, Resource, Spec
from generator.render_values import code
from generator.routes import Unserved, unserved
from generator.runtime.cursor import max_cursor_length


@dataclass(frozen=True)
class ContractTestView:
    """What `contract_test.py.jinja` and its `_contract_<operation>` parts show.

    The resource's URLs and served operations as they are, and every table of cases as
    Python source text, ready to paste.
    """

    name: str
    owner: str
    """The owner's column, which the created row carries."""
    timestamps: bool
    concurrency: str
    versioned: bool
    list: ListSettings
    operations: tuple[Operation, ...]
    collection_template: str
    """The collection URL with `{owner}` where the owner goes (every placeholder is one)."""
    openapi_collection: str
    openapi_item: str
    openapi_operations: tuple[tuple[str, Method], ...]
    """Every (path, method) the OpenAPI document must list for this resource, sorted."""
    unserved: tuple[Unserved, ...]
    server_managed: tuple[str, ...]
    missing_id: str
    bad_ids: tuple[str, ...]
    bad_owners: tuple[tuple[str, str], ...]
    rows: tuple[str, ...]
    """Complete, valid create bodies with distinct values for unique and sortable fields."""
    expected_rows: tuple[str, ...]
    """What the API returns for each of `rows` (stripped, in UTC, defaults applied)."""
    minimal_body: str
    minimal_expected: str
    required: tuple[str, ...]
    unique: tuple[str, ...]
    accepted: tuple[tuple[str, str, str, str], ...]
    refused: tuple[tuple[str, str, str], ...]
    non_finite: tuple[str, ...]
    updates: tuple[tuple[str, str, str], ...]
    nullable: tuple[tuple[str, bool], ...]
    """Every field, and whether PATCH may set it to null."""
    sorts: tuple[tuple[str, bool], ...]
    nullable_sorts: tuple[str, ...]
    """The sort keys that may hold NULL, which sort last in either direction."""
    too_long_cursor: int | None
    """A cursor length the list refuses unread, if any."""
    cursor_limits: tuple[int, ...]
    """The limits cursor pages cycle through: a limit may change from page to page."""
    filters: tuple[tuple[str, str, str], ...]
    bad_filters: tuple[tuple[str, str], ...]

    def serves(self, operation: Operation) -> bool:
        return operation in self.operations


def contract_test_view(spec: Spec, resource: Resource) -> ContractTestView | None:
    """The view, or None when the spec alone gives no valid row to test with."""
    fields = resource.fields
    found = contract.field_samples(resource)
    rows = contract.valid_rows(fields, found)
    if not rows:
        return None
    collection = spec.prefix + resource.path_of("collection")
    item = spec.prefix + resource.path_of("item")
    missing_id, bad_ids = contract.ids(resource)
    minimal_body, minimal_expected = contract.minimal(fields, found)
    longest = resource.longest_sort_text
    return ContractTestView(
        name=resource.name,
        owner=resource.owner.field,
        timestamps=resource.timestamps,
        concurrency=resource.concurrency,
        versioned=resource.versioned,
        list=resource.list,
        operations=resource.operations,
        collection_template=contract.collection_template(spec, resource),
        openapi_collection=collection,
        openapi_item=item,
        openapi_operations=tuple(
            sorted(
                (collection if where == "collection" else item, method)
                for method, where in (OPERATION_ROUTES[op] for op in resource.operations)
            )
        ),
        unserved=unserved(resource),
        server_managed=resource.server_managed,
        missing_id=missing_id,
        bad_ids=bad_ids,
        bad_owners=contract.bad_owners(resource),
        rows=tuple(code(row) for row in rows),
        expected_rows=tuple(contract.expected_row(fields, row) for row in rows),
        minimal_body=minimal_body,
        minimal_expected=minimal_expected,
        required=tuple(field.name for field in fields if field.required),
        unique=tuple(field.name for field in fields if field.unique),
        accepted=contract.accepted(fields, found),
        refused=contract.refused(fields, found),
        non_finite=contract.non_finite(fields),
        updates=contract.updates(fields, found),
        nullable=tuple((field.name, field.nullable) for field in fields),
        sorts=contract.sorts(resource, found),
        nullable_sorts=tuple(key.name for key in resource.sort_keys if key.nullable),
        too_long_cursor=(None if longest is None else max_cursor_length(longest) + 1),
        cursor_limits=(1, 2) if resource.list.max_limit >= 2 else (1,),
        filters=contract.filters(resource, found),
        bad_filters=contract.bad_filters(resource),
    )
