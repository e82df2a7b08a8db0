"""Bearer-token verification for specs with `auth: {type: bearer-jwt}`.

The generated code of such a spec holds the spec's choices (`generated/auth.py`: the owner
claim and the algorithms) and the route dependency (`generated/bearer.py`), which asks the
app's `TokenVerifier` for a token's owner. This package builds that verifier from the
settings; a spec without `auth` generates neither module and gets no verifier.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from app.auth.keyset import KeySet
from app.auth.verifier import HMAC_ALGORITHMS, TokenVerifier
from app.settings import ConfigError, Settings

POLICY_MODULE = "generated.auth"
"""Generated only for a bearer-jwt spec, so its presence is the spec's answer."""


@dataclass(frozen=True)
class BearerPolicy:
    """What the spec says about tokens: which claim names the owner, which algorithms sign."""

    owner_claim: str
    algorithms: tuple[str, ...]


def spec_policy() -> BearerPolicy | None:
    """The generated spec's bearer policy, or None when its owner is the path alone."""
    try:
        module = importlib.import_module(POLICY_MODULE)
    except ModuleNotFoundError as error:
        if error.name != POLICY_MODULE:
            raise
        return None
    return BearerPolicy(str(module.OWNER_CLAIM), tuple(str(a) for a in module.ALGORITHMS))


def build_verifier(settings: Settings, policy: BearerPolicy) -> TokenVerifier:
    """The verifier the routes use; refuses to build one with no source of keys at all."""
    if settings.auth_jwks_url is None and settings.auth_secret is None:
        raise ConfigError(
            "the spec's auth is bearer-jwt, so AUTH_JWKS_URL (the issuer's public keys) or "
            "AUTH_SECRET (a shared HS256 secret) must be set; the app never serves without checks"
        )
    if not any(_has_key_source(settings, algorithm) for algorithm in policy.algorithms):
        raise ConfigError(
            f"the spec's auth accepts {', '.join(policy.algorithms)}, and none of them can be "
            "verified with what is set: HS256 needs AUTH_SECRET, the others AUTH_JWKS_URL"
        )
    key_set = None
    if settings.auth_jwks_url is not None:
        key_set = KeySet(
            settings.auth_jwks_url, min_refetch_seconds=settings.auth_jwks_min_refetch_seconds
        )
    secret = settings.auth_secret.get_secret_value() if settings.auth_secret else None
    return TokenVerifier(
        algorithms=policy.algorithms,
        owner_claim=policy.owner_claim,
        key_set=key_set,
        secret=secret,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        leeway_seconds=settings.auth_leeway_seconds,
    )


def _has_key_source(settings: Settings, algorithm: str) -> bool:
    if algorithm in HMAC_ALGORITHMS:
        return settings.auth_secret is not None
    return settings.auth_jwks_url is not None
