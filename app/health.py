"""Probes for orchestrators: `/healthz` (the process answers) and `/readyz` (the database does,
with the schema the code needs)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.db import Database
from app.errors import error_response
from app.schema_check import SchemaCheck

logger = logging.getLogger("app.health")

# Probes are for orchestrators, not API clients: kept out of the OpenAPI document.
router = APIRouter(tags=["health"], include_in_schema=False)


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers, with the schema the code needs",
    responses={503: {"description": "The database cannot be reached, or needs migrating"}},
)
async def readyz(request: Request) -> JSONResponse:
    """`SELECT 1` once the schema has been seen to match, else a look at its revision; errors
    reach the app's handlers and answer 503 in the error envelope."""
    database: Database = request.app.state.database
    schema: SchemaCheck = request.app.state.schema_check
    problem = None
    async with database.engine.connect() as conn:
        if schema.confirmed:
            await conn.execute(text("SELECT 1"))
        else:
            problem = await schema.problem(conn)
    if problem is not None:
        logger.warning("not ready: %s", problem)
        return error_response(status.HTTP_503_SERVICE_UNAVAILABLE, problem)
    return JSONResponse({"status": "ready"})
