"""Hand-written routes layered on the generated ones; regeneration never touches them.

Add a module here with a `build_router(connect) -> APIRouter` and list it below; the
app factory mounts every one under the API prefix, with the same guards as generated routes.
"""

from collections.abc import Callable

from fastapi import APIRouter

from app.extensions import task_complete
from generated.support import ConnectionFactory

EXTENSIONS: tuple[Callable[[ConnectionFactory], APIRouter], ...] = (task_complete.build_router,)
