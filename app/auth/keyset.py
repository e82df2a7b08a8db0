"""The issuer's public keys (a JWKS document), fetched on first need and cached by `kid`.

The key set is fetched with httpx's async client, so a slow issuer never blocks the event
loop (PyJWT's own `PyJWKClient` uses blocking `urllib`). A token naming a `kid` the cache
lacks triggers one refetch, at most once every `min_refetch_seconds` counted from the last
attempt, failed or not: a flood of tokens with made-up `kid`s costs the issuer one request
per interval, not one per token. Concurrent misses share one fetch (single flight).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5.0
"""How long one fetch of the key set may take: a hung issuer costs a request this much."""
MIN_REFETCH_SECONDS = 30.0
ASYMMETRIC_KEY_TYPES = frozenset({"OKP", "EC", "RSA"})
"""Symmetric (`oct`) keys are never taken from a key set: a published secret is no secret."""


class KeySetUnavailable(Exception):
    """The key set could not be fetched and no cached key fits the token (503)."""


class UnknownKey(Exception):
    """The key set was fetched, and still has no key for the token (401)."""


def parse_key_set(document: Any) -> dict[str | None, jwt.PyJWK]:
    """The usable public keys of a JWKS document, by `kid`; keys PyJWT cannot use are skipped.

    A key without a `kid` is filed under None, for tokens that name no `kid` either.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document["keys"]:
        kty = entry.get("kty") if isinstance(entry, dict) else None
        if not isinstance(kty, str) or kty not in ASYMMETRIC_KEY_TYPES:
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError) as error:
            logger.warning("skipping a key of the key set that PyJWT cannot use: %s", error)
            continue
        kid = entry.get("kid")
        keys[kid if isinstance(kid, str) else None] = key
    return keys


@dataclass
class KeySet:
    """The cached keys of one JWKS URL, and when they were last (attempted to be) fetched."""

    url: str
    min_refetch_seconds: float = MIN_REFETCH_SECONDS
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str | None, jwt.PyJWK] = field(default_factory=dict, init=False)
    _last_attempt: float | None = field(default=None, init=False)
    _last_failed: bool = field(default=False, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The key named `kid`, from the cache or from one refetch the interval allows.

        Raises `UnknownKey` when a successfully fetched set lacks it, `KeySetUnavailable`
        when the set could not be fetched (now or at the last attempt, within the interval).
        """
        key = self._cached(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._cached(kid)  # another request may have fetched it meanwhile
            if key is not None:
                return key
            if self._may_fetch():
                await self._fetch()
                key = self._cached(kid)
                if key is not None:
                    return key
        if self._last_failed:
            raise KeySetUnavailable("the key set cannot be fetched")
        raise UnknownKey("no key of the key set fits the token")

    def _cached(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and None not in self._keys and len(self._keys) == 1:
            return next(iter(self._keys.values()))  # a token without kid, a set of one key
        return self._keys.get(kid)

    def _may_fetch(self) -> bool:
        last = self._last_attempt
        return last is None or self.clock() - last >= self.min_refetch_seconds

    async def _fetch(self) -> None:
        """Replace the cache with the set at `url`; on failure keep the old keys."""
        self._last_attempt = self.clock()
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as client:
                response = await client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            keys = parse_key_set(response.json())
        except (httpx.HTTPError, ValueError) as error:
            self._last_failed = True
            logger.warning("fetching the key set from %s failed: %s", self.url, error)
            return
        self._keys = keys
        self._last_failed = False
