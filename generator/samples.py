"""Values that satisfy, or break, a field's constraints: the data of the generated tests and docs.

Every value is derived from the spec and checked here against the same validator the generated
schemas use, so a generated test never asserts something about a value that is not what it
claims to be. Where no value can be derived (a pattern too intricate for `pattern_example`),
the tests that would need it are simply not emitted.
"""

from __future__ import annotations

import datetime
import functools
import json
import re._parser as regex_parser  # type: ignore[import-not-found]
import string
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from generator.field_rules import Field, validator
from generator.field_samples import MAX_BOUNDARY_LENGTH, Invalid

_FILLERS = "abcdefghijklmnopqrstuvwxyz"


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
        validator(field).validate_python(json.loads(json.dumps(value)))
    except (ValidationError, ValueError):
        return False
    return True


def normalised(field: Field, value: Any) -> Any:
    """What the API returns for an accepted input value (stripped, in UTC, ...)."""
    return to_json(field, validator(field).validate_python(json.loads(json.dumps(value))))


@functools.cache
def samples(field: Field) -> FieldSamples:
    """The field's test values: its type's proposals, each checked against the validator."""
    draft = field.rule.samples(field, _Kit(field))
    ordered = tuple(value for value in draft.ordered if is_valid(field, value))
    boundaries = tuple(
        (label, value) for label, value in draft.boundaries if is_valid(field, value)
    )
    invalid = tuple(case for case in draft.invalid if not is_valid(field, case.value))
    if not field.nullable:
        invalid += (Invalid("null", None),)
    default = to_json(field, field.default) if field.has_default else None
    return FieldSamples(ordered, boundaries, invalid, default)


@dataclass(frozen=True)
class _Kit:
    """Derives valid strings for the sample rules of one field, from its pattern if it has one."""

    field: Field

    def valid(self, value: Any) -> bool:
        return is_valid(self.field, value)

    def texts(self, words: tuple[str, ...], low: int, high: int | None) -> tuple[str, ...]:
        found: list[str] = []
        if low > MAX_BOUNDARY_LENGTH:  # no request under the body limit could carry one
            return ()
        if self.field.pattern is None:
            for word in words:
                plain = word if low <= len(word) else word + "x" * (low - len(word))
                if high is not None and len(plain) > high:
                    plain = word[0] + "x" * max(low - 1, 0)
                if high is None or len(plain) <= high:
                    found.append(plain)
        else:
            for extra in range(0, 6):
                for choice in range(0, 3):
                    derived = pattern_example(self.field.pattern, extra=extra, choice=choice)
                    if derived is not None and derived not in found and self.valid(derived):
                        found.append(derived)
        return tuple(sorted({value for value in found if self.valid(value)}))[:3]

    def of_length(self, length: int) -> str | None:
        if self.field.pattern is None:
            plain = "m" * length
            return plain if self.valid(plain) else None
        for extra in range(0, min(length, 64) + 1):
            derived = pattern_example(self.field.pattern, extra=extra, choice=0)
            if derived is not None and len(derived) == length and self.valid(derived):
                return derived
        return None


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


# A character of each regex category, tried most specific first (NOT_DIGIT before DIGIT).
_CATEGORY_CHARS = (
    ("NOT_DIGIT", "abc"),
    ("DIGIT", "123"),
    ("NOT_WORD", "-"),
    ("WORD", "abc"),
    ("NOT_SPACE", "abc"),
    ("SPACE", " "),
)


def _category_char(category: str, choice: int) -> str:
    for suffix, chars in _CATEGORY_CHARS:
        if category.endswith(suffix):
            return chars[choice % len(chars)]
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
