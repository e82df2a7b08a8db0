"""The key-set cache against a real JWKS server on 127.0.0.1, with a clock the test moves.

These run whatever the spec: the verifier is hand-written app code. What the HTTP API answers
is tested by the generated bearer tests of a bearer-jwt spec (see test_task_spec_with_bearer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.auth.keyset import KeySet, KeySetUnavailable, UnknownKey, parse_key_set
from generator.runtime.auth_helpers import KeySetServer, new_key, unreachable_url

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[KeySetServer]:
    running = KeySetServer([new_key("EdDSA", kid="one").public_jwk()]).start()
    yield running
    running.stop()


async def test_the_set_is_fetched_on_first_need_and_then_served_from_the_cache(
    server: KeySetServer,
) -> None:
    keys = KeySet(server.url, clock=Clock())
    assert server.fetches == 0
    for _ in range(3):
        assert (await keys.key_for("one")).algorithm_name == "EdDSA"
    assert server.fetches == 1


async def test_unknown_kids_refetch_at_most_once_per_interval_failed_or_not(
    server: KeySetServer,
) -> None:
    clock = Clock()
    keys = KeySet(server.url, clock=clock)
    await keys.key_for("one")
    server.keys.append(new_key("ES256", kid="two").public_jwk())
    for _ in range(5):
        with pytest.raises(UnknownKey):
            await keys.key_for("two")
    assert server.fetches == 1
    clock.now += 29.9
    with pytest.raises(UnknownKey):
        await keys.key_for("two")
    clock.now += 0.1
    assert (await keys.key_for("two")).algorithm_name == "ES256"
    assert server.fetches == 2
    server.down = True
    clock.now += 30
    with pytest.raises(KeySetUnavailable):
        await keys.key_for("three")
    server.down = False
    clock.now += 29  # the failed attempt counts: still within its interval
    with pytest.raises(KeySetUnavailable):
        await keys.key_for("three")
    assert server.fetches == 3
    assert (await keys.key_for("one")).algorithm_name == "EdDSA", "cached keys outlive outages"


async def test_concurrent_misses_share_one_fetch(server: KeySetServer) -> None:
    keys = KeySet(server.url, clock=Clock())
    found = await asyncio.gather(*(keys.key_for("one") for _ in range(20)))
    assert {key.key_id for key in found} == {"one"}
    assert server.fetches == 1


async def test_an_unreachable_key_set_is_unavailable_not_unknown() -> None:
    with pytest.raises(KeySetUnavailable):
        await KeySet(unreachable_url(), clock=Clock()).key_for("one")


def test_symmetric_and_unusable_keys_are_never_taken_from_a_key_set() -> None:
    good = new_key("RS256", kid="rsa").public_jwk()
    document = {
        "keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "secret"},
            {"kty": "EC", "kid": "broken"},
            {"kty": [], "kid": "not-a-type"},
            "not a key",
            {**new_key("ES256", kid="enc").public_jwk(), "use": "enc"},
            good,
        ]
    }
    assert list(parse_key_set(document)) == ["rsa"]
    with pytest.raises(ValueError):
        parse_key_set({"no": "keys"})
