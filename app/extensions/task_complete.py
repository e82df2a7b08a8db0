"""`PATCH /{user_id}/tasks/{id}/complete`: mark a task done, or toggle it.

Built on the generated Task model, path parameters and response schema without editing them.
Like every generated route it is one owner-filtered statement: the toggle is
`SET completed = NOT completed`, so concurrent toggles never lose an update.
"""

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi import Response as FastAPIResponse
from pydantic import BaseModel, ConfigDict, StrictBool
from sqlalchemy import not_

from generated.models.task import Task
from generated.routers.task import (
    ITEM_PATH,
    RESOURCE_NAME,
    UPDATE_OWNED_ROW,
    TaskIdParam,
    TaskOwnerParam,
    owned_row,
)
from generated.schemas.task import TaskRead
from generated.support import (
    ERROR_RESPONSES,
    ConnectionFactory,
    json_response,
    not_found,
    utcnow,
)


class CompleteBody(BaseModel):
    """Optional body: the state to set. Without a body the task is toggled."""

    model_config = ConfigDict(extra="forbid")

    completed: StrictBool


# The generated owner-scoped UPDATE: `owned_row` binds the owner and the id, and every other
# parameter names a column to SET. Toggling adds `completed = NOT completed`, built once.
TOGGLE = UPDATE_OWNED_ROW.values(completed=not_(Task.completed))


def build_router(connect: ConnectionFactory) -> APIRouter:
    """The extension's routes, given the same connection factory as the generated ones."""
    router = APIRouter(tags=[RESOURCE_NAME])

    @router.patch(
        f"{ITEM_PATH}/complete",
        response_model=TaskRead,
        operation_id="complete_task",
        summary="Complete or toggle one Task",
        description=(
            'Without a body, toggles `completed`; with `{"completed": true|false}`, sets it. '
            "Another owner's task answers 404 like a missing one."
        ),
        responses=ERROR_RESPONSES,
    )
    async def complete_task(
        owner: TaskOwnerParam,
        row_id: TaskIdParam,
        body: Annotated[CompleteBody | None, Body()] = None,
    ) -> FastAPIResponse:
        params = {**owned_row(owner, row_id), "updated_at": utcnow()}
        if body is None:
            statement = TOGGLE
        else:
            statement = UPDATE_OWNED_ROW
            params["completed"] = body.completed
        async with connect() as conn:
            row = (await conn.execute(statement, params)).first()
            await conn.commit()
        if row is None:
            raise not_found(RESOURCE_NAME, row_id)
        return json_response(TaskRead.model_construct(**row._mapping))

    return router
