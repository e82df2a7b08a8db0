"""Conditional requests (`concurrency`): a row's `version` as its ETag, `If-Match`, `If-None-Match`.

A resource with `concurrency: optimistic` or `required` has a server-managed integer
`version` column, 1 on create and moved by every write. Its ETag is the version in quotes.
A write with `If-Match` carries the condition into its own statement
(`... WHERE id = :id AND owner = :owner AND version IN (:versions) RETURNING`), so of two
writers holding the same tag exactly one succeeds and the other gets 412; no read comes first.

`RowGuard` holds those rules for one table, read from the table itself (no `version` column:
no conditions), so hand-written routes apply them without knowing how the resource is
configured. Copied into `generated/` like `support`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import BindParameter, Select, bindparam, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import DMLWhereBase, Update

from .support import ErrorBody, not_found

Concurrency = Literal["none", "optimistic", "required"]
VERSION_COLUMN = "version"
"""The server-managed column; its `info["concurrency"]` says `optimistic` or `required`."""

VERSIONS: BindParameter[Any] = bindparam("versions__", expanding=True)
"""The versions an `If-Match` names; "__" keeps it apart from any column's SET parameter."""

# RFC 9110 section 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma list.
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*')
_VERSION = re.compile(r"[1-9][0-9]{0,17}")
"""A version as its ETag writes it: decimal, no sign, no leading zero (`"02"` names none)."""
MAX_TAGS = 100
"""Entity tags one header may name: each is a bind parameter of the write, and databases cap
those (SQLite, asyncpg), so a longer list is refused with 422 rather than failing there."""


@dataclass(frozen=True)
class EntityTags:
    """An `If-Match` or `If-None-Match` header: `*`, or the versions its entity tags name.

    Tags that name no version (weak ones where comparison is strong, `"02"`, `"abc"`) are
    kept out of `versions`, so they match nothing; a malformed header matches nothing too.
    """

    any: bool
    versions: tuple[int, ...]


def parse_entity_tags(text: str, *, weak: bool) -> EntityTags:
    """Parse a header value; `weak` is the weak comparison of `If-None-Match` (`W/"2"` is 2)."""
    if text.strip() == "*":
        return EntityTags(any=True, versions=())
    versions: list[int] = []
    if text.count(",") >= MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} entity tags, comma-separated")
    for element in text.split(","):
        if not element.strip():
            continue  # RFC 9110 5.6.1: empty list elements are ignored
        found = _ENTITY_TAG.fullmatch(element)
        if found is None:
            # A comma inside a tag would split it: such a tag names no version anyway.
            continue
        is_weak, opaque = found.group(1) is not None, found.group(2)
        if (weak or not is_weak) and _VERSION.fullmatch(opaque):
            versions.append(int(opaque))
    return EntityTags(any=False, versions=tuple(dict.fromkeys(versions)))


def entity_tag(version: int) -> str:
    """The strong ETag of a row version: `"7"`."""
    return f'"{version}"'


def _header(request: Request, name: str, *, weak: bool) -> EntityTags | None:
    # Several header lines make one list (RFC 9110 5.3), so each line counts, not the first.
    lines = request.headers.getlist(name)
    if not lines:
        return None
    try:
        return parse_entity_tags(", ".join(lines), weak=weak)
    except ValueError as error:
        title = name.title()
        detail = {"loc": ("header", title), "msg": str(error), "type": "value_error"}
        raise RequestValidationError([detail]) from None


async def if_match(
    request: Request,
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Apply the write only if the row\'s ETag is one of these (`"3"`) or `*`.',
        ),
    ] = None,
) -> EntityTags | None:
    """Dependency: the `If-Match` of a write, or None when it has none."""
    return _header(request, "if-match", weak=False)


async def if_none_match(
    request: Request,
    header: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            description="Answer 304, without a body, if the row's ETag is one of these or `*`.",
        ),
    ] = None,
) -> EntityTags | None:
    """Dependency: the `If-None-Match` of a read, or None when it has none."""
    return _header(request, "if-none-match", weak=True)


async def no_condition() -> EntityTags | None:
    """Dependency for a resource without versions: conditional headers are not looked at."""
    return None


NOT_MODIFIED_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: `If-None-Match` names the current ETag"},
}
PRECONDITION_FAILED_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {"model": ErrorBody, "description": "`If-Match` names no current ETag of the row"},
}
PRECONDITION_REQUIRED_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PRECONDITION_FAILED_RESPONSES,
    428: {"model": ErrorBody, "description": "The write has no `If-Match` header"},
}


def precondition_failed(resource: str, row_id: object) -> HTTPException:
    return HTTPException(
        status.HTTP_412_PRECONDITION_FAILED,
        detail=f"{resource} {row_id} has changed: If-Match names no current ETag of it",
    )


def precondition_required(resource: str) -> HTTPException:
    return HTTPException(
        status.HTTP_428_PRECONDITION_REQUIRED,
        detail=f"writes to a {resource} need an If-Match header with the row's ETag",
    )


StatementT = TypeVar("StatementT", bound=DMLWhereBase)


class RowGuard:
    """The conditional-request rules of one table, for the writes to one owned row.

    Built from the table's owner-scoped UPDATE (`UPDATE_OWNED_ROW`): its table says whether
    rows are versioned and how (the `version` column's `info`), and its WHERE clause (id and
    owner) tells a missing row from a changed one after a write that matched nothing.
    """

    def __init__(self, owned_row: Update) -> None:
        table: Any = owned_row.table
        self.version = table.c.get(VERSION_COLUMN)
        self.concurrency: Concurrency = (
            "none" if self.version is None else self.version.info.get("concurrency", "optimistic")
        )
        where = owned_row.whereclause
        assert where is not None, "an owned-row statement names its id and owner"
        self._exists: Select[Any] = select(literal(1)).select_from(table).where(where)

    @property
    def versioned(self) -> bool:
        return self.version is not None

    @property
    def if_match(self) -> Any:
        """The dependency that reads `If-Match` (documented) where rows have versions."""
        return if_match if self.versioned else no_condition

    @property
    def write_responses(self) -> dict[int | str, dict[str, Any]]:
        """The documented answers a conditional write adds (412, and 428 when required)."""
        if self.concurrency == "required":
            return PRECONDITION_REQUIRED_RESPONSES
        return PRECONDITION_FAILED_RESPONSES if self.versioned else {}

    def checked(self, statement: StatementT) -> StatementT:
        """`statement` that also needs the row's version to be one of VERSIONS (built once)."""
        if self.version is None:
            return statement
        return statement.where(self.version.in_(VERSIONS))

    def versions(self, resource: str, tags: EntityTags | None) -> tuple[int, ...] | None:
        """The versions a write must find, or None for an unconditional write (no `If-Match`,
        `If-Match: *`, or rows without versions). 428 when the resource requires `If-Match`."""
        if self.version is None:
            return None
        if tags is None:
            if self.concurrency == "required":
                raise precondition_required(resource)
            return None
        return None if tags.any else tags.versions

    @staticmethod
    def bind(versions: tuple[int, ...] | None) -> dict[str, Any]:
        """The parameters of a `checked` statement (none for an unconditional one)."""
        return {} if versions is None else {VERSIONS.key: list(versions)}

    async def refusal(
        self,
        conn: AsyncConnection,
        keys: Mapping[str, Any],
        versions: tuple[int, ...] | None,
        *,
        resource: str,
        row_id: object,
    ) -> HTTPException:
        """Why a write to the owned row `keys` matched no row: 404, or 412 if it exists.

        Looked up only after the write matched nothing. Ids are never reused and the owner
        never changes, so a row missing at the write cannot be found here; a row deleted in
        between answers 404, which is what a retry would answer as well.
        """
        if versions is None:
            return not_found(resource, row_id)
        found = (await conn.execute(self._exists, dict(keys))).first()
        return precondition_failed(resource, row_id) if found else not_found(resource, row_id)

    def etag(self, row: Mapping[str, Any]) -> dict[str, str]:
        """The `ETag` header of a response carrying `row` (none for rows without versions)."""
        return {} if self.version is None else {"ETag": entity_tag(row[VERSION_COLUMN])}

    def not_modified(self, tags: EntityTags | None, row: Mapping[str, Any]) -> bool:
        """Whether a read's `If-None-Match` names the row's current version (or is `*`)."""
        if self.version is None or tags is None:
            return False
        return tags.any or row[VERSION_COLUMN] in tags.versions


IfMatchTags = Annotated[EntityTags | None, Depends(if_match)]
"""A write's `If-Match` header, parsed; None without one."""
IfNoneMatchTags = Annotated[EntityTags | None, Depends(if_none_match)]
"""A read's `If-None-Match` header, parsed; None without one."""
