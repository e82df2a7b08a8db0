"""Values that satisfy, or break, a field's constraints: the data of the generated tests and docs.

Every value is derived from the spec and checked here against the same validator the generated
schemas use, so a generated test never asserts something about a value that is not what it
claims to be. Where no value can be derived (a pattern too intricate for `pattern_example`),
the tests that would need it are simply not emitted.
"""

from __future__ import annotations

import datetime
import json
import re._parser as regex_parser  # type: ignore[import-not-found]
import string
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from generator.model import INT64_MAX, INT64_MIN, Field
from generator.validate import field_adapter

# Bodies of boundary tests must stay under the API's 1 MiB body limit.
MAX_BOUNDARY_LENGTH = 100_000
_FILLERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Invalid:
    """A value the field must refuse with 422, and why."""

    label: str
    value: Any


@dataclass(frozen=True)
class FieldSamples:
    """JSON-ready values for one field."""

    ordered: tuple[Any, ...]
    """Distinct valid values in the order the database sorts them (1 to 3 of them)."""
    boundaries: tuple[tuple[str, Any], ...]
    """Valid values at the edges of the constraints, with a label."""
    invalid: tuple[Invalid, ...]
    """Values that break exactly one rule of the field."""
    default: Any
    """The JSON form of the field's default, when it has one."""


def to_json(field: Field, value: Any) -> Any:
    """The JSON form of a Python value of the field, as the API returns it."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def is_valid(field: Field, value: Any) -> bool:
    """Whether the generated schema accepts `value` as sent in a JSON body."""
    if isinstance(value, str) and ("\x00" in value):
        return False
    try:
        field_adapter(field).validate_python(json.loads(json.dumps(value)))
    except (ValidationError, ValueError):
        return False
    return True


def normalised(field: Field, value: Any) -> Any:
    """What the API returns for an accepted input value (stripped, in UTC, ...)."""
    return to_json(field, field_adapter(field).validate_python(json.loads(json.dumps(value))))


def samples(field: Field) -> FieldSamples:
    kind = field.type
    found: _Found
    if kind in ("string", "text"):
        found = _text_samples(field)
    elif kind == "integer":
        found = _integer_samples(field)
    elif kind == "number":
        found = _number_samples(field)
    elif kind == "boolean":
        found = ((False, True), (), (Invalid("a string", "true"), Invalid("a number", 1)))
    elif kind == "date":
        found = (
            ("2026-01-01", "2026-01-02", "2026-01-03"),
            (),
            (
                Invalid("an impossible date", "2026-13-45"),
                Invalid("a number", 20260101),
                Invalid("a datetime", "2026-01-01T00:00:00Z"),
            ),
        )
    elif kind == "datetime":
        found = (
            ("2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"),
            (("an offset other than UTC", "2026-01-01T02:00:00+02:00"),),
            (
                Invalid("a datetime without an offset", "2026-01-01T00:00:00"),
                Invalid("not a datetime", "yesterday"),
                Invalid("a Unix timestamp", 1767225600),
                Invalid("a year that leaves the calendar in UTC", "0001-01-01T00:00:00+01:00"),
            ),
        )
    elif kind == "uuid":
        found = (
            tuple(f"00000000-0000-4000-8000-{n:012d}" for n in (1, 2, 3)),
            (),
            (Invalid("not a UUID", "not-a-uuid"), Invalid("a number", 1)),
        )
    else:
        outsider = "zz-" + "-".join(field.values)
        found = (
            tuple(sorted(field.values)[:3]),
            tuple((f"the value {value!r}", value) for value in field.values[:5]),
            (Invalid("a value not in the list", outsider), Invalid("a number", 1)),
        )
    ordered, boundaries, invalid = found
    ordered = tuple(value for value in ordered if is_valid(field, value))
    boundaries = tuple((label, value) for label, value in boundaries if is_valid(field, value))
    invalid = tuple(case for case in invalid if not is_valid(field, case.value))
    if not field.nullable:
        invalid += (Invalid("null", None),)
    default = to_json(field, field.default) if field.has_default else None
    return FieldSamples(ordered, boundaries, invalid, default)


_Found = tuple[tuple[Any, ...], tuple[tuple[str, Any], ...], tuple[Invalid, ...]]


def _text_samples(field: Field) -> _Found:
    low = field.min_length or 0
    high = field.max_length
    candidates = _text_candidates(field, low, high)
    ordered = tuple(sorted(set(candidates)))[:3]
    boundaries: list[tuple[str, Any]] = []
    invalid: list[Invalid] = [Invalid("a number", 123)]
    if high is not None and high <= MAX_BOUNDARY_LENGTH:
        at_max = _of_length(field, high)
        if at_max is not None:
            boundaries.append((f"exactly max_length ({high}) characters", at_max))
            invalid.append(Invalid(f"max_length + 1 ({high + 1}) characters", at_max + at_max[-1]))
    if low > 0:
        at_min = _of_length(field, low)
        if at_min is not None:
            boundaries.append((f"exactly min_length ({low}) characters", at_min))
            invalid.append(Invalid(f"min_length - 1 ({low - 1}) characters", at_min[:-1]))
    if field.strip and ordered:
        boundaries.append(("surrounding whitespace, which is stripped", f"  {ordered[0]}  "))
        if low > 0:
            invalid.append(Invalid("only whitespace", " " * max(low, 1)))
    if field.pattern and ordered:
        for candidate in ("!", " ", "\n", "-", "0", "A", "a", "~~~~"):
            breaker = candidate * max(low, 1)
            if (high is None or len(breaker) <= high) and not is_valid(field, breaker):
                invalid.append(Invalid("a value that does not match the pattern", breaker))
                break
    return ordered, tuple(boundaries), tuple(invalid)


def _text_candidates(field: Field, low: int, high: int | None) -> list[str]:
    found: list[str] = []
    if low > MAX_BOUNDARY_LENGTH:  # no request under the body limit could carry one
        return found
    if field.pattern is None:
        for word in ("alpha", "bravo", "charlie"):
            plain = word if low <= len(word) else word + "x" * (low - len(word))
            if high is not None and len(plain) > high:
                plain = word[0] + "x" * max(low - 1, 0)
            if high is None or len(plain) <= high:
                found.append(plain)
    else:
        for extra in range(0, 6):
            for choice in range(0, 3):
                derived = pattern_example(field.pattern, extra=extra, choice=choice)
                if derived is not None and derived not in found and is_valid(field, derived):
                    found.append(derived)
    return [value for value in found if is_valid(field, value)]


def _of_length(field: Field, length: int) -> str | None:
    """A valid value of exactly `length` characters, when one can be derived."""
    if field.pattern is None:
        plain = "m" * length
        return plain if is_valid(field, plain) else None
    for extra in range(0, min(length, 64) + 1):
        derived = pattern_example(field.pattern, extra=extra, choice=0)
        if derived is not None and len(derived) == length and is_valid(field, derived):
            return derived
    return None


def _integer_samples(field: Field) -> _Found:
    low = field.minimum if field.minimum is not None else INT64_MIN
    high = field.maximum if field.maximum is not None else INT64_MAX
    low, high = int(low), int(high)
    start = min(max(0, low), high)
    ordered = tuple(value for value in (start, start + 1, start + 2) if value <= high)
    boundaries = (("the minimum", low), ("the maximum", high))
    invalid = (
        Invalid("one below the minimum", low - 1),
        Invalid("one above the maximum", high + 1),
        Invalid("a string", "1"),
        Invalid("a fraction", 1.5),
        Invalid("a boolean", True),
    )
    return ordered, boundaries, invalid


def _number_samples(field: Field) -> _Found:
    low, high = field.minimum, field.maximum
    start = 0.5
    if low is not None:
        start = max(start, float(low))
    if high is not None:
        start = min(start, float(high))
    ordered = tuple(v for v in (start, start + 1.0, start + 2.0) if high is None or v <= high)
    boundaries: list[tuple[str, Any]] = []
    invalid: list[Invalid] = [Invalid("a string", "1.5"), Invalid("a boolean", True)]
    if low is not None:
        boundaries.append(("the minimum", low))
        invalid.append(Invalid("one below the minimum", low - 1))
    if high is not None:
        boundaries.append(("the maximum", high))
        invalid.append(Invalid("one above the maximum", high + 1))
    return ordered, tuple(boundaries), tuple(invalid)


def pattern_example(pattern: str, *, extra: int = 0, choice: int = 0) -> str | None:
    """A string `re.search(pattern, ...)` accepts, built from the pattern itself, or None.

    Each repeat is taken `extra` times more than its minimum (within its maximum), and
    `choice` picks among alternatives and character classes, so a few calls give a few
    different strings. Constructs it cannot follow (back-references, look-arounds that
    constrain) yield None or a string the caller's validation then refuses.
    """
    try:
        tree = regex_parser.parse(pattern)
        return _walk(list(tree), extra, choice)
    except Exception:  # a pattern shape this walker does not know: no example
        return None


def _walk(items: list[Any], extra: int, choice: int) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append(_FILLERS[choice % len(_FILLERS)])
        elif name == "IN":
            out.append(_pick_in(arg, choice))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = low + extra
            if high != regex_parser.MAXREPEAT:
                count = min(count, high)
            out.append("".join(_walk(list(sub), extra, choice) for _ in range(count)))
        elif name == "SUBPATTERN":
            out.append(_walk(list(arg[-1]), extra, choice))
        elif name == "ATOMIC_GROUP":
            out.append(_walk(list(arg), extra, choice))
        elif name == "BRANCH":
            branches = arg[1]
            out.append(_walk(list(branches[choice % len(branches)]), extra, choice))
        elif name == "CATEGORY":
            out.append(_category_char(str(arg), choice))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise ValueError(f"unsupported regex construct {name}")
    return "".join(out)


def _category_char(category: str, choice: int) -> str:
    if category.endswith("NOT_DIGIT"):
        return "abc"[choice % 3]
    if category.endswith("DIGIT"):
        return "123"[choice % 3]
    if category.endswith("NOT_WORD"):
        return "-"
    if category.endswith("WORD"):
        return "abc"[choice % 3]
    if category.endswith("NOT_SPACE"):
        return "abc"[choice % 3]
    if category.endswith("SPACE"):
        return " "
    raise ValueError(category)


def _pick_in(items: list[Any], choice: int) -> str:
    negated = any(str(op) == "NEGATE" for op, _ in items)
    allowed: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            low, high = arg
            allowed.extend(chr(c) for c in range(low, min(high, low + 2) + 1))
        elif name == "CATEGORY":
            allowed.append(_category_char(str(arg), choice))
    if negated:
        pool = [c for c in string.ascii_letters + string.digits + "-_" if c not in allowed]
        return pool[choice % len(pool)]
    return allowed[choice % len(allowed)]
