"""`PATCH /{user_id}/tasks/{id}/complete`: mark a task done, or toggle it.

Built on the generated Task model, path parameters and response schema without editing them.
Like every generated route it is one owner-filtered statement: the toggle is
`SET completed = NOT completed`, so concurrent toggles never lose an update.

Conditional requests come from the generated seam too: `RowGuard` reads from the table whether
Task rows have a version (`concurrency` in the spec). With one, the generated UPDATE moves it,
`If-Match` is checked in the same statement (412 on a stale tag, 428 when required) and the
answer carries the ETag; without one, the route is exactly the unconditional write.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi import Response as FastAPIResponse
from pydantic import BaseModel, ConfigDict, StrictBool
from sqlalchemy import not_

from generated.conditional import EntityTags, RowGuard
from generated.models.task import Task
from generated.routers.task import (
    ITEM_PATH,
    RESOURCE_NAME,
    UPDATE_OWNED_ROW,
    TaskIdParam,
    TaskOwnerParam,
    owned_row,
)
from generated.routing import DirectRoute
from generated.schemas.task import TaskRead
from generated.support import (
    ERROR_RESPONSES,
    ConnectionFactory,
    first_row,
    from_database,
    json_response,
    utcnow,
)


class CompleteBody(BaseModel):
    """Optional body: the state to set. Without a body the task is toggled."""

    model_config = ConfigDict(extra="forbid")

    completed: StrictBool


# The generated owner-scoped UPDATE: `owned_row` binds the owner and the id, and every other
# parameter names a column to SET. Toggling adds `completed = NOT completed`, built once.
TOGGLE = UPDATE_OWNED_ROW.values(completed=not_(Task.completed))
GUARD = RowGuard(UPDATE_OWNED_ROW)
"""Task's conditional-request rules, whatever the spec says (none, optimistic or required)."""
# The same writes, applied only if the row's version is one `If-Match` names.
CHECKED_TOGGLE = GUARD.checked(TOGGLE)
CHECKED_SET = GUARD.checked(UPDATE_OWNED_ROW)


def build_router(connect: ConnectionFactory, prefix: str = "") -> APIRouter:
    """The extension's routes under `prefix`, given the same connection factory as the
    generated ones; like them, served as the app's own routes, parameters solved directly."""
    router = APIRouter(prefix=prefix, tags=[RESOURCE_NAME], route_class=DirectRoute)

    @router.patch(
        f"{ITEM_PATH}/complete",
        response_model=TaskRead,
        operation_id="complete_task",
        summary="Complete or toggle one Task",
        description=(
            'Without a body, toggles `completed`; with `{"completed": true|false}`, sets it. '
            "Another owner's task answers 404 like a missing one."
        ),
        responses={**ERROR_RESPONSES, **GUARD.write_responses},
    )
    async def complete_task(
        owner: TaskOwnerParam,
        row_id: TaskIdParam,
        body: Annotated[CompleteBody | None, Body()] = None,
        tags: Annotated[EntityTags | None, Depends(GUARD.if_match)] = None,
    ) -> FastAPIResponse:
        versions = GUARD.versions(RESOURCE_NAME, tags)
        keys = owned_row(owner, row_id)
        params = {**keys, "updated_at": utcnow(), **GUARD.bind(versions)}
        if body is None:
            statement = TOGGLE if versions is None else CHECKED_TOGGLE
        else:
            statement = UPDATE_OWNED_ROW if versions is None else CHECKED_SET
            params["completed"] = body.completed
        async with connect() as conn:
            row = first_row(await conn.execute(statement, params))
            if row is None:
                raise await GUARD.refusal(
                    conn, keys, versions, resource=RESOURCE_NAME, row_id=row_id
                )
            await conn.commit()
        return json_response(from_database(TaskRead, row), headers=GUARD.etag(row))

    return router
