"""Start-up rules of a bearer-jwt spec: no key source, no app; secrets never echoed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from app.auth import BearerPolicy, build_verifier
from app.settings import ConfigError, Settings, load_settings

POLICY = BearerPolicy("sub", ("EdDSA", "ES256", "RS256"))


def test_a_bearer_spec_without_a_key_source_refuses_to_start_naming_both() -> None:
    with pytest.raises(ConfigError) as refused:
        build_verifier(Settings(), POLICY)
    assert "AUTH_JWKS_URL" in str(refused.value) and "AUTH_SECRET" in str(refused.value)


def test_a_secret_alone_for_a_spec_without_hs256_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="HS256 needs AUTH_SECRET"):
        build_verifier(Settings(auth_secret=SecretStr("s" * 32)), POLICY)


def test_an_unreachable_key_set_url_does_not_stop_the_start() -> None:
    verifier = build_verifier(Settings(auth_jwks_url="http://127.0.0.1:1/jwks"), POLICY)
    assert verifier.key_set is not None and verifier.secret is None


def test_a_short_secret_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_SECRET", "hunter2-too-short")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "AUTH_SECRET" in str(refused.value)
    assert "hunter2" not in str(refused.value)
