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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import pydantic

from generator.annotation import Annotation
from generator.field_samples import (
    BOOLEANS,
    DATES,
    DATETIMES,
    UUIDS,
    Draft,
    Invalid,
    SampleKit,
    enum_samples,
    integer_samples,
    number_samples,
    text_samples,
)
from generator.runtime import support
from generator.runtime.references import OnDelete as OnDelete

FieldType = Literal[
    "string", "text", "integer", "number", "boolean", "date", "datetime", "uuid", "enum", "ref"
]
FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)
IdType = Literal["integer", "uuid"]
ON_DELETE: tuple[OnDelete, ...] = get_args(OnDelete)


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
    floating: bool = False
    """A floating-point type: JSON's NaN and infinities must be refused, and the tests send them."""


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
        samples=text_samples,
        written_as="expected a string",
    )


def _numeric(
    read_type: str,
    annotation: Callable[[Field], Annotation],
    *,
    filter_type: str,
    column: str,
    samples: Callable[[Field, SampleKit], Draft],
    floating: bool = False,
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
        floating=floating,
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
        filter_type="Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX), DecimalDigits]",
        column="sa.BigInteger()",
        samples=integer_samples,
    ),
    "number": _numeric(
        "float",
        lambda field: Annotation(
            "float", "Field", (("strict", True), ("allow_inf_nan", False), *_keywords(field))
        ),
        filter_type="Annotated[float, Field(allow_inf_nan=False)]",
        column="sa.Double()",
        samples=number_samples,
        floating=True,
    ),
    "boolean": _plain(
        "StrictBool", "bool", "sa.Boolean()", BOOLEANS, filter_type="BoolText", bad_filter="maybe"
    ),
    "date": _plain(
        "DateText",
        "datetime.date",
        "sa.Date()",
        DATES,
        ordered=True,
        written_as='expected a date as "YYYY-MM-DD"',
        bad_filter="2026-13-45",
    ),
    "datetime": _plain(
        "UTCDatetime",
        "datetime.datetime",
        "UTCDateTime()",
        DATETIMES,
        ordered=True,
        written_as="expected an ISO-8601 datetime with an offset",
        bad_filter="2026-01-01T00:00:00",
    ),
    "uuid": _plain(
        "UUID",
        "UUID",
        "sa.Uuid()",
        UUIDS,
        written_as="expected a UUID string",
        bad_filter="not-a-uuid",
    ),
    "enum": TypeRule(
        annotation=lambda field: Annotation("Literal", choices=field.values),
        read_type="str",
        filter_type=None,
        column=lambda field: f"code_point_text({max(len(value) for value in field.values)})",
        samples=enum_samples,
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
        filter_type="Annotated[int, Field(ge=1, le=INT64_MAX), DecimalDigits]",
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
        samples=lambda field, kit: Draft(invalid=UUIDS.invalid),
        bad_filter="not-a-uuid",
    ),
}
"""A `ref`'s rules: its target's id, whose valid values only the database knows (no samples)."""


def filter_type(field: Field) -> str:
    """The query-parameter annotation of an exact-match filter on the field."""
    return field.rule.filter_type or field.rule.annotation(field).source()
