"""Every rule of a field, declared once: its types, its constraints and what each becomes.

For each field type and each constraint, this module alone says what the generated Pydantic
annotation is (as source text, and as the live validator the generator checks defaults and
test values with, built from the very module the generated app runs), the column type, the
query-filter type, the line in the docs, and the valid and invalid values the generated tests
send. Pydantic derives the JSON Schema of the OpenAPI document from that annotation. Which
keys a spec may write for each type, and what values they take, is `spec_schema`'s part.

Nothing here imports the generator's pipeline: the pipeline imports this.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

import pydantic

from generator.annotation import Annotation
from generator.runtime import support
from generator.runtime.references import OnDelete as OnDelete

FieldType = Literal[
    "string", "text", "integer", "number", "boolean", "date", "datetime", "uuid", "enum", "ref"
]
FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)
IdType = Literal["integer", "uuid"]
ON_DELETE: tuple[OnDelete, ...] = get_args(OnDelete)

# Bodies of boundary tests must stay under the API's 1 MiB body limit.
MAX_BOUNDARY_LENGTH = 100_000


@dataclass(frozen=True)
class Field:
    """A writable field of a resource, with its constraints resolved (one attribute each)."""

    name: str
    type: FieldType
    description: str | None = None
    nullable: bool = False
    required: bool = True
    has_default: bool = False
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    strip: bool = False
    minimum: int | float | None = None
    maximum: int | float | None = None
    multiple_of: int | float | None = None
    values: tuple[str, ...] = ()
    unique: bool = False
    index: bool = False
    filterable: bool = False
    sortable: bool = False
    to: str | None = None
    """A `ref`'s target resource."""
    on_delete: OnDelete = "restrict"
    """What deleting a `ref`'s target does to the rows pointing at it."""
    target_id: IdType = "integer"
    """The id type of a `ref`'s target, which is the type of the `ref`'s values."""

    @property
    def rule(self) -> TypeRule:
        # A `ref` holds its target's id, so its rules are those of that id type.
        return REF_RULES[self.target_id] if self.type == "ref" else TYPES[self.type]

    @property
    def relation(self) -> str:
        """A `ref`'s relation name: the field's name without `_id` (`project_id` -> `project`)."""
        return self.name.removesuffix("_id")

    @property
    def ordered(self) -> bool:
        """Whether the type has an order, so list filters also take `__gte` / `__lte`."""
        return self.rule.ordered

    @property
    def filter_operators(self) -> tuple[FilterOperator, ...]:
        """The list's comparisons on this field (when it is filterable): `?name=` always,
        and on ordered types the inclusive bounds `?name__gte=` and `?name__lte=`."""
        return ("eq", "gte", "lte") if self.ordered else ("eq",)

    @property
    def filters(self) -> tuple[str, ...]:
        """The list's query parameters on this field (when it is filterable)."""
        return tuple(filter_alias(self.name, op) for op in self.filter_operators)


FilterOperator = Literal["eq", "gte", "lte"]


def filter_alias(name: str, operator: FilterOperator) -> str:
    """A filter's parameter name in the URL: the field's name, with `__gte`/`__lte` for bounds."""
    return name if operator == "eq" else f"{name}__{operator}"


@dataclass(frozen=True)
class Constraint:
    """One constraint key: the `Field` attribute of the same name, and what it becomes."""

    key: str
    keyword: str | None
    """Pydantic's name for it in `StringConstraints` or `Field`; None when it shapes the type."""
    doc: Callable[[Any], str]
    """Its words in the docs' constraints column."""
    flag: bool = False
    """A true/false switch, documented after the limits."""


# In the order the generated annotations write their keywords (strip applies before the
# length checks); the docs list the limits in this order, then the switches.
CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("strip", "strip_whitespace", lambda _: "stripped", flag=True),
    Constraint("min_length", "min_length", lambda value: f"min_length {value}"),
    Constraint("max_length", "max_length", lambda value: f"max_length {value}"),
    Constraint("pattern", "pattern", lambda value: f"pattern {value!r}"),
    Constraint("minimum", "ge", lambda value: f"minimum {value}"),
    Constraint("maximum", "le", lambda value: f"maximum {value}"),
    Constraint("multiple_of", "multiple_of", lambda value: f"multiple_of {value}"),
    Constraint("values", None, lambda values: "one of " + ", ".join(f"`{v}`" for v in values)),
)


def _set(value: Any) -> bool:
    return value is not None and value is not False and value != ()


def constraint_docs(field: Field) -> list[str]:
    """The docs' words for every constraint the field sets: limits first, then switches."""
    found = [(c, getattr(field, c.key)) for c in CONSTRAINTS if _set(getattr(field, c.key))]
    target = [f"the id of a {field.to} of the same owner", f"on delete: {field.on_delete}"]
    return (target if field.type == "ref" else []) + (
        [c.doc(v) for c, v in found if not c.flag] + [c.doc(v) for c, v in found if c.flag]
    )


def _keywords(field: Field, implied: dict[str, Any] | None = None) -> tuple[tuple[str, Any], ...]:
    """Pydantic keywords of the constraints the field sets (or its type implies)."""
    found = []
    for constraint in CONSTRAINTS:
        value = getattr(field, constraint.key)
        if not _set(value):
            value = (implied or {}).get(constraint.key)
        if constraint.keyword is not None and _set(value):
            found.append((constraint.keyword, value))
    return tuple(found)


@functools.cache
def validator(field: Field) -> pydantic.TypeAdapter[Any]:
    """The generated app's validator of one value of the field (without null)."""
    return pydantic.TypeAdapter(field.rule.annotation(field).live())


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


def _text_samples(field: Field, kit: SampleKit) -> Draft:
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


def _integer_samples(field: Field, kit: SampleKit) -> Draft:
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


def _number_samples(field: Field, kit: SampleKit) -> Draft:
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
        # Multiples from the first at or after `start`, rounded clear of binary fractions.
        step, first = field.multiple_of, math.ceil(round(start / field.multiple_of, 9))
        ordered = tuple(round((first + k) * step, 12) for k in range(3))
        invalid.append(Invalid(f"not a multiple of {step}", round((first + 0.5) * step, 12)))
    ordered = tuple(v for v in ordered if high is None or v <= high)
    return Draft(ordered, tuple(boundaries), tuple(invalid))


def _enum_samples(field: Field, kit: SampleKit) -> Draft:
    return Draft(
        ordered=tuple(sorted(field.values)[:3]),
        boundaries=tuple((f"the value {value!r}", value) for value in field.values[:5]),
        invalid=(
            Invalid("a value not in the list", "zz-" + "-".join(field.values)),
            Invalid("a number", 1),
        ),
    )


@dataclass(frozen=True)
class TypeRule:
    """What one field type becomes in generated code, docs and tests."""

    annotation: Callable[[Field], Annotation]
    read_type: str
    """The Python type of a value read back (responses, ORM attributes)."""
    filter_type: str | None
    """The query-parameter annotation of an exact-match filter; None: the value's own."""
    column: Callable[[Field], str]
    samples: Callable[[Field, SampleKit], Draft]
    ordered: bool = False
    """Has an order: `?name__gte=` and `?name__lte=` filter on it, and the docs say so."""
    written_as: str | None = None
    """How a default must be written when it has to be text, for the message when it is not."""
    bad_filter: str | None = None
    """A query-string value the exact-match filter refuses (text filters take any string)."""


_BOOLEANS = Draft((False, True), (), (Invalid("a string", "true"), Invalid("a number", 1)))
_DATES = Draft(
    ordered=("2026-01-01", "2026-01-02", "2026-01-03"),
    invalid=(
        Invalid("an impossible date", "2026-13-45"),
        Invalid("a number", 20260101),
        Invalid("a datetime", "2026-01-01T00:00:00Z"),
    ),
)
_DATETIMES = Draft(
    ordered=("2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"),
    boundaries=(("an offset other than UTC", "2026-01-01T02:00:00+02:00"),),
    invalid=(
        Invalid("a datetime without an offset", "2026-01-01T00:00:00"),
        Invalid("not a datetime", "yesterday"),
        Invalid("a Unix timestamp", 1767225600),
        Invalid("a year that leaves the calendar in UTC", "0001-01-01T00:00:00+01:00"),
    ),
)
_UUIDS = Draft(
    ordered=tuple(f"00000000-0000-4000-8000-{n:012d}" for n in (1, 2, 3)),
    invalid=(Invalid("not a UUID", "not-a-uuid"), Invalid("a number", 1)),
)


def _plain(
    name: str,
    read_type: str,
    column: str,
    draft: Draft,
    *,
    filter_type: str | None = None,
    ordered: bool = False,
    written_as: str | None = None,
    bad_filter: str,
) -> TypeRule:
    """A type without constraints: one annotation, one column type, the same test values."""
    return TypeRule(
        annotation=lambda field: Annotation(name),
        read_type=read_type,
        filter_type=filter_type or name,
        column=lambda field: column,
        samples=lambda field, kit: draft,
        ordered=ordered,
        written_as=written_as,
        bad_filter=bad_filter,
    )


def _text(column: Callable[[Field], str]) -> TypeRule:
    """`string` and `text`: the same rules, but for the column (VARCHAR(max_length) or TEXT)."""
    return TypeRule(
        annotation=lambda field: Annotation(
            "StrictStr", "StringConstraints", _keywords(field), ("StorableText",)
        ),
        read_type="str",
        filter_type="Annotated[str, StorableText]",
        column=column,
        samples=_text_samples,
        written_as="expected a string",
    )


def _numeric(
    read_type: str,
    annotation: Callable[[Field], Annotation],
    *,
    filter_type: str,
    column: str,
    samples: Callable[[Field, SampleKit], Draft],
) -> TypeRule:
    """`integer` and `number`: ordered, bounded by `minimum` and `maximum`."""
    return TypeRule(
        annotation=annotation,
        read_type=read_type,
        filter_type=filter_type,
        column=lambda field: column,
        samples=samples,
        ordered=True,
        bad_filter="not-a-number",
    )


TYPES: dict[FieldType, TypeRule] = {
    "string": _text(lambda field: f"code_point_text({field.max_length})"),
    "text": _text(lambda field: "code_point_text(None)"),
    "integer": _numeric(
        "int",
        lambda field: Annotation(
            "StrictInt",
            "Field",
            _keywords(field, {"minimum": support.INT64_MIN, "maximum": support.INT64_MAX}),
        ),
        filter_type="Annotated[PlainInt, Field(ge=INT64_MIN, le=INT64_MAX)]",
        column="sa.BigInteger()",
        samples=_integer_samples,
    ),
    "number": _numeric(
        "float",
        lambda field: Annotation(
            "float", "Field", (("strict", True), ("allow_inf_nan", False), *_keywords(field))
        ),
        filter_type="Annotated[float, Field(allow_inf_nan=False)]",
        column="sa.Double()",
        samples=_number_samples,
    ),
    "boolean": _plain(
        "StrictBool", "bool", "sa.Boolean()", _BOOLEANS, filter_type="BoolText", bad_filter="maybe"
    ),
    "date": _plain(
        "DateText",
        "datetime.date",
        "sa.Date()",
        _DATES,
        ordered=True,
        written_as='expected a date as "YYYY-MM-DD"',
        bad_filter="2026-13-45",
    ),
    "datetime": _plain(
        "UTCDatetime",
        "datetime.datetime",
        "UTCDateTime()",
        _DATETIMES,
        ordered=True,
        written_as="expected an ISO-8601 datetime with an offset",
        bad_filter="2026-01-01T00:00:00",
    ),
    "uuid": _plain(
        "UUID",
        "UUID",
        "sa.Uuid()",
        _UUIDS,
        written_as="expected a UUID string",
        bad_filter="not-a-uuid",
    ),
    "enum": TypeRule(
        annotation=lambda field: Annotation("Literal", choices=field.values),
        read_type="str",
        filter_type=None,
        column=lambda field: f"code_point_text({max(len(value) for value in field.values)})",
        samples=_enum_samples,
        written_as="expected a string",
        bad_filter="zz-not-a-value",
    ),
}


_ROW_ID_RANGE = (("ge", 1), ("le", support.INT64_MAX))
REF_RULES: dict[IdType, TypeRule] = {
    # Ids are positive BIGINTs: anything else can name no row, so it is refused as a value.
    "integer": TypeRule(
        annotation=lambda field: Annotation("StrictInt", "Field", _ROW_ID_RANGE),
        read_type="int",
        filter_type="Annotated[PlainInt, Field(ge=1, le=INT64_MAX)]",
        column=lambda field: "int64_id()",
        samples=lambda field, kit: Draft(
            invalid=(
                Invalid("zero, which no id is", 0),
                Invalid("a string", "1"),
                Invalid("a fraction", 1.5),
                Invalid("a boolean", True),
            )
        ),
        bad_filter="not-a-number",
    ),
    "uuid": TypeRule(
        annotation=lambda field: Annotation("UUID"),
        read_type="UUID",
        filter_type="UUID",
        column=lambda field: "sa.Uuid()",
        samples=lambda field, kit: Draft(invalid=_UUIDS.invalid),
        bad_filter="not-a-uuid",
    ),
}
"""A `ref`'s rules: its target's id, whose valid values only the database knows (no samples)."""


def filter_type(field: Field) -> str:
    """The query-parameter annotation of an exact-match filter on the field."""
    return field.rule.filter_type or field.rule.annotation(field).source()
