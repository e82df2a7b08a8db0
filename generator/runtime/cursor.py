"""Cursor pages: the keyset condition of each sort, and the opaque cursor text, for every list.

A cursor names the last row of a page by its sort value and id, so the next page is the rows
after it in (sort value, id) order: no offset is skipped over, and rows inserted meanwhile
neither repeat nor push others out of the page. The text carries the sort, a fingerprint of
the owner and filters, that position, and a hash of the rest. The hash needs no secret: it
catches cursors cut short or edited by hand, and a forged one can only move within the
owner's own rows, whose values are checked here before they reach SQL.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import hashlib
import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from fastapi.exceptions import RequestValidationError
from sqlalchemy.types import TypeDecorator

CURSOR_OVERHEAD = 256
"""Bytes a cursor's JSON takes besides its sort value: the sort's name, the fingerprint, an
id, the brackets; a number, date or time as the sort value fits in it too."""
BYTES_PER_CHARACTER = 6
"""The most a character of a text sort value takes in the JSON: `\\u001f` for a control
character; any other takes 4 bytes of UTF-8 at the most."""


def max_cursor_length(longest_text: int) -> int:
    """The longest cursor a resource can make, when its longest sortable text holds
    `longest_text` characters (0 without one): longer `cursor` text is refused undecoded."""
    payload = CURSOR_OVERHEAD + BYTES_PER_CHARACTER * longest_text + _CHECK_BYTES
    return 4 * -(-payload // 3)


_AFTER = "after__"
_AFTER_ID = "after_id__"
_CHECK_BYTES = 8
_INT64 = range(-(2**63), 2**63)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    if "\x00" in value:
        raise ValueError
    value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    return value


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in _INT64:
        raise ValueError
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _floating(value: object) -> float:
    # JSON writes a float with repr(), which reads back to the very same float.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError
    return float(value)


def _datetime(value: object) -> datetime.datetime:
    parsed = datetime.datetime.fromisoformat(_text(value))
    if parsed.tzinfo is None:
        raise ValueError
    return parsed.astimezone(datetime.UTC)


def _date(value: object) -> datetime.date:
    return datetime.date.fromisoformat(_text(value))


def _decimal(value: object) -> decimal.Decimal:
    try:
        parsed = decimal.Decimal(_text(value))
    except decimal.InvalidOperation:
        raise ValueError from None
    if not parsed.is_finite():
        raise ValueError
    return parsed


_CODECS: dict[type, tuple[Callable[[Any], Any], Callable[[object], Any]]] = {
    str: (lambda value: value, _text),
    int: (lambda value: value, _integer),
    bool: (lambda value: value, _boolean),
    float: (lambda value: value, _floating),
    datetime.datetime: (lambda value: value.isoformat(), _datetime),
    datetime.date: (lambda value: value.isoformat(), _date),
    decimal.Decimal: (str, _decimal),
    uuid.UUID: (str, lambda value: uuid.UUID(_text(value))),
}
"""Per column type: to a JSON value, and back to the exact typed value (ValueError if bad)."""


Codec = tuple[Callable[[Any], Any], Callable[[object], Any]]
"""A column type's (to JSON, from JSON) pair."""


def _codec(column: Any) -> Codec:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # UTCDateTime: the type it stores as
        column_type = column_type.impl_instance
    python_type = column_type.python_type
    try:
        return _CODECS[python_type]
    except KeyError:
        raise TypeError(f"{column}: no cursor encoding for {python_type.__name__}") from None


@dataclass(frozen=True)
class Keyset:
    """One `?sort=` value as a keyset: the rows after a position in (column, id) order.

    `column` is the id itself when sorting by id. NULLs sort last in both directions, as the
    ORDER BY places them, so after a non-null value come the greater (or lesser) values, the
    equal ones with a greater (lesser) id, then every NULL; after a NULL, only NULLs with a
    greater (lesser) id.
    """

    column: Any
    id_column: Any
    descending: bool = False
    nullable: bool = False
    _value_codec: Codec = field(init=False, repr=False, compare=False)
    _id_codec: Codec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Refuses, at import, a column type no cursor can carry; kept, as a column's type is
        # looked up through SQLAlchemy's attribute proxies, slow on every page.
        object.__setattr__(self, "_value_codec", _codec(self.column))
        object.__setattr__(self, "_id_codec", _codec(self.id_column))

    @property
    def by_id(self) -> bool:
        return self.column is self.id_column

    def after(self, *, at_null: bool) -> sa.ColumnElement[bool]:
        """Rows after the position bound by `params`: one statement shape per `at_null`."""
        value = sa.bindparam(_AFTER, type_=self.column.type)
        row_id = sa.bindparam(_AFTER_ID, type_=self.id_column.type)
        id_after: sa.ColumnElement[bool] = (
            self.id_column < row_id if self.descending else self.id_column > row_id
        )
        if self.by_id:
            return id_after
        if at_null:
            return sa.and_(self.column.is_(None), id_after)
        # The redundant bound (>= or <=) is what an index on (owner, column, id) seeks to.
        if self.descending:
            bounded = sa.and_(self.column <= value, sa.or_(self.column < value, id_after))
        else:
            bounded = sa.and_(self.column >= value, sa.or_(self.column > value, id_after))
        return sa.or_(bounded, self.column.is_(None)) if self.nullable else bounded

    def position(self, row: Mapping[str, Any]) -> tuple[Any, Any]:
        """The (sort value, id) of a row as the statements return it."""
        return row[self.column.key], row[self.id_column.key]

    def params(self, position: tuple[Any, Any]) -> dict[str, Any]:
        value, row_id = position
        return {_AFTER_ID: row_id} if self.by_id else {_AFTER: value, _AFTER_ID: row_id}

    def encode(self, position: tuple[Any, Any]) -> list[Any]:
        value, row_id = position
        encoded_id = self._id_codec[0](row_id)
        if self.by_id:
            return [encoded_id]
        return [None if value is None else self._value_codec[0](value), encoded_id]

    def decode(self, values: object) -> tuple[Any, Any]:
        """The typed position; ValueError for anything a real cursor never holds."""
        if not isinstance(values, list) or len(values) != (1 if self.by_id else 2):
            raise ValueError
        row_id = self._id_codec[1](values[-1])
        if self.by_id:
            return row_id, row_id
        if values[0] is None:
            if not self.nullable:
                raise ValueError
            return None, row_id
        return self._value_codec[1](values[0]), row_id


def fingerprint(resource: str, owner: str, filters: Mapping[str, Any]) -> str:
    """What a cursor is bound to besides its sort: the resource, the owner, the filters."""
    given = sorted((name, str(value)) for name, value in filters.items())
    text = json.dumps([resource, owner, given], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _checked(payload: bytes) -> bytes:
    return hashlib.sha256(b"cursor\x00" + payload).digest()[:_CHECK_BYTES]


def sealed(payload: object) -> str:
    """A payload as cursor text: its JSON, sealed."""
    return seal(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())


def seal(data: bytes) -> str:
    """Cursor text: URL-safe base64 of `data` and of its hash, unpadded."""
    return base64.urlsafe_b64encode(data + _checked(data)).decode().rstrip("=")


def encode_cursor(keyset: Keyset, *, sort: str, bound_to: str, position: tuple[Any, Any]) -> str:
    """URL-safe text naming the row after which the next page starts."""
    return sealed([sort, bound_to, keyset.encode(position)])


def cursor_problem(location: str, message: str) -> RequestValidationError:
    """A 422 naming the query parameter at fault, like any other bad parameter."""
    return RequestValidationError(
        [{"loc": ("query", location), "msg": message, "type": "value_error"}]
    )


def decode_cursor(text: str, keyset: Keyset, *, sort: str, bound_to: str) -> tuple[Any, Any]:
    """The position a cursor names, or a 422 saying why it cannot be used here."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    data, check = raw[:-_CHECK_BYTES], raw[-_CHECK_BYTES:]
    if not data or check != _checked(data):
        raise cursor_problem(
            "cursor", "not a cursor this API made, or one altered since: start again without it"
        )
    try:
        made_for, made_bound_to, values = json.loads(data)
        if not isinstance(made_for, str):
            raise ValueError
    except (ValueError, TypeError, RecursionError):  # deeply nested JSON: forged, not ours
        raise cursor_problem("cursor", "not a cursor this API made") from None
    if made_for != sort:
        raise cursor_problem(
            "cursor", f"this cursor belongs to sort={made_for}; repeat that sort with it"
        )
    if made_bound_to != bound_to:
        raise cursor_problem(
            "cursor", "this cursor belongs to other filters; repeat the filters of its page"
        )
    try:
        return keyset.decode(values)
    except (ValueError, TypeError, OverflowError):  # e.g. a datetime that UTC cannot hold
        raise cursor_problem("cursor", "not a cursor this API made") from None
