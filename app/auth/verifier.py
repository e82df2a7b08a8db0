"""From a bearer token to its owner: PyJWT checks the signature and the claims.

The key is chosen by the token's `alg`, and only among the spec's algorithms: HS256 takes
the shared secret alone and every other algorithm a key of the key set alone, so a token
"signed" with HS256 using a public key as the secret never meets that public key (no
algorithm confusion). PyJWT also refuses a JWK whose algorithm is not the token's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import HTTPException, status

from app.auth.keyset import KeySet, KeySetUnavailable, UnknownKey

HMAC_ALGORITHMS = frozenset({"HS256"})
CHALLENGE = "Bearer"
"""`WWW-Authenticate` when no bearer token was sent (RFC 6750, section 3)."""
INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'


def unauthorized(message: str, *, token_sent: bool) -> HTTPException:
    """401 with the RFC 6750 challenge; `invalid_token` only when a token was sent."""
    challenge = INVALID_TOKEN_CHALLENGE if token_sent else CHALLENGE
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": challenge}
    )


def key_set_unavailable() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail="the token's signing keys cannot be fetched right now",
        headers={"Retry-After": "5"},
    )


@dataclass(frozen=True)
class TokenVerifier:
    """Checks tokens for the spec's algorithms and owner claim, with the app's key sources."""

    algorithms: tuple[str, ...]
    owner_claim: str
    key_set: KeySet | None
    secret: str | None
    issuer: str | None
    audience: str | None
    leeway_seconds: float

    async def owner_of(self, token: str | None) -> str:
        """The token's owner claim, or an HTTPException: 401, or 503 when no key can be had."""
        if not token:
            raise unauthorized("a bearer token is required", token_sent=False)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise unauthorized("the bearer token is malformed", token_sent=True) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise unauthorized("the token's algorithm is not accepted", token_sent=True)
        key = await self._key(algorithm, header.get("kid"))
        claims = self._decode(token, key, algorithm)
        owner = claims.get(self.owner_claim)
        if not isinstance(owner, str) or not owner:
            raise unauthorized(f"the token has no {self.owner_claim!r} claim", token_sent=True)
        return owner

    async def _key(self, algorithm: str, kid: Any) -> jwt.PyJWK | str:
        if algorithm in HMAC_ALGORITHMS:
            if self.secret is None:
                raise unauthorized("the token's algorithm is not accepted", token_sent=True)
            return self.secret
        if self.key_set is None:
            raise unauthorized("the token's algorithm is not accepted", token_sent=True)
        if kid is not None and not isinstance(kid, str):
            raise unauthorized("the bearer token is malformed", token_sent=True)
        try:
            return await self.key_set.key_for(kid)
        except UnknownKey:
            raise unauthorized("no known key signed the token", token_sent=True) from None
        except KeySetUnavailable:
            raise key_set_unavailable() from None

    def _decode(self, token: str, key: jwt.PyJWK | str, algorithm: str) -> dict[str, Any]:
        # `exp` is required: a token that never expires could never be taken back.
        configured = [
            name for name, value in (("iss", self.issuer), ("aud", self.audience)) if value
        ]
        required = ["exp", *configured]
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={
                    "require": required,
                    "verify_aud": self.audience is not None,
                    "verify_iss": self.issuer is not None,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as error:
            raise unauthorized(_reason(error), token_sent=True) from None


def _reason(error: jwt.PyJWTError) -> str:
    """A short, fixed message per kind of failure: never the token's own text."""
    reasons: Sequence[tuple[type[jwt.PyJWTError], str]] = (
        (jwt.ExpiredSignatureError, "the token has expired"),
        (jwt.ImmatureSignatureError, "the token is not valid yet"),
        (jwt.InvalidIssuerError, "the token's issuer is not accepted"),
        (jwt.InvalidAudienceError, "the token's audience is not accepted"),
        (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
        (jwt.InvalidSignatureError, "the token's signature is not valid"),
    )
    for kind, reason in reasons:
        if isinstance(error, kind):
            return reason
    return "the bearer token is not valid"
