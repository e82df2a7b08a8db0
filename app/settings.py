"""Configuration from the environment, checked once at start-up.

Every knob has a safe default, so `make serve` works with no configuration at all; a bad
value stops the app with a message naming the variable instead of failing later in a request.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/app.db"
Pooler = Literal["auto", "none", "pgbouncer"]
LogFormat = Literal["plain", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ConfigError(Exception):
    """The environment holds a setting the app cannot use; the message says which and why."""


class Settings(BaseSettings):
    """Settings read from environment variables of the same name, upper-cased."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy or libpq URL; postgresql://... (Neon's form) or sqlite:///path.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout: float = Field(default=5.0, gt=0, le=300)
    db_pool_pre_ping: bool = Field(
        default=False,
        description=(
            "Ping pooled connections (one round trip) before use. Off by default: connections "
            "the server closed are dropped on checkout without a round trip; turn it on where "
            "connections can die silently (NAT or firewall idle timeouts)."
        ),
    )
    db_connect_timeout: float = Field(default=5.0, gt=0, le=300)
    db_statement_timeout: float = Field(
        default=5.0, gt=0, le=3600, description="Seconds a statement may run (PostgreSQL)."
    )
    db_pooler: Pooler = Field(
        default="auto",
        description=(
            "`pgbouncer` when DATABASE_URL reaches PostgreSQL through PgBouncer in transaction "
            "mode, `none` when it does not; `auto` recognises Neon's `-pooler` host name."
        ),
    )
    db_statement_cache_size: int | None = Field(
        default=None,
        ge=0,
        description=(
            "asyncpg's prepared-statement cache; unset: 100, or 0 behind PgBouncer. PgBouncer "
            "1.21+ with max_prepared_statements can keep it on."
        ),
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1, description="Largest request body.")
    # Bearer tokens (specs with `auth: {type: bearer-jwt}`); unused by a spec without auth.
    auth_jwks_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="The issuer's JWKS URL, e.g. Better Auth's <BETTER_AUTH_URL>/api/auth/jwks.",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="A shared HS256 secret (at least 32 bytes, as RFC 7518 asks of HS256 keys).",
    )
    auth_issuer: str | None = Field(
        default=None, min_length=1, description="When set, tokens must carry this `iss`."
    )
    auth_audience: str | None = Field(
        default=None, min_length=1, description="When set, tokens must carry this `aud`."
    )
    auth_leeway_seconds: float = Field(
        default=30, ge=0, le=3600, description="Clock skew allowed for `exp`, `nbf` and `iat`."
    )
    auth_jwks_min_refetch_seconds: float = Field(
        default=30,
        gt=0,
        le=3600,
        description=(
            "Least time between two fetches of the key set for an unknown `kid`, counted from "
            "the last attempt, failed or not."
        ),
    )

    log_format: LogFormat = Field(
        default="plain", description="`plain` lines for people, `json` lines for log shippers."
    )
    log_level: LogLevel = Field(
        default="INFO", description="The least severe level written; INFO includes access lines."
    )
    metrics: bool = Field(
        default=True, description="Serve Prometheus metrics at /metrics; false answers it 404."
    )

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        """`LOG_FORMAT=JSON` and `LOG_LEVEL=info` mean what they say."""
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()


SECRET_SETTINGS = frozenset({"auth_secret"})
"""Settings whose value an error message must never repeat."""


def _shown(error: Any) -> str:
    """The refused value as the message shows it: a secret's is never repeated."""
    if error["loc"] and error["loc"][0] in SECRET_SETTINGS:
        return "a hidden value"
    return repr(error.get("input"))


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one readable `ConfigError`."""
    try:
        return Settings()
    except ValidationError as error:
        lines = [
            f"  {'.'.join(map(str, e['loc'])).upper()}: {e['msg']} (got {_shown(e)})"
            for e in error.errors()
        ]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
