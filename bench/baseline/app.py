"""The Task API written by hand: FastAPI, SQLAlchemy 2.0 async ORM, asyncpg, Pydantic v2.

The usual shape of such an app: an `AsyncSession` per request from a dependency, ORM queries
(`select(Task)`, `session.add`, load-then-modify, `commit`), Pydantic response models built from
the ORM objects, and FastAPI's own validation and serialisation. It serves the contract of
`docs/api-contract.md` for Task (owner-scoped 404s, the error envelope, 422 for bad input,
201 + Location, PUT as a full replace, PATCH of the sent fields only, the `/complete` toggle).

Configuration, read from the same variables as the generated app: `DATABASE_URL`
(postgresql://...), `DB_POOL_SIZE` (10), `DB_MAX_OVERFLOW` (10), `DB_POOL_TIMEOUT` (5 s),
`DB_STATEMENT_TIMEOUT` (5 s), `MAX_BODY_BYTES` (1 MiB), and `DB_POOL_PRE_PING`, which defaults
to SQLAlchemy's own default (off) here: with a session's transaction, SQLAlchemy's asyncpg ping
is BEGIN; `;`; ROLLBACK, three extra round trips per request that few hand-written apps pay.
"""

import datetime
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
)
from sqlalchemy import BigInteger, Boolean, DateTime, String, Text, func, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("baseline")

INT64_MAX = 2**63 - 1
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _async_url(url: str) -> str:
    """`postgresql://` as people write it, with asyncpg as the driver."""
    for scheme in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+asyncpg://" + url.removeprefix(scheme)
    raise SystemExit(f"error: DATABASE_URL must be a postgresql:// URL, got {url!r}")


DATABASE_URL = _async_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench"))
STATEMENT_TIMEOUT = float(os.environ.get("DB_STATEMENT_TIMEOUT", "5"))
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024)))

engine = create_async_engine(
    DATABASE_URL,
    pool_size=int(os.environ.get("DB_POOL_SIZE", "10")),
    max_overflow=int(os.environ.get("DB_MAX_OVERFLOW", "10")),
    pool_timeout=float(os.environ.get("DB_POOL_TIMEOUT", "5")),
    pool_pre_ping=_env_bool("DB_POOL_PRE_PING", False),
    connect_args={
        "command_timeout": STATEMENT_TIMEOUT + 1,
        "server_settings": {"statement_timeout": str(int(STATEMENT_TIMEOUT * 1000))},
    },
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


# --- the table ------------------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class Task(Base):
    """The `tasks` table created by the project's migrations."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200, collation="C"))
    description: Mapped[str | None] = mapped_column(Text(collation="C"))
    completed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# --- request and response bodies -----------------------------------------------------------


def _storable(value: str) -> str:
    """PostgreSQL cannot store NUL characters or lone surrogates: refuse them as 422."""
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("lone surrogate characters are not allowed") from None
    return value


Title = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_storable),
]
Description = Annotated[StrictStr, StringConstraints(max_length=1000), AfterValidator(_storable)]
UNSET: Any = None  # PATCH fields default to "not sent"; an explicit null is still validated


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    completed: StrictBool = False


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title = Field(default=UNSET)
    description: Description | None = Field(default=UNSET)
    completed: StrictBool = Field(default=UNSET)


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed: StrictBool


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TaskPage(BaseModel):
    data: list[TaskRead]
    total_count: int
    has_more: bool
    offset: int
    limit: int


# --- routes ---------------------------------------------------------------------------------

Owner = Annotated[str, Path(min_length=1, max_length=64, pattern="^[A-Za-z0-9_-]+$")]
TaskId = Annotated[int, Path(ge=1, le=INT64_MAX)]
Sort = Literal[
    "id", "-id", "created_at", "-created_at", "updated_at", "-updated_at", "title", "-title"
]
SORT_KEYS = {
    "id": Task.id,
    "created_at": Task.created_at,
    "updated_at": Task.updated_at,
    "title": Task.title,
}


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def check_body_headers(request: Request) -> None:
    """413 for a declared body over the limit, 415 for a body that is not JSON."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_BODY_BYTES:
        raise HTTPException(413, f"the request body is over {MAX_BODY_BYTES} bytes")
    if length and not _is_json(request.headers.get("content-type", "")):
        raise HTTPException(415, "the request body must be JSON (application/json)")


router = APIRouter(prefix="/api/{user_id}/tasks", dependencies=[Depends(check_body_headers)])


def _not_found(task_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"Task {task_id} not found")


async def _load(session: AsyncSession, user_id: str, task_id: int) -> Task:
    """The owner's task, or 404: another owner's row is exactly like a missing one."""
    task = await session.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    if task is None:
        raise _not_found(task_id)
    return task


@router.get("", response_model=TaskPage)
async def list_tasks(
    session: SessionDep,
    user_id: Owner,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    sort: Sort = "-created_at",
    completed: Annotated[bool | None, Query()] = None,
) -> TaskPage:
    conditions = [Task.user_id == user_id]
    if completed is not None:
        conditions.append(Task.completed == completed)
    column = SORT_KEYS[sort.removeprefix("-")]
    order = (column.desc(), Task.id.desc()) if sort.startswith("-") else (column, Task.id)
    total = await session.scalar(select(func.count()).select_from(Task).where(*conditions)) or 0
    tasks = await session.scalars(
        select(Task).where(*conditions).order_by(*order).offset(offset).limit(limit)
    )
    data = [TaskRead.model_validate(task) for task in tasks]
    return TaskPage(
        data=data,
        total_count=total,
        has_more=offset + len(data) < total,
        offset=offset,
        limit=limit,
    )


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED)
async def create_task(
    session: SessionDep, request: Request, response: Response, user_id: Owner, body: TaskCreate
) -> TaskRead:
    now = utcnow()
    task = Task(user_id=user_id, **body.model_dump(), created_at=now, updated_at=now)
    session.add(task)
    await session.commit()
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{task.id}"
    return TaskRead.model_validate(task)


@router.get("/{task_id}", response_model=TaskRead)
async def read_task(session: SessionDep, user_id: Owner, task_id: TaskId) -> TaskRead:
    return TaskRead.model_validate(await _load(session, user_id, task_id))


@router.put("/{task_id}", response_model=TaskRead)
async def replace_task(
    session: SessionDep, user_id: Owner, task_id: TaskId, body: TaskCreate
) -> TaskRead:
    task = await _load(session, user_id, task_id)
    for name, value in body.model_dump().items():
        setattr(task, name, value)
    task.updated_at = utcnow()
    await session.commit()
    return TaskRead.model_validate(task)


@router.patch("/{task_id}", response_model=TaskRead)
async def update_task(
    session: SessionDep, user_id: Owner, task_id: TaskId, body: TaskUpdate
) -> TaskRead:
    task = await _load(session, user_id, task_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(task, name, value)
    task.updated_at = utcnow()
    await session.commit()
    return TaskRead.model_validate(task)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_task(session: SessionDep, user_id: Owner, task_id: TaskId) -> Response:
    task = await _load(session, user_id, task_id)
    await session.delete(task)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{task_id}/complete", response_model=TaskRead)
async def complete_task(
    session: SessionDep,
    user_id: Owner,
    task_id: TaskId,
    body: Annotated[CompleteBody | None, Body()] = None,
) -> TaskRead:
    """No body toggles `completed`; `{"completed": bool}` sets it."""
    task = await _load(session, user_id, task_id)
    task.completed = (not task.completed) if body is None else body.completed
    task.updated_at = utcnow()
    await session.commit()
    return TaskRead.model_validate(task)


# --- the error envelope ---------------------------------------------------------------------

ERROR_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "service_unavailable",
}


def error_response(
    status_code: int,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    code = ERROR_CODES.get(status_code, f"http_{status_code}")
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status_code, headers=headers)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:  # a body FastAPI could not decode is invalid JSON
        details = [{"loc": ["body"], "message": str(error.detail), "type": "json_invalid"}]
        return error_response(422, "the body is not valid JSON", details)
    message = error.detail if isinstance(error.detail, str) else "request failed"
    if error.status_code == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    elif error.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    headers = dict(error.headers) if error.headers else None
    return error_response(error.status_code, message, headers=headers)


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in e.get("loc", ())],
            "message": str(e.get("msg", "invalid value")),
            "type": str(e.get("type", "value_error")),
        }
        for e in error.errors()
    ]
    return error_response(422, "the request is not valid", details)


async def integrity_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, sa_exc.IntegrityError)
    if getattr(error.orig, "sqlstate", None) == "23505":
        return error_response(409, "a row with the same unique value already exists")
    return error_response(422, "the values break a constraint of the table")


async def unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", error)
    return error_response(503, "the database cannot be reached; try again shortly")


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal server error")


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(title="Task API (hand-written baseline)", lifespan=lifespan)
app.include_router(router)
app.add_exception_handler(StarletteHTTPException, http_error)
app.add_exception_handler(RequestValidationError, validation_error)
app.add_exception_handler(sa_exc.IntegrityError, integrity_error)
for _unavailable in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError):
    app.add_exception_handler(_unavailable, unavailable)
app.add_exception_handler(Exception, internal_error)
