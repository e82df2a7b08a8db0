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

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    TypeAdapter,
)
from pydantic import Field as Key
from pydantic.fields import FieldInfo

from generator import spec_values as checks
from generator.field_rules import FIELD_TYPES, FieldType, OnDelete
from generator.model import OPERATIONS
from generator.problems import did_you_mean
from generator.spec_values import MAX_LIMIT, MAX_TTL_HOURS, MAX_VARCHAR_LENGTH, SPEC_VERSION


def required(hint: str = "", *, typo_silences: bool = False) -> Any:
    """A required key; `hint` follows "missing required key" in parentheses.

    With `typo_silences`, a misspelling of the key in the same mapping is reported alone.
    """
    return Key(description=hint or None, json_schema_extra={"typo_silences": typo_silences})


Flag = Annotated[bool, checks.checked(checks.flag)]
Text = Annotated[str | None, checks.checked(checks.text(empty=False))]
AnyText = Annotated[str | None, checks.checked(checks.text(empty=True))]
Regex = Annotated[str | None, checks.checked(checks.regex)]
Body = Annotated[dict[Any, Any], checks.checked(checks.mapping)]
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


class IdempotencyShape(Shape):
    """`api.idempotency`: creates honour an `Idempotency-Key` header; keys live `ttl_hours`."""

    ttl_hours: Annotated[int, checks.integer(1, MAX_TTL_HOURS)] = required(
        "how many hours a key and the answer it got are kept, like 24", typo_silences=True
    )


class ApiShape(Shape):
    prefix: Annotated[str | None, checks.checked(checks.prefix)] = None
    # Absent turns the header off; `idempotency:` left empty is refused, not read as absent.
    idempotency: Annotated[IdempotencyShape | None, checks.not_null("{ttl_hours: 24}")] = None


class AuthShape(Shape):
    """Who the owner is: the path alone (`none`) or a verified bearer token's claim."""

    type: Annotated[str, checks.checked(checks.auth_type)] = "none"
    owner_claim: Annotated[str | None, checks.checked(checks.claim_name)] = None
    algorithms: Annotated[
        list[Annotated[str, checks.checked(checks.jwt_algorithm)]] | None,
        checks.non_empty_list(f"algorithms ({', '.join(checks.JWT_ALGORITHMS)})"),
    ] = None


class DocumentShape(Shape):
    """One spec file; its resources are checked one by one (`ResourceShape`)."""

    version: Annotated[int, checks.checked(checks.version)] = required(f"expected {SPEC_VERSION}")
    api: ApiShape = Key(default_factory=ApiShape)
    auth: AuthShape | None = None
    resources: Annotated[
        dict[Annotated[str, checks.checked(checks.resource_name)], Body],
        checks.at_least_one("resource"),
    ] = required()


class OwnerShape(Shape):
    field: Annotated[str | None, checks.checked(checks.owner_field)] = None
    max_length: Annotated[int | None, checks.integer(1, MAX_VARCHAR_LENGTH)] = None
    pattern: Regex = None


class ListShape(Shape):
    default_limit: Annotated[int | None, checks.integer(1, MAX_LIMIT)] = None
    max_limit: Annotated[int | None, checks.integer(1, MAX_LIMIT)] = None
    default_sort: Text = None


class ResourceShape(Shape):
    """One resource; its fields are checked one by one (`FieldShape`)."""

    description: AnyText = None
    table: Annotated[str | None, checks.checked(checks.table)] = None
    path: Annotated[str | None, checks.checked(checks.path)] = None
    owner: OwnerShape = Key(default_factory=OwnerShape)
    id_type: Annotated[str, checks.checked(checks.id_type)] = Key("integer", alias="id")
    timestamps: Flag = True
    # Each field is checked on its own (`FIELD_SHAPE`), once its name is (with the owner known).
    fields: Annotated[dict[Any, Any], checks.at_least_one("field")] = required(
        "the writable fields"
    )
    list_settings: ListShape = Key(default_factory=ListShape, alias="list")
    operations: Annotated[
        list[Annotated[str, checks.checked(checks.operation)]] | None,
        checks.non_empty_list(f"operations ({', '.join(OPERATIONS)})"),
    ] = None
    concurrency: Annotated[str, checks.checked(checks.concurrency)] = "none"


class _FieldShape(Shape):
    """The keys of every field type; each subclass adds its type's constraints."""

    type: FieldType
    description: AnyText = None
    nullable: Flag = False
    default: Any = None
    required: Annotated[bool | None, checks.checked(checks.flag)] = None
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
    min_length: Annotated[int | None, checks.integer(0, MAX_VARCHAR_LENGTH)] = None
    max_length: Annotated[int, checks.integer(1, MAX_VARCHAR_LENGTH)] = required(
        "string fields are VARCHAR(max_length); use type: text for unbounded text",
        typo_silences=True,
    )
    pattern: Regex = None
    strip: Flag = False


class TextField(_FieldShape):
    type: Literal["text"] = "text"
    min_length: Annotated[int | None, checks.integer(0)] = None
    max_length: Annotated[int | None, checks.integer(1)] = None
    strip: Flag = False


class IntegerField(_FieldShape):
    type: Literal["integer"] = "integer"
    minimum: Annotated[int | None, checks.checked(checks.int64)] = None
    maximum: Annotated[int | None, checks.checked(checks.int64)] = None
    multiple_of: Annotated[int | None, checks.integer(1)] = None


class NumberField(_FieldShape):
    type: Literal["number"] = "number"
    minimum: Annotated[float | None, checks.checked(checks.finite)] = None
    maximum: Annotated[float | None, checks.checked(checks.finite)] = None
    multiple_of: Annotated[float | None, checks.checked(checks.positive)] = None


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
    values: Annotated[
        list[Annotated[str, checks.checked(checks.enum_value)]], checks.non_empty_list("strings")
    ] = required("the list of allowed strings")


class RefField(_FieldShape):
    """A row of the same owner in `to`; which resources exist is `validate`'s to check."""

    type: Literal["ref"] = "ref"
    to: Annotated[str, checks.checked(checks.resource_name)] = required("the resource it points at")
    on_delete: Annotated[OnDelete, checks.checked(checks.on_delete)] = "restrict"
    default: Annotated[Any, checks.checked(checks.no_default)] = None


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
