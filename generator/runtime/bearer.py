"""The bearer-token check every route of a bearer-jwt spec runs before anything else.

Each resource's `<Name>OwnerParam` depends on `bearer_owner` (the token's owner) and compares
it with the path's owner, so every generated route, and every extension built on the same
parameter, gets the check without code of its own. FastAPI solves a dependency's own
dependencies before its parameters, so a missing or bad token is 401 before the path is even
validated, and a token for another owner is 403 before any connection is taken.

Verification itself (keys, signatures, claims) is the app's: it puts an object with an
`owner_of` method in `app.state.token_verifier`. This module only declares the seam.
"""

from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from generated.support import ERROR_RESPONSES, ErrorBody


class TokenVerifier(Protocol):
    """What the app provides: the owner of a token, or an HTTPException (401 or 503)."""

    async def owner_of(self, token: str | None) -> str: ...


BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A JWT from the issuer; its owner claim must be the path's owner.",
)
"""Declares the scheme in OpenAPI and marks each operation that depends on it."""

BEARER_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid bearer token"},
    403: {"model": ErrorBody, "description": "The token's owner is not the path's owner"},
    **ERROR_RESPONSES,
    503: {"model": ErrorBody, "description": "The token's signing keys cannot be fetched"},
}
"""Documented error answers of every route behind a bearer token."""


async def bearer_owner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> str:
    """The verified owner claim of the request's bearer token."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.owner_of(credentials.credentials if credentials else None)


def same_owner(path_owner: str, token_owner: str) -> str:
    """The path's owner when the token is theirs; 403 otherwise, whether or not they have rows."""
    if path_owner != token_owner:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="the bearer token does not belong to this owner"
        )
    return path_owner
