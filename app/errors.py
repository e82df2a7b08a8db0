"""One error envelope for every 4xx and 5xx, whichever layer the error comes from.

`{"error": {"code", "message", "details"}}`: unknown routes, wrong methods, bad bodies,
database conflicts and outages all answer in this shape. A 500 never carries a stack trace
or SQL text; the exception goes to the log instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from app.metrics import record_database_error
from generated.references import ReferenceInUse, ReferenceNotFound

logger = logging.getLogger("app.errors")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    500: "internal_error",
    503: "service_unavailable",
}

# SQLSTATE 23505 (PostgreSQL) and SQLite's wording for the same thing.
_UNIQUE_MARKERS = ("23505", "unique constraint", "uniqueviolation", "duplicate key")


def error_response(
    status_code: int,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    """The envelope for `status_code`, with the code the contract gives it (or `code`)."""
    code = code or CODES.get(status_code, f"http_{status_code}")
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _json_safe_location(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def validation_details(errors: Any) -> list[dict[str, Any]]:
    """One entry per problem with its location; the offending input is never echoed back."""
    return [
        {
            "loc": _json_safe_location(error.get("loc", ())),
            "message": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]


class AllowedMethods:
    """Which methods each path serves, in the order the router tries the paths.

    A URL belongs to the first path that matches it, as in the router, so a 405 lists that
    path's methods in `Allow`. Starlette names only the first route that matched, and
    FastAPI registers one route per method, so its own `Allow` would list a single method.
    """

    def __init__(self, prefix: str, paths: Iterable[tuple[str, Iterable[str]]]) -> None:
        self._paths = [
            (compile_path(prefix + path)[0], tuple(sorted(methods))) for path, methods in paths
        ]

    def at(self, path: str) -> tuple[str, ...] | None:
        """The methods of the path that answers `path`, or None when no path matches it."""
        for pattern, methods in self._paths:
            if pattern.match(path):
                return methods
        return None


def served_by(routers: Iterable[APIRouter]) -> list[tuple[str, set[str]]]:
    """The paths and methods of hand-written routers, which no generated table lists, below
    the API prefix (a router built with the prefix has it in its routes' paths)."""
    return [
        (route.path.removeprefix(router.prefix), set(route.methods or ()))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
    ]


def _allowed_methods(request: Request) -> str | None:
    table: AllowedMethods | None = getattr(request.app.state, "allowed_methods", None)
    methods = table.at(request.url.path) if table is not None else None
    return ", ".join(methods) if methods else None


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    message = error.detail if isinstance(error.detail, str) else "request failed"
    headers = dict(error.headers) if error.headers else {}
    if error.status_code == 400:
        # FastAPI answers 400 when the JSON decoder fails with anything but JSONDecodeError:
        # bytes that are not UTF-8, nesting too deep to parse, integers too long to convert.
        # For the client that is a body that is not valid JSON, which the contract calls 422.
        detail = {"loc": ["body"], "message": message, "type": "json_invalid"}
        return error_response(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the body is not valid JSON", details=[detail]
        )
    if error.status_code == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    elif error.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    # A status the contract gives several codes raises an exception naming its own, with
    # its details (422 `idempotency_key_reused` of generated/idempotency.py, when the spec
    # turns it on); the app does not import it, since other specs generate no such module.
    code, details = getattr(error, "code", None), getattr(error, "details", None)
    return error_response(
        error.status_code,
        message,
        headers=headers or None,
        code=code if isinstance(code, str) else None,
        details=details if isinstance(details, list) else None,
    )


def _body_not_json(errors: Any) -> bool:
    """FastAPI hands a route the raw bytes when the Content-Type is not JSON (or missing:
    `strict_content_type`), and they then fail validation as the body: that is a 415."""
    return any(e.get("loc") == ("body",) and isinstance(e.get("input"), bytes) for e in errors)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    if _body_not_json(error.errors()):
        message = "the request body must be JSON (application/json)"
        return error_response(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, message)
    details = validation_details(error.errors())
    count = len(details)
    message = "the request is not valid" + (f" ({count} problems)" if count > 1 else "")
    return error_response(status.HTTP_422_UNPROCESSABLE_CONTENT, message, details=details)


def _is_unique_violation(error: sa_exc.IntegrityError) -> bool:
    text = f"{getattr(error.orig, 'sqlstate', '')} {type(error.orig).__name__} {error.orig}"
    return any(marker in text.lower() for marker in _UNIQUE_MARKERS)


async def _integrity_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, sa_exc.IntegrityError)
    if _is_unique_violation(error):
        record_database_error(request, "unique_violation")
        return error_response(
            status.HTTP_409_CONFLICT, "a row with the same unique value already exists"
        )
    record_database_error(request, "integrity")
    logger.warning("integrity error not caught by validation: %s", error.orig)
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT, "the values break a constraint of the table"
    )


async def _reference_not_found(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ReferenceNotFound)
    # The same words for a missing row and another owner's, so no owner learns of another's.
    details = [
        {"loc": ["body", field], "message": "no row of this owner has this id", "type": "reference"}
        for field in error.fields
    ]
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT, "the request is not valid", details=details
    )


async def _reference_in_use(request: Request, error: Exception) -> JSONResponse:
    return error_response(status.HTTP_409_CONFLICT, str(error))


async def _data_error(request: Request, error: Exception) -> JSONResponse:
    record_database_error(request, "data")
    # The driver's own words can quote the value (asyncpg: "invalid input for query
    # argument $1: ..."), so only the kind of error is logged, never what the client sent.
    logger.warning("data error not caught by validation: %s", _described(error))
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT, "a value cannot be stored as given"
    )


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _timed_out(error: Exception) -> bool:
    """The database got the statement but did not answer in time (it may still run it)."""
    if isinstance(error, TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        cause = getattr(error.orig, "__cause__", None)
        return _sqlstate(error) == "57014" or isinstance(cause, TimeoutError)
    return False


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, sa_exc.TimeoutError):
        record_database_error(request, "pool_timeout")
    else:
        record_database_error(request, "timeout" if _timed_out(error) else "unavailable")
    logger.warning("database unavailable: %s: %s", type(error).__name__, error)
    message = "the database cannot be reached; try again shortly"
    if request.method in WRITE_METHODS and _timed_out(error):
        # A statement sent to a database that then hangs can still commit when it resumes;
        # say so, rather than promise that nothing changed.
        message = (
            "the database did not answer in time; the write may still be applied, "
            "so read the row before retrying"
        )
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE, message, headers={"Retry-After": "1"}
    )


# SQLSTATE classes and codes that mean "the database is not available right now":
# 08 connection exceptions, 53 insufficient resources (53300: too many connections),
# 57P01-57P03 shutdown or start-up, 57014 a statement cancelled by its timeout,
# 40001/40P01 serialization failures and deadlocks (retryable).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P0", "57014", "40001", "40P01")


def _sqlstate(error: sa_exc.DBAPIError) -> str:
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return ""


def is_unavailable(error: sa_exc.DBAPIError) -> bool:
    """Whether a database error is an outage or overload (503), not a bug (500)."""
    if error.connection_invalidated:
        return True
    return _sqlstate(error).startswith(_UNAVAILABLE_SQLSTATES)


# A table or column the code uses is missing: PostgreSQL's undefined_table and
# undefined_column, and SQLite's words for the same (it has no SQLSTATE).
_SCHEMA_SQLSTATES = ("42P01", "42703")
_SQLITE_SCHEMA_MARKERS = ("no such table", "no such column", "has no column named")


def is_schema_behind(error: sa_exc.DBAPIError) -> bool:
    """Whether the database lacks a table or column the code uses: a 500 (the deployment is
    wrong, and retrying will not help), never a 503 that sends people looking for an outage."""
    if _sqlstate(error) in _SCHEMA_SQLSTATES:
        return True
    return any(marker in str(error.orig) for marker in _SQLITE_SCHEMA_MARKERS)


def _described(error: Exception) -> str:
    """The error's class and SQLSTATE, without its message."""
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    state = _sqlstate(error) if isinstance(error, sa_exc.DBAPIError) else ""
    return f"{type(orig).__name__}" + (f" (SQLSTATE {state})" if state else "")


async def _schema_behind(request: Request, error: sa_exc.DBAPIError) -> JSONResponse:
    record_database_error(request, "schema")
    schema_check = getattr(request.app.state, "schema_check", None)
    if schema_check is not None:
        schema_check.invalidate()  # the next /readyz looks at the revision again
    logger.error(
        "the database schema does not match the code (%s: %s): run `make migrate`, and "
        "`make migration m=...` first if the spec changed since the last revision",
        type(error.orig).__name__,
        error.orig,
    )
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


async def _operational_error(request: Request, error: Exception) -> JSONResponse:
    """SQLite reports a missing table as an operational error, like a locked or lost file."""
    assert isinstance(error, sa_exc.OperationalError)
    if is_schema_behind(error):
        return await _schema_behind(request, error)
    return await _unavailable(request, error)


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, sa_exc.DBAPIError)
    if is_schema_behind(error):
        return await _schema_behind(request, error)
    if is_unavailable(error):
        return await _unavailable(request, error)
    record_database_error(request, "other")
    return await _internal_error(request, error)


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; the most specific exception class wins."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ReferenceNotFound, _reference_not_found)
    app.add_exception_handler(ReferenceInUse, _reference_in_use)
    app.add_exception_handler(sa_exc.IntegrityError, _integrity_error)
    app.add_exception_handler(sa_exc.DataError, _data_error)
    app.add_exception_handler(sa_exc.OperationalError, _operational_error)
    for unavailable in (
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
        OSError,
        TimeoutError,
    ):
        app.add_exception_handler(unavailable, _unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(Exception, _internal_error)
