"""Hand-written routes layered on the generated ones; regeneration never touches them.

Add a module here with a `build_router(connect, prefix="") -> APIRouter` and list it below;
the app factory serves every one under the API prefix (`APIRouter(prefix=prefix)`), with the
same guards as generated routes. A `build_router(connect)` without `prefix` works too: its
router is included under the prefix, which costs a little more per request.
"""

from collections.abc import Callable

from fastapi import APIRouter

from app.extensions import task_complete

EXTENSIONS: tuple[Callable[..., APIRouter], ...] = (task_complete.build_router,)
