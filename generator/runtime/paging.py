"""One list request's paging: by offset or after a cursor, counted or not, for every resource.

A router asks `Paging.of` what its query parameters mean, builds (and caches) one statement
per `PageShape` with `paged`, and turns the rows into the page's fields with `finish`. The
rules are the API's: a cursor excludes `offset`, `count=false` answers a null total with
`has_more` still right (one row more is fetched to know), and every page names the cursor
of the page after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from generated.cursor import Keyset, cursor_problem, decode_cursor, encode_cursor

TOTAL = "_total_count"
"""The label of the total's column in a counted page's rows."""

After = Literal["value", "null"] | None
"""Where a cursor page starts: after a row with a sort value, after one with a NULL, or at
an offset (None). Each is a different keyset condition, so a different statement."""


@dataclass(frozen=True)
class PageShape:
    """What a page's statement depends on besides the sort and the filters."""

    counted: bool
    after: After


def paged(
    query: sa.Select[Any],
    shape: PageShape,
    *,
    keyset: Keyset,
    order_by: tuple[sa.ColumnElement[Any], ...],
    total: sa.Select[Any],
) -> sa.Select[Any]:
    """The page's statement from the owner's filtered rows: one round trip, total included.

    The total is the filtered rows' count as a scalar subquery, computed once per statement
    from the owner-leading index alone (an index-only scan where the table is vacuumed); a
    window count over the page's query would read every one of the owner's rows, columns
    and all, to return a page of them (2.7 times the PostgreSQL time for a page of 20 out
    of 100: docs/decisions.md). After a cursor only the rows past it are read for the page.
    """
    if shape.after is None:
        query = query.offset(sa.bindparam("offset__"))
    else:
        query = query.where(keyset.after(at_null=shape.after == "null"))
    if shape.counted:
        counted = total.correlate(None).scalar_subquery()  # never the outer row's table
        query = query.add_columns(counted.label(TOTAL))
    return query.order_by(*order_by).limit(sa.bindparam("limit__"))


@dataclass(frozen=True)
class PageFields:
    """A finished page, except its rows' schema: what the Page model is built from."""

    rows: list[dict[str, Any]]
    total_count: int | None
    has_more: bool
    offset: int | None
    next_cursor: str | None


@dataclass(frozen=True)
class Paging:
    """What one list request asked for, checked: its statement shape and bind parameters."""

    keyset: Keyset
    sort: str
    bound_to: str
    offset: int
    limit: int
    counted: bool
    position: tuple[Any, Any] | None

    @classmethod
    def of(
        cls,
        keyset: Keyset,
        *,
        sort: str,
        bound_to: str,
        query: Mapping[str, str],
        cursor: str | None,
        offset: int,
        limit: int,
        count: bool,
    ) -> Paging:
        """`query` is the request's query string, which tells a given `offset=0` from none;
        `bound_to` is the owner's and filters' fingerprint. A 422 when they disagree."""
        position = None
        if cursor is not None:
            if "offset" in query:
                raise cursor_problem("offset", "offset and cursor cannot be used together")
            position = decode_cursor(cursor, keyset, sort=sort, bound_to=bound_to)
        return cls(keyset, sort, bound_to, offset, limit, count, position)

    @property
    def shape(self) -> PageShape:
        if self.position is None:
            return PageShape(self.counted, None)
        return PageShape(self.counted, "null" if self.position[0] is None else "value")

    @property
    def _by_total(self) -> bool:
        """Whether the total tells if more rows follow; otherwise one more row is fetched."""
        return self.counted and self.position is None

    def params(self) -> dict[str, Any]:
        fetched = self.limit if self._by_total else self.limit + 1
        if self.position is None:
            return {"offset__": self.offset, "limit__": fetched}
        return {"limit__": fetched, **self.keyset.params(self.position)}

    def needs_total(self, rows: list[dict[str, Any]]) -> bool:
        """A counted page with no rows past the start has no row to read the total from."""
        return self.counted and not rows and (self.offset > 0 or self.position is not None)

    def finish(self, rows: list[dict[str, Any]], total: int | None = None) -> PageFields:
        """`total` is the count `needs_total` asked for, if it did."""
        if self.counted and total is None:
            total = rows[0][TOTAL] if rows else 0
        for row in rows:
            row.pop(TOTAL, None)
        if self._by_total:
            assert total is not None
            has_more = self.offset + len(rows) < total
        else:
            has_more = len(rows) > self.limit
            rows = rows[: self.limit]
        next_cursor = None
        if has_more and rows:
            position = self.keyset.position(rows[-1])
            next_cursor = encode_cursor(
                self.keyset, sort=self.sort, bound_to=self.bound_to, position=position
            )
        offset = self.offset if self.position is None else None
        return PageFields(rows, total, has_more, offset, next_cursor)
