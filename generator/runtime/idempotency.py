"""Retried creates (`api.idempotency`): an `Idempotency-Key` claimed per owner, its answer replayed.

A create that a client retries (after a timeout, a dropped connection, a 503) must not make a
second row. The first request with a key claims it: one committed row in `idempotency_keys`
(owner, key) with no answer yet and a lease. The row is then created, and in the same
transaction the claim gets the answer (status, headers, body), so either both are written or
neither. A repeat finds the claim and replays that answer; with another body it is refused;
while the first still runs it gets 409 at once, never a wait on the first one's transaction.

- No check-then-insert race: claiming is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`, so
  of N requests with one key exactly one gets the claim, on PostgreSQL and SQLite alike.
- A crashed holder blocks its key for `LEASE` only: a retry of the same request after that
  takes the claim over, and the old holder, should it wake, finds its lease token gone and
  rolls its row back. The same is true of a key past its `ttl_hours`, for any body.
- A failed create (a 4xx before any write, a conflict, an outage) releases its claim: nothing
  was written, so the key stays free for a corrected request.
- Keys expire after `ttl_hours`; each claim deletes up to `CLEANUP_BATCH` expired keys of its
  owner, so the table stays small without a separate job.

A key belongs to an owner, whichever collection it is sent to: the request it fingerprints is
the collection (the resource) and the body as JSON (key order aside), so the same key sent to
another collection is a reused key (422), never a replay of another resource's row.
Copied into `generated/` (when the spec turns it on) like `support`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ClassVar

import sqlalchemy as sa
from fastapi import Header, HTTPException, Response, status
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from .support import ERROR_RESPONSES, ConnectionFactory, ErrorBody, UTCDateTime, utcnow

TABLE = "idempotency_keys"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
"""1 to 255 visible ASCII characters (no spaces, no control characters)."""
LEASE = datetime.timedelta(seconds=60)
"""How long a claim whose request never finished blocks its key (a crashed holder)."""
CLEANUP_BATCH = 100
"""Expired keys of the owner deleted by each claim: bounded, so no claim does much work."""
REPLAYED = "Idempotent-Replayed"
_NOT_REPLAYED = frozenset({"content-length", "content-type"})
"""Response headers not stored: the replay's own Response sets them again."""

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_PATTERN,
        description=(
            "Makes a retried create safe: 1 to 255 visible ASCII characters, unique per "
            "request. A repeat with the same body replays the first answer "
            f"(`{REPLAYED}: true`) and creates nothing."
        ),
    ),
]
"""The header a create route takes when the spec turns `api.idempotency` on."""

IDEMPOTENT_CREATE_ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            "Location": {"description": "The new row's URL.", "schema": {"type": "string"}},
            REPLAYED: {
                "description": "`true` when this answer replays an earlier request's.",
                "schema": {"type": "string", "enum": ["true"]},
            },
        }
    },
    409: {
        "model": ErrorBody,
        "description": "`conflict`: a unique value is taken, or the first request with this "
        "Idempotency-Key is still running (retry shortly)",
    },
    422: {
        "model": ErrorBody,
        "description": "`validation_error`: the request is not valid; "
        "`idempotency_key_reused`: this Idempotency-Key was sent with another request",
    },
}
"""What `Idempotency-Key` adds to a create's documented answers, over the route's errors."""
IDEMPOTENT_CREATE_RESPONSES = {**ERROR_RESPONSES, **IDEMPOTENT_CREATE_ANSWERS}
"""The documented answers of a create route that takes `Idempotency-Key`."""


class IdempotencyKeyReused(HTTPException):
    """422 `idempotency_key_reused`: the key was first sent with another request."""

    code: ClassVar[str] = "idempotency_key_reused"
    details: ClassVar[list[dict[str, Any]]] = [
        {
            "loc": ["header", "Idempotency-Key"],
            "message": "first sent with another body or to another collection",
            "type": "idempotency_key_reused",
        }
    ]

    def __init__(self) -> None:
        super().__init__(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="this Idempotency-Key was already used with another request; "
            "send a new key for a new request",
        )


def key_still_running() -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        detail="a request with this Idempotency-Key is still running; retry shortly",
        headers={"Retry-After": "1"},
    )


def idempotency_table(metadata: sa.MetaData, *, owner_length: int) -> sa.Table:
    """The key table: one row per (owner, key), `status` NULL while its request runs."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("owner", sa.String(owner_length), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("lease_token", sa.String(32), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Index(None, "owner", "expires_at"),
    )


def request_fingerprint(scope: str, body: bytes) -> str:
    """SHA-256 of the resource and the body as canonical JSON: key order and spacing aside."""
    try:
        value: Any = json.loads(body) if body else None
    except ValueError:  # not reached: the route has parsed the body already
        value = body.decode("latin-1")
    canonical = json.dumps([scope, value], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _bind(name: str) -> sa.BindParameter[Any]:
    """A bind parameter named `name__`: no column name holds "__", so none clashes with one
    that an INSERT or UPDATE binds by the column's own name."""
    return sa.bindparam(f"{name}__")


def _params(**values: Any) -> dict[str, Any]:
    """The values of `_bind` parameters, by their plain names."""
    return {f"{name}__": value for name, value in values.items()}


Create = Callable[[AsyncConnection], Awaitable[Response]]
"""Writes the row on the connection given (inside a transaction) and returns the 201."""

_ISOLATION = {"postgresql": "READ COMMITTED", "sqlite": "SERIALIZABLE"}


def _insert(dialect: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT with the dialect's ON CONFLICT: PostgreSQL's and SQLite's share one syntax."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


class IdempotentCreates:
    """The statements over the key table for one resource, built once per database kind."""

    def __init__(self, table: sa.Table, *, scope: str, ttl_hours: int) -> None:
        self.table = table
        self.scope = scope
        self.ttl = datetime.timedelta(hours=ttl_hours)
        c = table.c
        mine = (c.owner == _bind("owner"), c.key == _bind("key"))
        self._claims: dict[str, sa.Executable] = {}
        expired = (
            sa.select(c.key)
            .where(c.owner == _bind("owner"), c.expires_at <= _bind("now"))
            .order_by(c.expires_at)
            .limit(CLEANUP_BATCH)
            .scalar_subquery()
        )
        # The outer condition repeats `expires_at`: under READ COMMITTED a row another request
        # has just claimed again (a new expiry) must not be deleted on the subquery's old view.
        self._cleanup = sa.delete(table).where(
            c.owner == _bind("owner"), c.expires_at <= _bind("now"), c.key.in_(expired)
        )
        self._find = sa.select(c.fingerprint, c.status, c.headers, c.body).where(*mine)
        running = (*mine, c.lease_token == _bind("token"), c.status.is_(None))
        self._finish = (
            sa.update(table)
            .where(*running)
            .values(
                status=_bind("status"),
                headers=_bind("headers"),
                body=_bind("body"),
            )
            .returning(c.key)
        )
        self._release = sa.delete(table).where(*running)

    def _claim(self, dialect: str) -> sa.Executable:
        """INSERT the claim; on a key already there, take it over only when it has expired,
        or when it is the same request whose holder's lease ran out. RETURNING gives a row
        exactly when this request holds the claim."""
        found = self._claims.get(dialect)
        if found is None:
            c = self.table.c
            insert = _insert(dialect, self.table).values(
                owner=_bind("owner"),
                key=_bind("key"),
                fingerprint=_bind("fingerprint"),
                lease_token=_bind("token"),
                lease_until=_bind("lease_until"),
                expires_at=_bind("expires_at"),
            )
            now = _bind("now")
            abandoned = sa.and_(
                c.status.is_(None),
                c.lease_until <= now,
                c.fingerprint == insert.excluded.fingerprint,
            )
            found = self._claims[dialect] = insert.on_conflict_do_update(
                index_elements=[c.owner, c.key],
                set_={
                    "fingerprint": insert.excluded.fingerprint,
                    "lease_token": insert.excluded.lease_token,
                    "lease_until": insert.excluded.lease_until,
                    "expires_at": insert.excluded.expires_at,
                    "status": None,
                    "headers": None,
                    "body": None,
                },
                where=sa.or_(c.expires_at <= now, abandoned),
            ).returning(c.key)
        return found

    async def create(
        self, connect: ConnectionFactory, *, owner: str, key: str, body: bytes, create: Create
    ) -> Response:
        """The answer to a create carrying `Idempotency-Key: key`: the first runs `create`."""
        fingerprint = request_fingerprint(self.scope, body)
        token = uuid.uuid4().hex
        async with connect() as conn:
            now = utcnow()
            await conn.execute(self._cleanup, _params(owner=owner, now=now))
            claim = self._claim(conn.dialect.name)
            params = _params(
                owner=owner,
                key=key,
                fingerprint=fingerprint,
                token=token,
                now=now,
                lease_until=now + LEASE,
                expires_at=now + self.ttl,
            )
            # A key found and gone again (its holder failed and released it) is claimed anew.
            for _ in range(3):
                if (await conn.execute(claim, params)).first() is not None:
                    return await self._run(conn, params, create)
                found = (await conn.execute(self._find, params)).first()
                if found is not None:
                    return _earlier_answer(tuple(found), fingerprint)
        raise key_still_running()

    async def _run(self, conn: AsyncConnection, params: dict[str, Any], create: Create) -> Response:
        """Create the row and record its answer in one transaction; release the claim if not."""
        try:
            # The claim ran in AUTOCOMMIT; end SQLAlchemy's bookkeeping of it (no round trip)
            # so that the connection may switch to a real transaction.
            await conn.commit()
            inside = await conn.execution_options(isolation_level=_ISOLATION[conn.dialect.name])
            async with inside.begin():
                response = await create(inside)
                headers = {
                    name: value
                    for name, value in response.headers.items()
                    if name not in _NOT_REPLAYED
                }
                answer = _params(
                    status=response.status_code,
                    headers=json.dumps(headers, separators=(",", ":")),
                    body=bytes(response.body).decode("utf-8"),
                )
                if (await inside.execute(self._finish, {**params, **answer})).first() is None:
                    # The lease ran out and a retry took the key over: this row must not stay.
                    raise key_still_running()
            return response
        except Exception:
            await _release(conn, self._release, params)
            raise


async def _release(conn: AsyncConnection, release: sa.Executable, params: dict[str, Any]) -> None:
    """Free a claim whose request failed; if even that fails, its lease frees it later."""
    try:
        await conn.rollback()
        await conn.execute(release, params)
        await conn.commit()
    except Exception:  # the database is gone; the original error is the one to report
        return


def _earlier_answer(
    found: tuple[str, int | None, str | None, str | None], fingerprint: str
) -> Response:
    """The key is held: replay its answer, or refuse a different request or a running one."""
    stored_fingerprint, status_code, headers, body = found
    if stored_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if status_code is None or headers is None:
        raise key_still_running()
    replayed = {**json.loads(headers), REPLAYED: "true"}
    return Response(
        content=body, status_code=status_code, headers=replayed, media_type="application/json"
    )
