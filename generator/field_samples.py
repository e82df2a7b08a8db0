"""The values each field type proposes for the generated tests: valid, at the edges, invalid.

Part of the field rules (`field_rules.TYPES` names one drafting function or constant per type);
kept apart because drafting values is its own job. `samples` checks every drafted value against
the field's live validator before a test uses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from generator.runtime import support

if TYPE_CHECKING:
    from generator.field_rules import Field

# Bodies of boundary tests must stay under the API's 1 MiB body limit.
MAX_BOUNDARY_LENGTH = 100_000


@dataclass(frozen=True)
class Invalid:
    """A value the field must refuse with 422, and why."""

    label: str
    value: Any


@dataclass(frozen=True)
class Draft:
    """Values a type proposes for the tests, before each is checked against the field."""

    ordered: tuple[Any, ...] = ()
    """Distinct valid values in the order the database sorts them (1 to 3 of them)."""
    boundaries: tuple[tuple[str, Any], ...] = ()
    """Valid values at the edges of the constraints, with a label."""
    invalid: tuple[Invalid, ...] = ()
    """Values that break exactly one rule of the field."""


class SampleKit(Protocol):
    """What the sample rules ask of `samples`, which validates and derives the values."""

    def valid(self, value: Any) -> bool: ...

    def texts(self, words: tuple[str, ...], low: int, high: int | None) -> tuple[str, ...]:
        """Up to three distinct valid strings, sorted: `words` fitted, or from the pattern."""
        ...

    def of_length(self, length: int) -> str | None:
        """A valid string of exactly `length` characters, when one can be derived."""
        ...


def text_samples(field: Field, kit: SampleKit) -> Draft:
    low, high = field.min_length or 0, field.max_length
    ordered = kit.texts(("alpha", "bravo", "charlie"), low, high)
    boundaries: list[tuple[str, Any]] = []
    invalid: list[Invalid] = [Invalid("a number", 123)]
    if high is not None and high <= MAX_BOUNDARY_LENGTH:
        at_max = kit.of_length(high)
        if at_max is not None:
            boundaries.append((f"exactly max_length ({high}) characters", at_max))
            invalid.append(Invalid(f"max_length + 1 ({high + 1}) characters", at_max + at_max[-1]))
    if low > 0:
        at_min = kit.of_length(low)
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
            if (high is None or len(breaker) <= high) and not kit.valid(breaker):
                invalid.append(Invalid("a value that does not match the pattern", breaker))
                break
    return Draft(ordered, tuple(boundaries), tuple(invalid))


def integer_samples(field: Field, kit: SampleKit) -> Draft:
    low = int(field.minimum) if field.minimum is not None else support.INT64_MIN
    high = int(field.maximum) if field.maximum is not None else support.INT64_MAX
    step = int(field.multiple_of or 1)
    # The first multiple from 0 (or the minimum), unless the maximum comes before it.
    start = min(-(-max(0, low) // step) * step, high // step * step)
    invalid = [
        Invalid("one below the minimum", low - 1),
        Invalid("one above the maximum", high + 1),
        Invalid("a string", "1"),
        Invalid("a fraction", 1.5),
        Invalid("a boolean", True),
    ]
    if step > 1:
        near = start + 1 if start < high else start - 1
        invalid.append(Invalid(f"not a multiple of {step}", near))
    return Draft(
        ordered=tuple(v for v in (start, start + step, start + 2 * step) if low <= v <= high),
        boundaries=(("the minimum", low), ("the maximum", high)),
        invalid=tuple(invalid),
    )


def number_samples(field: Field, kit: SampleKit) -> Draft:
    low, high = field.minimum, field.maximum
    start = 0.5
    if low is not None:
        start = max(start, float(low))
    if high is not None:
        start = min(start, float(high))
    boundaries: list[tuple[str, Any]] = []
    invalid: list[Invalid] = [Invalid("a string", "1.5"), Invalid("a boolean", True)]
    if low is not None:
        boundaries.append(("the minimum", low))
        invalid.append(Invalid("one below the minimum", low - 1))
    if high is not None:
        boundaries.append(("the maximum", high))
        invalid.append(Invalid("one above the maximum", high + 1))
    ordered: tuple[float, ...] = (start, start + 1.0, start + 2.0)
    if field.multiple_of is not None:
        step, quotient = field.multiple_of, start / field.multiple_of
        if math.isfinite(quotient) and abs(quotient) < 2**53:
            # Multiples from the first at or after `start`, rounded clear of binary fractions.
            first = math.ceil(round(quotient, 9))
            ordered = tuple(round((first + k) * step, 12) for k in range(3))
            invalid.append(Invalid(f"not a multiple of {step}", round((first + 0.5) * step, 12)))
        else:
            # A step too fine for floats to tell its multiples apart near the field's range:
            # no value can be proposed as a known multiple.
            ordered = ()
    ordered = tuple(v for v in ordered if high is None or v <= high)
    return Draft(ordered, tuple(boundaries), tuple(invalid))


def enum_samples(field: Field, kit: SampleKit) -> Draft:
    return Draft(
        ordered=tuple(sorted(field.values)[:3]),
        boundaries=tuple((f"the value {value!r}", value) for value in field.values[:5]),
        invalid=(
            Invalid("a value not in the list", "zz-" + "-".join(field.values)),
            Invalid("a number", 1),
        ),
    )


BOOLEANS = Draft((False, True), (), (Invalid("a string", "true"), Invalid("a number", 1)))
DATES = Draft(
    ordered=("2026-01-01", "2026-01-02", "2026-01-03"),
    invalid=(
        Invalid("an impossible date", "2026-13-45"),
        Invalid("a number", 20260101),
        Invalid("a datetime", "2026-01-01T00:00:00Z"),
    ),
)
DATETIMES = Draft(
    ordered=("2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"),
    boundaries=(("an offset other than UTC", "2026-01-01T02:00:00+02:00"),),
    invalid=(
        Invalid("a datetime without an offset", "2026-01-01T00:00:00"),
        Invalid("not a datetime", "yesterday"),
        Invalid("a Unix timestamp", 1767225600),
        Invalid("a year that leaves the calendar in UTC", "0001-01-01T00:00:00+01:00"),
    ),
)
UUIDS = Draft(
    ordered=tuple(f"00000000-0000-4000-8000-{n:012d}" for n in (1, 2, 3)),
    invalid=(Invalid("not a UUID", "not-a-uuid"), Invalid("a number", 1)),
)
