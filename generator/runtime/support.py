"""Types and helpers shared by the generated models, schemas and routers.

They are emitted with the rest of `generated/` so that generated code depends on nothing
hand-written: the app plugs a connection dependency in, and maps the exceptions raised here.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Awaitable, Callable, Hashable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import HTTPException, Request, Response, status
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator
from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Result, String, Text
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator, TypeEngine

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""The range of BIGINT: ids, integer fields and offsets outside it are refused with 422."""

ConnectionFactory = Callable[[], AbstractAsyncContextManager[AsyncConnection]]
"""What `build_router` takes: `connect()` opens a pooled connection for `async with`."""


StatementT = TypeVar("StatementT")


class StatementCache:
    """Statements built once per shape, then executed with bind parameters.

    Building a statement (FastCRUD's `select`, SQLAlchemy's constructs) costs more than
    running it; a list has one shape per sort key and set of filters, the other routes one
    each, so every request after the first reuses a finished statement.
    """

    def __init__(self) -> None:
        self._built: dict[Hashable, Any] = {}

    async def get(self, key: Hashable, build: Callable[[], Awaitable[StatementT]]) -> StatementT:
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = await build()
        return found


def utcnow() -> datetime.datetime:
    """The current time, timezone-aware in UTC: the only clock server-managed timestamps use."""
    return datetime.datetime.now(datetime.UTC)


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """TIMESTAMP WITH TIME ZONE that always reads back aware and in UTC, on every database.

    SQLite has no time zones and returns naive values; storing UTC and attaching it on the way
    out keeps comparisons, sorting and JSON output identical on SQLite and PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: give a timezone")
        if dialect.name == "sqlite":
            return value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value if value.tzinfo is datetime.UTC else value.astimezone(datetime.UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """None on asyncpg, whose TIMESTAMPTZ values already come back aware and in UTC: a
        page of rows then reads its datetimes without a Python call per value."""
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


def code_point_text(length: int | None) -> TypeEngine[str]:
    """VARCHAR(length), or TEXT without one, that sorts by code point on every database.

    SQLite compares text bytewise (BINARY); PostgreSQL follows the database's collation unless
    told otherwise. The "C" collation on PostgreSQL gives the same order as SQLite, so one list
    query returns rows in one order wherever it runs.
    """
    if length is None:
        return Text().with_variant(Text(collation="C"), "postgresql")
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def int64_id() -> TypeEngine[int]:
    """BIGINT ids, as INTEGER on SQLite: only `INTEGER PRIMARY KEY` gets SQLite's rowid ids."""
    return BigInteger().with_variant(Integer(), "sqlite")


def _refuse_unstorable(value: str) -> str:
    """Refuse text that PostgreSQL cannot store: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("lone surrogate characters are not allowed") from None
    return value


StorableText = AfterValidator(_refuse_unstorable)
"""Validator for every text value that may reach the database."""


def _refuse_non_decimal(value: object) -> object:
    """Refuse '7.0', '+7', ' 7', '0_7' and the like, which Python's int() would accept."""
    if isinstance(value, str) and not _DECIMAL_INTEGER.fullmatch(value):
        raise ValueError("expected an integer written in decimal digits")
    return value


_DECIMAL_INTEGER = re.compile(r"-?[0-9]+")

DecimalDigits = BeforeValidator(_refuse_non_decimal)
"""An integer from a path or query string: digits only, optionally negative.

It goes last in an `Annotated`, after the bounds: Pydantic turns bounds given after a validator
into "ge"/"le" keys of the JSON Schema, which no client or validator understands, while bounds
given before it become `minimum`/`maximum` (`Annotated[int, Query(ge=0), DecimalDigits]`).
"""


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)"
)


def _iso_date_text(value: object) -> object:
    """Only "YYYY-MM-DD": Pydantic alone would also take numbers and datetimes."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    raise ValueError('expected a date as "YYYY-MM-DD"')


def _iso_datetime_text(value: object) -> object:
    """Only ISO-8601 text with an offset: Pydantic alone would also take Unix timestamps."""
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value
    if isinstance(value, datetime.datetime):
        return value
    raise ValueError("expected an ISO-8601 datetime with an offset, like 2026-01-01T09:30:00Z")


def _to_utc(value: datetime.datetime) -> datetime.datetime:
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC year
        raise ValueError("out of range once converted to UTC") from None


DateText = Annotated[datetime.date, BeforeValidator(_iso_date_text)]
"""An input date: "YYYY-MM-DD" and nothing else."""

UTCDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_text), AfterValidator(_to_utc)]
"""An input datetime: ISO-8601 with an offset (a naive value is 422), kept in UTC."""


def _bool_text(value: object) -> object:
    if value in ("true", "false") or isinstance(value, bool):
        return value
    raise ValueError("expected true or false")


BoolText = Annotated[bool, BeforeValidator(_bool_text)]
"""A boolean from a query string: `true` or `false`, not yes/no/on/off/1/0."""


OMITTED: Any = None
"""Default of every PATCH field: left out of the body, so unchanged (`exclude_unset`)."""


class ErrorDetail(BaseModel):
    """One problem with a request: where it is and what is wrong."""

    loc: list[str | int]
    message: str
    type: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    """The one shape of every 4xx and 5xx answer."""

    error: ErrorInfo


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such row for this owner"},
    422: {"model": ErrorBody, "description": "The request is not valid"},
}
"""Documented error answers of every generated route (the app's handlers produce them)."""
CONFLICT_ANSWER: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "A unique value already taken by another row of the owner, "
        "or a row that others still point at",
    },
}
"""What a route that may be refused with 409 `conflict` adds to its documented answers."""
CONFLICT_RESPONSES = {**ERROR_RESPONSES, **CONFLICT_ANSWER}
"""The answers of a route that may also be refused with 409 `conflict`."""


def not_found(resource: str, row_id: object) -> HTTPException:
    """The one 404 for a missing row and for another owner's row, so existence never leaks."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{resource} {row_id} not found")


def method_not_allowed() -> HTTPException:
    """405 for a method the spec does not serve on a path (the app fills in `Allow`)."""
    return HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, detail="method not allowed")


def location_of(request: Request, row_id: object) -> str:
    """The new row's URL as the client wrote the collection's: still percent-encoded."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1").split("?", 1)[0] if raw else quote(request.scope["path"])
    return f"{path.rstrip('/')}/{quote(str(row_id), safe='')}"


ModelT = TypeVar("ModelT", bound=BaseModel)


def row_dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """Every row of `result` as a dict of its columns: `dict(row._mapping)` without building a
    mapping per row (a fifth of the cost, which shows on a page of rows).

    A result may hand out its rows as dicts itself, with a `row_dicts()` method answering
    None when it cannot: the app's driver path does (app/driver.py), from the driver's
    records without a `Row` for each.
    """
    direct = getattr(result, "row_dicts", None)
    rows: list[dict[str, Any]] | None = direct() if direct is not None else None
    if rows is not None:
        return rows
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def first_row(result: Result[Any]) -> dict[str, Any] | None:
    """`result.first()` as a dict of its columns, or None when there is no row."""
    rows = row_dicts(result)
    return rows[0] if rows else None


def one_row(result: Result[Any]) -> dict[str, Any]:
    """`result.one()` as a dict of its columns: SQLAlchemy's error unless exactly one row."""
    rows = row_dicts(result)
    if not rows:
        raise NoResultFound("No row was found when one was required")
    if len(rows) > 1:
        raise MultipleResultsFound("Multiple rows were found when exactly one was required")
    return rows[0]


def _plain_state(schema: type[BaseModel]) -> bool:
    """Whether a model's state is nothing but its fields' values (see `from_database`)."""
    return (
        not schema.__pydantic_root_model__
        and schema.__pydantic_post_init__ is None
        and schema.model_config.get("extra") != "allow"
    )


_PLAIN_STATE: dict[type[BaseModel], bool] = {}


def from_database(schema: type[ModelT], values: Mapping[str, Any]) -> ModelT:
    """`schema.model_construct(**values)` for values the database gave back, without
    validation, at a quarter of the cost when they name every field.

    `model_construct` looks for each field's aliases and default in Python, one field at a
    time; a row read back names every field by its own name, so the model's state is the
    values themselves, set as `model_construct` sets them. Values that leave a field out (a
    relation `?include=` did not name) take `model_construct`, which fills its default.
    """
    plain = _PLAIN_STATE.get(schema)
    if plain is None:
        plain = _PLAIN_STATE[schema] = _plain_state(schema)
    if not plain or values.keys() != schema.__pydantic_fields__.keys():
        return schema.model_construct(**values)
    model = schema.__new__(schema)
    object.__setattr__(model, "__dict__", dict(values))
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def json_response(
    model: BaseModel,
    *,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise a response model once, in Pydantic's core, and skip FastAPI's re-validation."""
    # Fields never set are left out: relations that `?include=` did not name.
    return Response(
        content=model.__pydantic_serializer__.to_json(model, exclude_unset=True),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
