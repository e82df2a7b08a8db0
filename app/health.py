"""Probes for orchestrators: `/healthz` (the process answers) and `/readyz` (the database does)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.db import Database

# Probes are for orchestrators, not API clients: kept out of the OpenAPI document.
router = APIRouter(tags=["health"], include_in_schema=False)


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers",
    responses={503: {"description": "The database cannot be reached"}},
)
async def readyz(request: Request) -> JSONResponse:
    """One `SELECT 1`; errors reach the app's handlers and answer 503 in the error envelope."""
    database: Database = request.app.state.database
    async with database.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return JSONResponse({"status": "ready"})
