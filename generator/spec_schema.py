"""The shape of a spec, declared as Pydantic models: which keys exist and what each one takes.

Every model forbids unknown keys. Each value type refuses a bad value with the words the
spec's user reads (`expected an integer >= 1, got 'lots'`), so `validate` only has to place
each error at the line and column it came from. What needs more than one key at a time (a
default against its field, a path against its owner, names across resources) is `validate`'s.
The models are validated one level at a time (a document, a resource, a field) so that one bad
field does not hide the problems of the others: `resources` and `fields` hold their entries
unchecked, for the next level.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
)
from pydantic import Field as Key
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from generator import naming
from generator.field_rules import FIELD_TYPES, ON_DELETE, FieldType, OnDelete
from generator.model import INT64_MAX, INT64_MIN, OPERATIONS
from generator.problems import describe, did_you_mean

SPEC_VERSION = 1
# Integers past this do not fit a double (DOUBLE PRECISION) and cannot bound a number field.
MAX_FINITE_INT = 2**1023
# PostgreSQL's largest VARCHAR length.
MAX_VARCHAR_LENGTH = 10_485_760
MAX_LIMIT = 1_000_000
# Always server-managed, whatever the owner field is called.
SERVER_MANAGED = ("id", "created_at", "updated_at")


def _refusal(message: str) -> PydanticCustomError:
    """An error whose message is exactly `message` (braces in it are not a template)."""
    return PydanticCustomError("spec", "{message}", {"message": message})


def _checked(check: Callable[[Any], str | None]) -> PlainValidator:
    """A validator that keeps the value when `check` finds nothing wrong with it."""

    def validate(value: Any) -> Any:
        problem = check(value)
        if problem is not None:
            raise _refusal(problem)
        return value

    return PlainValidator(validate)


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {describe(value)}"


def _integer(minimum: int, maximum: int = INT64_MAX) -> PlainValidator:
    def check(value: Any) -> str | None:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if whole and minimum <= value <= maximum:
            return None
        unbounded = maximum == INT64_MAX and not (whole and value > maximum)
        bound = f">= {minimum}" if unbounded else f"from {minimum} to {maximum}"
        return f"expected an integer {bound}, got {describe(value)}"

    return _checked(check)


def _int64(value: Any) -> str | None:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if whole and INT64_MIN <= value <= INT64_MAX:
        return None
    return f"expected a 64-bit integer, got {describe(value)}"


def _finite(value: Any) -> str | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, int) and abs(value) > MAX_FINITE_INT)
        or not math.isfinite(value)
    ):
        return f"expected a finite number, got {describe(value)}"
    return None


def _positive(value: Any) -> str | None:
    if _finite(value) is None and value > 0:
        return None
    return f"expected a finite number > 0, got {describe(value)}"


def has_nul_or_surrogate(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def _text(*, empty: bool) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or (not value and not empty):
            return (
                f"expected {'a string' if empty else 'a non-empty string'}, got {describe(value)}"
            )
        if has_nul_or_surrogate(value):
            return "NUL characters and lone surrogates are not allowed"
        return None

    return check


def _regex(value: Any) -> str | None:
    """Why a value cannot be a pattern, judged by the engine that will run it."""
    problem = _text(empty=False)(value)
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


def _resource_name(value: Any) -> str | None:
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


def _owner_field(value: Any) -> str | None:
    return _text(empty=False)(value) or spec_field_name_problem(value)


def _version(value: Any) -> str | None:
    if value == SPEC_VERSION and not isinstance(value, bool):
        return None
    return f"expected {SPEC_VERSION}, got {describe(value)}"


def _prefix(value: Any) -> str | None:
    if value == "" or (
        isinstance(value, str)
        and value.startswith("/")
        and all(naming.PATH_SEGMENT.match(segment) for segment in value.split("/")[1:])
    ):
        return None
    return f"expected a path like '/api' (or ''), got {describe(value)}"


def _path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("/") or value.endswith("/"):
        return f"expected a path like '/{{user_id}}/tasks', got {describe(value)}"
    for segment in value.split("/")[1:]:
        if not (naming.PLACEHOLDER.match(segment) or naming.PATH_SEGMENT.match(segment)):
            return (
                f"segment {segment!r} of {value!r} is neither plain text "
                "(letters, digits, '.', '_', '~', '-') nor one '{placeholder}'"
            )
    return None


def _table(value: Any) -> str | None:
    return _text(empty=False)(value) or naming.table_name_problem(value)


def _id_type(value: Any) -> str | None:
    if value in ("integer", "uuid"):
        return None
    return f"expected 'integer' or 'uuid', got {describe(value)}"


def _operation(value: Any) -> str | None:
    if value in OPERATIONS:
        return None
    hint = did_you_mean(value, OPERATIONS) if isinstance(value, str) else ""
    return f"unknown operation {describe(value)}; expected one of {', '.join(OPERATIONS)}{hint}"


def _on_delete(value: Any) -> str | None:
    if value in ON_DELETE:
        return None
    hint = did_you_mean(value, ON_DELETE) if isinstance(value, str) else ""
    return f"expected one of {', '.join(ON_DELETE)}, got {describe(value)}{hint}"


def _no_default(value: Any) -> str | None:
    return (
        "a ref takes no default: the row it points at is each owner's own; "
        "make it nullable: true to leave it empty"
    )


def _enum_value(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return (
            f"expected a non-empty string (quote values like yes, no, on, 1), got {describe(value)}"
        )
    return _text(empty=False)(value)


def _non_empty_list(what: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise _refusal(f"expected a non-empty list of {what}, got {describe(value)}")
        return value

    return BeforeValidator(check)


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"expected a mapping, got {describe(value)}"


def _at_least_one(what: str) -> AfterValidator:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise _refusal(f"expected at least one {what}")
        return value

    return AfterValidator(check)


def required(hint: str = "", *, typo_silences: bool = False) -> Any:
    """A required key; `hint` follows "missing required key" in parentheses.

    With `typo_silences`, a misspelling of the key in the same mapping is reported alone.
    """
    return Key(description=hint or None, json_schema_extra={"typo_silences": typo_silences})


Flag = Annotated[bool, _checked(_flag)]
Text = Annotated[str | None, _checked(_text(empty=False))]
AnyText = Annotated[str | None, _checked(_text(empty=True))]
Regex = Annotated[str | None, _checked(_regex)]
Body = Annotated[dict[Any, Any], _checked(_mapping)]
"""A resource's mapping, whose keys `ResourceShape` checks on its own."""


class Shape(BaseModel):
    """A mapping of the spec: unknown keys are refused, and named with a "did you mean"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def spec_keys(cls) -> list[str]:
        return [field.alias or name for name, field in cls.model_fields.items()]

    @classmethod
    def field_by_key(cls, key: str) -> FieldInfo:
        return next(f for name, f in cls.model_fields.items() if (f.alias or name) == key)

    @classmethod
    def unknown_key(cls, key: str) -> str:
        return f"unknown key{did_you_mean(key, cls.spec_keys())}"


class ApiShape(Shape):
    prefix: Annotated[str | None, _checked(_prefix)] = None


class DocumentShape(Shape):
    """One spec file; its resources are checked one by one (`ResourceShape`)."""

    version: Annotated[int, _checked(_version)] = required(f"expected {SPEC_VERSION}")
    api: ApiShape = Key(default_factory=ApiShape)
    resources: Annotated[
        dict[Annotated[str, _checked(_resource_name)], Body],
        _at_least_one("resource"),
    ] = required()


class OwnerShape(Shape):
    field: Annotated[str | None, _checked(_owner_field)] = None
    max_length: Annotated[int | None, _integer(1, MAX_VARCHAR_LENGTH)] = None
    pattern: Regex = None


class ListShape(Shape):
    default_limit: Annotated[int | None, _integer(1, MAX_LIMIT)] = None
    max_limit: Annotated[int | None, _integer(1, MAX_LIMIT)] = None
    default_sort: Text = None


class ResourceShape(Shape):
    """One resource; its fields are checked one by one (`FieldShape`)."""

    description: AnyText = None
    table: Annotated[str | None, _checked(_table)] = None
    path: Annotated[str | None, _checked(_path)] = None
    owner: OwnerShape = Key(default_factory=OwnerShape)
    id_type: Annotated[str, _checked(_id_type)] = Key("integer", alias="id")
    timestamps: Flag = True
    # Each field is checked on its own (`FIELD_SHAPE`), once its name is (with the owner known).
    fields: Annotated[dict[Any, Any], _at_least_one("field")] = required("the writable fields")
    list_settings: ListShape = Key(default_factory=ListShape, alias="list")
    operations: Annotated[
        list[Annotated[str, _checked(_operation)]] | None,
        _non_empty_list(f"operations ({', '.join(OPERATIONS)})"),
    ] = None


class _FieldShape(Shape):
    """The keys of every field type; each subclass adds its type's constraints."""

    type: FieldType
    description: AnyText = None
    nullable: Flag = False
    default: Any = None
    required: Annotated[bool | None, _checked(_flag)] = None
    unique: Flag = False
    index: Flag = False
    filterable: Flag = False
    sortable: Flag = False

    @classmethod
    def unknown_key(cls, key: str) -> str:
        if any(key in shape.spec_keys() for shape in FIELD_SHAPES.values()):
            return f"{key!r} does not apply to {cls.model_fields['type'].default} fields"
        return super().unknown_key(key)


class StringField(_FieldShape):
    type: Literal["string"] = "string"
    min_length: Annotated[int | None, _integer(0, MAX_VARCHAR_LENGTH)] = None
    max_length: Annotated[int, _integer(1, MAX_VARCHAR_LENGTH)] = required(
        "string fields are VARCHAR(max_length); use type: text for unbounded text",
        typo_silences=True,
    )
    pattern: Regex = None
    strip: Flag = False


class TextField(_FieldShape):
    type: Literal["text"] = "text"
    min_length: Annotated[int | None, _integer(0)] = None
    max_length: Annotated[int | None, _integer(1)] = None
    strip: Flag = False


class IntegerField(_FieldShape):
    type: Literal["integer"] = "integer"
    minimum: Annotated[int | None, _checked(_int64)] = None
    maximum: Annotated[int | None, _checked(_int64)] = None
    multiple_of: Annotated[int | None, _integer(1)] = None


class NumberField(_FieldShape):
    type: Literal["number"] = "number"
    minimum: Annotated[float | None, _checked(_finite)] = None
    maximum: Annotated[float | None, _checked(_finite)] = None
    multiple_of: Annotated[float | None, _checked(_positive)] = None


class BooleanField(_FieldShape):
    type: Literal["boolean"] = "boolean"


class DateField(_FieldShape):
    type: Literal["date"] = "date"


class DatetimeField(_FieldShape):
    type: Literal["datetime"] = "datetime"


class UuidField(_FieldShape):
    type: Literal["uuid"] = "uuid"


class EnumField(_FieldShape):
    type: Literal["enum"] = "enum"
    values: Annotated[list[Annotated[str, _checked(_enum_value)]], _non_empty_list("strings")] = (
        required("the list of allowed strings")
    )


class RefField(_FieldShape):
    """A row of the same owner in `to`; which resources exist is `validate`'s to check."""

    type: Literal["ref"] = "ref"
    to: Annotated[str, _checked(_resource_name)] = required("the resource it points at")
    on_delete: Annotated[OnDelete, _checked(_on_delete)] = "restrict"
    default: Annotated[Any, _checked(_no_default)] = None


FieldShape = Annotated[
    StringField
    | TextField
    | IntegerField
    | NumberField
    | BooleanField
    | DateField
    | DatetimeField
    | UuidField
    | EnumField
    | RefField,
    Discriminator("type"),
]
FIELD_SHAPE: TypeAdapter[_FieldShape] = TypeAdapter(FieldShape)
FIELD_SHAPES: dict[str, type[_FieldShape]] = {
    shape.model_fields["type"].default: shape for shape in get_args(get_args(FieldShape)[0])
}
assert tuple(FIELD_SHAPES) == FIELD_TYPES, "one field shape per field type, in the same order"
