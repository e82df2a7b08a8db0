"""The value checks of the spec's shape: each refuses a bad value in the words its user reads.

`spec_schema` attaches them to the keys of its models (`Annotated[int, checked(positive)]`);
each returns None for a good value, or what was expected and what was found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainValidator, StringConstraints, TypeAdapter
from pydantic_core import PydanticCustomError

from generator import naming
from generator.field_rules import ON_DELETE
from generator.model import CONCURRENCY, INT64_MAX, INT64_MIN, OPERATIONS
from generator.problems import describe, did_you_mean

SPEC_VERSION = 1
# Integers past this do not fit a double (DOUBLE PRECISION) and cannot bound a number field.
MAX_FINITE_INT = 2**1023
# PostgreSQL's largest VARCHAR length.
MAX_VARCHAR_LENGTH = 10_485_760
MAX_LIMIT = 1_000_000
AUTH_TYPES = ("none", "bearer-jwt")
JWT_ALGORITHMS = ("EdDSA", "ES256", "RS256", "HS256")
"""The algorithms a bearer-jwt spec may list: Better Auth's default (EdDSA), the common
asymmetric ones, and HS256 for a shared secret. `none` is never one of them."""
# A JSON object key a claim may have; plain enough to show in docs and error messages.
CLAIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$")
# A year: idempotency keys guard retries, which come within hours, not archives.
MAX_TTL_HOURS = 8760
# Always server-managed, whatever the owner field is called.
SERVER_MANAGED = ("id", "created_at", "updated_at")


def refusal(message: str) -> PydanticCustomError:
    """An error whose message is exactly `message` (braces in it are not a template)."""
    return PydanticCustomError("spec", "{message}", {"message": message})


def checked(check: Callable[[Any], str | None]) -> PlainValidator:
    """A validator that keeps the value when `check` finds nothing wrong with it."""

    def validate(value: Any) -> Any:
        problem = check(value)
        if problem is not None:
            raise refusal(problem)
        return value

    return PlainValidator(validate)


def flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {describe(value)}"


def integer(minimum: int, maximum: int = INT64_MAX) -> PlainValidator:
    def check(value: Any) -> str | None:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if whole and minimum <= value <= maximum:
            return None
        unbounded = maximum == INT64_MAX and not (whole and value > maximum)
        bound = f">= {minimum}" if unbounded else f"from {minimum} to {maximum}"
        return f"expected an integer {bound}, got {describe(value)}"

    return checked(check)


def int64(value: Any) -> str | None:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if whole and INT64_MIN <= value <= INT64_MAX:
        return None
    return f"expected a 64-bit integer, got {describe(value)}"


def finite(value: Any) -> str | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, int) and abs(value) > MAX_FINITE_INT)
        or not math.isfinite(value)
    ):
        return f"expected a finite number, got {describe(value)}"
    return None


def positive(value: Any) -> str | None:
    if finite(value) is None and value > 0:
        return None
    return f"expected a finite number > 0, got {describe(value)}"


def has_nul_or_surrogate(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def text(*, empty: bool) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or (not value and not empty):
            return (
                f"expected {'a string' if empty else 'a non-empty string'}, got {describe(value)}"
            )
        if has_nul_or_surrogate(value):
            return "NUL characters and lone surrogates are not allowed"
        return None

    return check


def regex(value: Any) -> str | None:
    """Why a value cannot be a pattern, judged by the engine that will run it."""
    problem = text(empty=False)(value)
    if problem is not None:
        return problem
    try:
        re.compile(value)
        TypeAdapter(Annotated[str, StringConstraints(pattern=value)])
    except Exception as error:  # re.error, or pydantic's SchemaError for unsupported syntax
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = lines[-1].removeprefix("error: ") if lines else type(error).__name__
        return f"expected a regular expression, got {value!r} ({reason})"
    return None


def resource_name(value: Any) -> str | None:
    if not isinstance(value, str):
        return "resource names must be strings"
    return naming.resource_name_problem(value)


def spec_field_name_problem(name: Any, owner: str | None = None) -> str | None:
    """Why a field, or the owner, cannot be called `name`; `owner` is the resource's owner."""
    if not isinstance(name, str):
        return "field names must be strings"
    found = naming.field_name_problem(name)
    if found is None and name in (*SERVER_MANAGED, owner):
        return f"{name!r} is server-managed; choose another name"
    return found


def owner_field(value: Any) -> str | None:
    return text(empty=False)(value) or spec_field_name_problem(value)


def version(value: Any) -> str | None:
    if value == SPEC_VERSION and not isinstance(value, bool):
        return None
    return f"expected {SPEC_VERSION}, got {describe(value)}"


def prefix(value: Any) -> str | None:
    if value == "" or (
        isinstance(value, str)
        and value.startswith("/")
        and all(naming.PATH_SEGMENT.match(segment) for segment in value.split("/")[1:])
    ):
        return None
    return f"expected a path like '/api' (or ''), got {describe(value)}"


def path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("/") or value.endswith("/"):
        return f"expected a path like '/{{user_id}}/tasks', got {describe(value)}"
    for segment in value.split("/")[1:]:
        if not (naming.PLACEHOLDER.match(segment) or naming.PATH_SEGMENT.match(segment)):
            return (
                f"segment {segment!r} of {value!r} is neither plain text "
                "(letters, digits, '.', '_', '~', '-') nor one '{placeholder}'"
            )
    return None


def table(value: Any) -> str | None:
    return text(empty=False)(value) or naming.table_name_problem(value)


def id_type(value: Any) -> str | None:
    if value in ("integer", "uuid"):
        return None
    return f"expected 'integer' or 'uuid', got {describe(value)}"


def concurrency(value: Any) -> str | None:
    if value in CONCURRENCY:
        return None
    hint = did_you_mean(value, CONCURRENCY) if isinstance(value, str) else ""
    return f"expected one of {', '.join(CONCURRENCY)}, got {describe(value)}{hint}"


def operation(value: Any) -> str | None:
    if value in OPERATIONS:
        return None
    hint = did_you_mean(value, OPERATIONS) if isinstance(value, str) else ""
    return f"unknown operation {describe(value)}; expected one of {', '.join(OPERATIONS)}{hint}"


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    """A check that `value` is one of `choices`, suggesting the nearest for a typo."""

    def check(value: Any) -> str | None:
        if value in choices:
            return None
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        return f"expected one of {', '.join(choices)}, got {describe(value)}{hint}"

    return check


on_delete = one_of(ON_DELETE)


def no_default(value: Any) -> str | None:
    return (
        "a ref takes no default: the row it points at is each owner's own; "
        "make it nullable: true to leave it empty"
    )


def enum_value(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return (
            f"expected a non-empty string (quote values like yes, no, on, 1), got {describe(value)}"
        )
    return text(empty=False)(value)


def non_empty_list(what: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise refusal(f"expected a non-empty list of {what}, got {describe(value)}")
        return value

    return BeforeValidator(check)


def not_null(example: str) -> BeforeValidator:
    """Refuse an explicit null where a mapping is optional: a key left empty by mistake."""

    def check(value: Any) -> Any:
        if value is None:
            raise refusal(f"expected a mapping like {example}, got null")
        return value

    return BeforeValidator(check)


def mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"expected a mapping, got {describe(value)}"


def at_least_one(what: str) -> AfterValidator:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise refusal(f"expected at least one {what}")
        return value

    return AfterValidator(check)


auth_type = one_of(AUTH_TYPES)


def jwt_algorithm(value: Any) -> str | None:
    if value in JWT_ALGORITHMS:
        return None
    if isinstance(value, str) and value.lower() == "none":
        return "'none' is never accepted: every token must be signed"
    hint = did_you_mean(value, JWT_ALGORITHMS) if isinstance(value, str) else ""
    return f"unknown algorithm {describe(value)}; expected {', '.join(JWT_ALGORITHMS)}{hint}"


def claim_name(value: Any) -> str | None:
    if isinstance(value, str) and CLAIM_NAME.match(value):
        return None
    return f"expected a claim name like 'sub', got {describe(value)}"
