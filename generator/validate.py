"""Semantic checks of a parsed spec, building the intermediate model when there are none.

Every user mistake becomes a `Problem` naming the file, line, column and key path, what was
expected and what was found; all of them are collected before anything is reported. Nothing
here raises for a user mistake: an exception out of this module is a bug in the generator.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from pydantic import (
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from generator import naming
from generator.field_rules import FIELD_TYPES, Field, FieldType, validator
from generator.load import Position, SpecDocument, YamlList, YamlMap
from generator.model import (
    INT64_MAX,
    INT64_MIN,
    OPERATIONS,
    IdType,
    ListSettings,
    Operation,
    Owner,
    Resource,
    Spec,
)
from generator.problems import Problem

SPEC_VERSION = 1
DEFAULT_PREFIX = "/api"
DEFAULT_OWNER_FIELD = "user_id"
DEFAULT_OWNER_MAX_LENGTH = 64
DEFAULT_OWNER_PATTERN = "^[A-Za-z0-9_-]+$"
DEFAULT_LIMIT = 20
DEFAULT_MAX_LIMIT = 100
# Integers past this do not fit a double (DOUBLE PRECISION) and cannot bound a number field.
MAX_FINITE_INT = 2**1023
# PostgreSQL's largest VARCHAR length.
MAX_VARCHAR_LENGTH = 10_485_760

TOP_KEYS = ("version", "api", "resources")
API_KEYS = ("prefix",)
RESOURCE_KEYS = (
    "description",
    "table",
    "path",
    "owner",
    "id",
    "timestamps",
    "fields",
    "list",
    "operations",
)
OWNER_KEYS = ("field", "max_length", "pattern")
LIST_KEYS = ("default_limit", "max_limit", "default_sort")
# Query parameters of every list; a filter of the same name could not be told apart.
LIST_PARAMETERS = frozenset({"offset", "limit", "sort"})
COMMON_FIELD_KEYS = (
    "type",
    "description",
    "nullable",
    "default",
    "required",
    "unique",
    "index",
    "filterable",
    "sortable",
)
TYPE_FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "string": ("min_length", "max_length", "pattern", "strip"),
    "text": ("min_length", "max_length", "strip"),
    "integer": ("minimum", "maximum"),
    "number": ("minimum", "maximum"),
    "boolean": (),
    "date": (),
    "datetime": (),
    "uuid": (),
    "enum": ("values",),
}
ALL_FIELD_KEYS = tuple(
    dict.fromkeys(COMMON_FIELD_KEYS + tuple(k for ks in TYPE_FIELD_KEYS.values() for k in ks))
)


class _Missing:
    """Marks a key that the spec does not set (distinct from an explicit `null`)."""


MISSING = _Missing()


def describe(value: Any) -> str:
    """How a found value is quoted in messages, in YAML's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float | int):
        text = repr(value)
        return text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
    if isinstance(value, str):
        return repr(value)
    return f"a YAML {type(value).__name__}"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _has_nul_or_surrogate(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


@dataclass
class _Checker:
    """Collects problems for one spec file, with helpers that read one typed key each."""

    file: str
    source: str = ""
    problems: list[Problem] = field(default_factory=list)

    def report(self, position: Position, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, position.line, position.column, key, message))

    def at(self, mapping: YamlMap, key: str) -> Position:
        """Where a key's value was written, or where its mapping starts when it is missing."""
        return mapping.value_positions.get(key, mapping.position)

    def key_at(self, mapping: YamlMap, key: str) -> Position:
        return mapping.key_positions.get(key, mapping.position)

    def mapping(self, value: Any, position: Position, path: str) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.report(position, path, f"expected a mapping, got {describe(value)}")
        return None

    def unknown_keys(
        self,
        mapping: YamlMap,
        allowed: Sequence[str],
        path: str,
        *,
        elsewhere: Callable[[str], str | None] | None = None,
    ) -> None:
        for key in mapping:
            if key in allowed:
                continue
            where = self.key_at(mapping, key)
            if not isinstance(key, str):
                self.report(where, path, f"keys must be strings, got {describe(key)}")
                continue
            hint = elsewhere(key) if elsewhere else None
            message = hint or f"unknown key{_did_you_mean(key, allowed)}"
            self.report(where, f"{path}.{key}" if path else key, message)

    def boolean(self, mapping: YamlMap, key: str, path: str, default: bool) -> bool:
        value = mapping.get(key, MISSING)
        if value is MISSING:
            return default
        if not isinstance(value, bool):
            self.report(
                self.at(mapping, key),
                f"{path}.{key}",
                f"expected true or false, got {describe(value)}",
            )
            return default
        return value

    def integer(
        self,
        mapping: YamlMap,
        key: str,
        path: str,
        *,
        minimum: int,
        maximum: int = INT64_MAX,
    ) -> int | None:
        value = mapping.get(key, MISSING)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            too_big = isinstance(value, int) and not isinstance(value, bool) and value > maximum
            unbounded = maximum == INT64_MAX and not too_big
            bound = f">= {minimum}" if unbounded else f"from {minimum} to {maximum}"
            self.report(
                self.at(mapping, key),
                f"{path}.{key}",
                f"expected an integer {bound}, got {describe(value)}",
            )
            return None
        return value

    def string(
        self, mapping: YamlMap, key: str, path: str, *, allow_empty: bool = False
    ) -> str | None:
        value = mapping.get(key, MISSING)
        if value is MISSING:
            return None
        if not isinstance(value, str) or (not value and not allow_empty):
            expected = "a string" if allow_empty else "a non-empty string"
            self.report(
                self.at(mapping, key),
                f"{path}.{key}",
                f"expected {expected}, got {describe(value)}",
            )
            return None
        if _has_nul_or_surrogate(value):
            self.report(
                self.at(mapping, key),
                f"{path}.{key}",
                "NUL characters and lone surrogates are not allowed",
            )
            return None
        return value

    def pattern(self, mapping: YamlMap, key: str, path: str) -> str | None:
        value = self.string(mapping, key, path)
        if value is None:
            return None
        problem = _pattern_problem(value)
        if problem:
            self.report(self.at(mapping, key), f"{path}.{key}", problem)
            return None
        return value


def _pattern_problem(pattern: str) -> str | None:
    """Why a regular expression cannot be used, judged by the engine that will run it."""
    try:
        re.compile(pattern)
        TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])
    except Exception as error:  # re.error, or pydantic's SchemaError for unsupported syntax
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = lines[-1].removeprefix("error: ") if lines else type(error).__name__
        return f"expected a regular expression, got {pattern!r} ({reason})"
    return None


def _default_value(spec_field: Field, raw: Any) -> tuple[Any, str | None]:
    """The default as the generated code will hold it, or why it breaks its own field's rules."""
    if raw is None:
        if spec_field.nullable:
            return None, None
        return None, "null is not allowed unless the field is nullable: true"
    if spec_field.type in ("string", "text", "enum") and not isinstance(raw, str):
        return None, f"expected a string, got {describe(raw)}"
    if spec_field.type == "date" and not isinstance(raw, str):
        return None, f'expected a date as "YYYY-MM-DD", got {describe(raw)}'
    if spec_field.type == "datetime" and not isinstance(raw, str):
        return None, f"expected an ISO-8601 datetime with an offset, got {describe(raw)}"
    if spec_field.type == "uuid" and not isinstance(raw, str):
        return None, f"expected a UUID string, got {describe(raw)}"
    if isinstance(raw, str) and _has_nul_or_surrogate(raw):
        return None, "NUL characters and lone surrogates are not allowed"
    if (
        spec_field.type == "date"
        and isinstance(raw, str)
        and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw)
    ):
        return None, f'expected a date as "YYYY-MM-DD", got {describe(raw)}'
    try:
        value = validator(spec_field).validate_python(raw)
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
        return None, f"the default {describe(raw)} breaks the field's own constraints: {reason}"
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC)
    return value, None


class _ResourceChecker:
    """Checks one resource mapping and builds its `Resource`."""

    def __init__(self, checker: _Checker, name: str, body: YamlMap, path: str) -> None:
        self.checker = checker
        self.name = name
        self.body = body
        self.path = path

    def build(self) -> Resource | None:
        check, body, path = self.checker, self.body, self.path
        count_before = len(check.problems)
        check.unknown_keys(body, RESOURCE_KEYS, path)

        description = check.string(body, "description", path, allow_empty=True)
        given_table = check.string(body, "table", path)
        table = given_table or naming.plural(naming.snake_case(self.name))
        if given_table is not None or "table" not in body:
            problem = naming.table_name_problem(table)
            if problem:
                check.report(check.at(body, "table"), f"{path}.table", problem)

        owner = self._owner()
        id_type = self._id_type()
        timestamps = check.boolean(body, "timestamps", path, True)
        fields = self._fields(owner.field if owner else None)
        route = self._path(owner, table)
        operations = self._operations()
        list_settings = self._list_settings(fields, timestamps)

        if len(check.problems) > count_before or owner is None or route is None:
            return None
        assert list_settings is not None and fields is not None
        return Resource(
            name=self.name,
            module=naming.snake_case(self.name),
            description=description,
            table=table,
            path=route,
            owner=owner,
            id_type=id_type,
            timestamps=timestamps,
            fields=tuple(fields),
            list=list_settings,
            operations=operations,
            source=check.source or check.file,
            file=check.file,
        )

    def _owner(self) -> Owner | None:
        check, path = self.checker, f"{self.path}.owner"
        raw = self.body.get("owner", MISSING)
        placeholder = _placeholder_of(self.body.get("path"))
        default_field = placeholder or DEFAULT_OWNER_FIELD
        if raw is MISSING:
            problem = naming.field_name_problem(default_field)
            if problem is None and default_field in ("id", "created_at", "updated_at"):
                problem = f"{default_field!r} is server-managed; choose another owner name"
            if problem:
                check.report(check.at(self.body, "path"), f"{self.path}.path", problem)
                return None
            return Owner(default_field, DEFAULT_OWNER_MAX_LENGTH, DEFAULT_OWNER_PATTERN)
        owner = check.mapping(raw, check.at(self.body, "owner"), path)
        if owner is None:
            return None
        check.unknown_keys(owner, OWNER_KEYS, path)
        field_name = check.string(owner, "field", path) or default_field
        problem = naming.field_name_problem(field_name)
        if problem is None and field_name in ("id", "created_at", "updated_at"):
            problem = f"{field_name!r} is server-managed; choose another name"
        if problem:
            check.report(check.at(owner, "field"), f"{path}.field", problem)
            return None
        max_length = check.integer(owner, "max_length", path, minimum=1, maximum=MAX_VARCHAR_LENGTH)
        pattern = check.pattern(owner, "pattern", path)
        return Owner(
            field=field_name,
            max_length=max_length or DEFAULT_OWNER_MAX_LENGTH,
            pattern=pattern or DEFAULT_OWNER_PATTERN,
        )

    def _id_type(self) -> IdType:
        value = self.body.get("id", "integer")
        if value not in ("integer", "uuid"):
            self.checker.report(
                self.checker.at(self.body, "id"),
                f"{self.path}.id",
                f"expected 'integer' or 'uuid', got {describe(value)}",
            )
            return "integer"
        return cast(IdType, value)

    def _path(self, owner: Owner | None, table: str) -> str | None:
        check, key = self.checker, f"{self.path}.path"
        raw = self.body.get("path", MISSING)
        if raw is MISSING:
            return f"/{{{owner.field}}}/{table}" if owner else None
        where = check.at(self.body, "path")
        if not isinstance(raw, str) or not raw.startswith("/") or raw.endswith("/"):
            check.report(
                where, key, f"expected a path like '/{{user_id}}/tasks', got {describe(raw)}"
            )
            return None
        placeholders = 0
        for segment in raw.split("/")[1:]:
            match = naming.PLACEHOLDER.match(segment)
            if match:
                placeholders += 1
            elif not naming.PATH_SEGMENT.match(segment):
                check.report(
                    where,
                    key,
                    f"segment {segment!r} of {raw!r} is neither plain text "
                    "(letters, digits, '.', '_', '~', '-') nor one '{placeholder}'",
                )
                return None
        if placeholders != 1:
            owner_name = owner.field if owner else DEFAULT_OWNER_FIELD
            check.report(
                where,
                key,
                f"expected the owner placeholder exactly once (like '/{{{owner_name}}}/...'), "
                f"found {placeholders} placeholders in {raw!r}",
            )
            return None
        placeholder = _placeholder_of(raw)
        if owner is not None and placeholder != owner.field:
            fixed = raw.replace(f"{{{placeholder}}}", f"{{{owner.field}}}")
            check.report(
                where,
                key,
                f"the placeholder {{{placeholder}}} must name the owner field "
                f"{owner.field!r} (owner.field is the path parameter); write {fixed!r}",
            )
            return None
        return raw

    def _operations(self) -> tuple[Operation, ...]:
        check, key = self.checker, f"{self.path}.operations"
        raw = self.body.get("operations", MISSING)
        if raw is MISSING:
            return OPERATIONS
        if not isinstance(raw, YamlList) or not raw:
            check.report(
                check.at(self.body, "operations"),
                key,
                f"expected a non-empty list of operations ({', '.join(OPERATIONS)}), "
                f"got {describe(raw)}",
            )
            return OPERATIONS
        chosen: list[Operation] = []
        for item, where in zip(raw, raw.item_positions, strict=True):
            if item not in OPERATIONS:
                hint = _did_you_mean(item, OPERATIONS) if isinstance(item, str) else ""
                check.report(
                    where,
                    key,
                    f"unknown operation {describe(item)}; "
                    f"expected one of {', '.join(OPERATIONS)}{hint}",
                )
            elif item in chosen:
                check.report(where, key, f"operation {item!r} is listed twice")
            else:
                chosen.append(item)
        return tuple(operation for operation in OPERATIONS if operation in chosen)

    def _fields(self, owner_field: str | None) -> list[Field] | None:
        check, path = self.checker, f"{self.path}.fields"
        raw = self.body.get("fields", MISSING)
        if raw is MISSING:
            check.report(
                self.body.position, path, "missing required key 'fields' (the writable fields)"
            )
            return None
        fields_map = check.mapping(raw, check.at(self.body, "fields"), path)
        if fields_map is None:
            return None
        if not fields_map:
            check.report(check.at(self.body, "fields"), path, "expected at least one field")
            return None
        reserved = {"id", "created_at", "updated_at"} | ({owner_field} if owner_field else set())
        fields: list[Field] = []
        for name, body in fields_map.items():
            field_path = f"{path}.{name}"
            name_at = check.key_at(fields_map, name)
            problem = (
                naming.field_name_problem(name)
                if isinstance(name, str)
                else "field names must be strings"
            )
            if problem is None and name in reserved:
                problem = f"{name!r} is server-managed; choose another name"
            if problem:
                check.report(name_at, field_path, problem)
                continue
            field_body = check.mapping(body, check.at(fields_map, name), field_path)
            if field_body is None:
                continue
            built = _FieldChecker(check, name, field_body, field_path).build()
            if built is not None:
                fields.append(built)
        return fields

    def _list_settings(self, fields: list[Field] | None, timestamps: bool) -> ListSettings | None:
        check, path = self.checker, f"{self.path}.list"
        raw = self.body.get("list", MISSING)
        settings = YamlMap()
        settings.position = check.at(self.body, "list")
        settings.key_positions, settings.value_positions = {}, {}
        if raw is not MISSING:
            found = check.mapping(raw, check.at(self.body, "list"), path)
            if found is None:
                return None
            settings = found
        check.unknown_keys(settings, LIST_KEYS, path)
        max_limit = check.integer(settings, "max_limit", path, minimum=1, maximum=1_000_000)
        max_limit = max_limit or DEFAULT_MAX_LIMIT
        default_limit = check.integer(settings, "default_limit", path, minimum=1, maximum=1_000_000)
        if default_limit is None:
            default_limit = min(DEFAULT_LIMIT, max_limit)
        elif default_limit > max_limit:
            check.report(
                check.at(settings, "default_limit"),
                f"{path}.default_limit",
                f"expected at most max_limit ({max_limit}), got {default_limit}",
            )
        sortable = ["id"] + (["created_at", "updated_at"] if timestamps else [])
        sortable += [spec_field.name for spec_field in fields or () if spec_field.sortable]
        default_sort = check.string(settings, "default_sort", path)
        if default_sort is None:
            default_sort = "-created_at" if timestamps else "-id"
        elif fields is not None and default_sort.removeprefix("-") not in sortable:
            check.report(
                check.at(settings, "default_sort"),
                f"{path}.default_sort",
                f"expected a sortable key ({', '.join(sortable)}), optionally with '-', "
                f"got {describe(default_sort)}"
                f"{_did_you_mean(default_sort.removeprefix('-'), sortable)}",
            )
        return ListSettings(default_limit, max_limit, default_sort)


def _placeholder_of(path: Any) -> str | None:
    if not isinstance(path, str):
        return None
    found = [m.group(1) for s in path.split("/") if (m := naming.PLACEHOLDER.match(s))]
    return found[0] if len(found) == 1 else None


class _FieldChecker:
    """Checks one field mapping and builds its `Field`."""

    def __init__(self, checker: _Checker, name: str, body: YamlMap, path: str) -> None:
        self.checker = checker
        self.name = name
        self.body = body
        self.path = path

    def build(self) -> Field | None:
        check, body, path = self.checker, self.body, self.path
        count_before = len(check.problems)
        kind = body.get("type", MISSING)
        if kind is MISSING:
            check.report(
                body.position,
                f"{path}.type",
                f"missing required key 'type'; expected one of {', '.join(FIELD_TYPES)}",
            )
            return None
        if kind not in FIELD_TYPES:
            hint = _did_you_mean(kind, FIELD_TYPES) if isinstance(kind, str) else ""
            check.report(
                check.at(body, "type"),
                f"{path}.type",
                f"unknown type {describe(kind)}; expected one of {', '.join(FIELD_TYPES)}{hint}",
            )
            return None
        field_type = cast(FieldType, kind)
        allowed = COMMON_FIELD_KEYS + TYPE_FIELD_KEYS[field_type]

        def elsewhere(key: str) -> str | None:
            if key in ALL_FIELD_KEYS:
                return f"{key!r} does not apply to {field_type} fields"
            return None

        check.unknown_keys(body, allowed, path, elsewhere=elsewhere)
        description = check.string(body, "description", path, allow_empty=True)
        nullable = check.boolean(body, "nullable", path, False)
        constraints = self._constraints(field_type)
        has_default = "default" in body
        required = check.boolean(body, "required", path, not (nullable or has_default))
        if not required and not (nullable or has_default):
            check.report(
                check.at(body, "required"),
                f"{path}.required",
                "a field that is not required needs a default or nullable: true",
            )
        spec_field = Field(
            name=self.name,
            type=field_type,
            description=description,
            nullable=nullable,
            required=required,
            has_default=has_default,
            unique=check.boolean(body, "unique", path, False),
            index=check.boolean(body, "index", path, False),
            filterable=check.boolean(body, "filterable", path, False),
            sortable=check.boolean(body, "sortable", path, False),
            **constraints,
        )
        if spec_field.filterable and self.name in LIST_PARAMETERS:
            check.report(
                check.at(body, "filterable"),
                f"{path}.filterable",
                f"a filter named {self.name!r} would share ?{self.name}= with paging and "
                "sorting; rename the field to filter on it",
            )
        if len(check.problems) > count_before:
            return None
        if has_default:
            value, problem = _default_value(spec_field, body["default"])
            if problem:
                check.report(check.at(body, "default"), f"{path}.default", problem)
                return None
            spec_field = dataclasses.replace(spec_field, default=value)
        return spec_field

    def _constraints(self, kind: FieldType) -> dict[str, Any]:
        check, body, path = self.checker, self.body, self.path
        found: dict[str, Any] = {}
        if kind in ("string", "text"):
            ceiling = MAX_VARCHAR_LENGTH if kind == "string" else INT64_MAX
            found["min_length"] = check.integer(
                body, "min_length", path, minimum=0, maximum=ceiling
            )
            found["max_length"] = check.integer(
                body, "max_length", path, minimum=1, maximum=ceiling
            )
            found["strip"] = check.boolean(body, "strip", path, False)
            if kind == "string":
                found["pattern"] = check.pattern(body, "pattern", path)
                unknown = [str(k) for k in body if k not in ALL_FIELD_KEYS]
                misspelt = difflib.get_close_matches("max_length", unknown, n=1)
                if "max_length" not in body and not misspelt:
                    check.report(
                        body.position,
                        f"{path}.max_length",
                        "missing required key 'max_length' (string fields are "
                        "VARCHAR(max_length); use type: text for unbounded text)",
                    )
            low, high = found["min_length"], found["max_length"]
            if low is not None and high is not None and low > high:
                check.report(
                    check.at(body, "min_length"),
                    f"{path}.min_length",
                    f"min_length ({low}) is greater than max_length ({high})",
                )
        elif kind in ("integer", "number"):
            for key in ("minimum", "maximum"):
                found[key] = self._bound(key, kind)
            low, high = found["minimum"], found["maximum"]
            if low is not None and high is not None and low > high:
                check.report(
                    check.at(body, "minimum"),
                    f"{path}.minimum",
                    f"minimum ({low}) is greater than maximum ({high})",
                )
        elif kind == "enum":
            found["values"] = self._values()
        return found

    def _bound(self, key: str, kind: FieldType) -> int | float | None:
        value = self.body.get(key, MISSING)
        if value is MISSING:
            return None
        where, key_path = self.checker.at(self.body, key), f"{self.path}.{key}"
        if kind == "integer":
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not INT64_MIN <= value <= INT64_MAX
            ):
                self.checker.report(
                    where, key_path, f"expected a 64-bit integer, got {describe(value)}"
                )
                return None
            return value
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, int) and abs(value) > MAX_FINITE_INT)
            or not math.isfinite(value)
        ):
            self.checker.report(where, key_path, f"expected a finite number, got {describe(value)}")
            return None
        return value

    def _values(self) -> tuple[str, ...]:
        check, body, key_path = self.checker, self.body, f"{self.path}.values"
        raw = body.get("values", MISSING)
        if raw is MISSING:
            check.report(
                body.position,
                key_path,
                "missing required key 'values' (the list of allowed strings)",
            )
            return ()
        if not isinstance(raw, YamlList) or not raw:
            check.report(
                check.at(body, "values"),
                key_path,
                f"expected a non-empty list of strings, got {describe(raw)}",
            )
            return ()
        values: list[str] = []
        for item, where in zip(raw, raw.item_positions, strict=True):
            if not isinstance(item, str) or not item:
                check.report(
                    where,
                    key_path,
                    "expected a non-empty string (quote values like yes, no, on, 1), "
                    f"got {describe(item)}",
                )
            elif _has_nul_or_surrogate(item):
                check.report(where, key_path, "NUL characters and lone surrogates are not allowed")
            elif item in values:
                check.report(where, key_path, f"value {item!r} is listed twice")
            else:
                values.append(item)
        return tuple(values)


def build_spec(
    documents: Sequence[SpecDocument], *, source: str
) -> tuple[Spec | None, list[Problem]]:
    """Check every document and merge them into one `Spec`; problems come back sorted."""
    problems: list[Problem] = []
    resources: list[Resource] = []
    prefixes: list[tuple[str, _Checker, Position]] = []
    for document in documents:
        check = _Checker(document.file, document.source)
        top = document.content
        if not isinstance(top, YamlMap):
            check.report(
                Position(1, 1),
                "",
                "expected a mapping with 'version' and 'resources', "
                f"got {describe(top) if top is not None else 'an empty file'}",
            )
            problems += check.problems
            continue
        check.unknown_keys(top, TOP_KEYS, "")
        _check_version(check, top)
        prefix = _prefix(check, top)
        if prefix is not None:
            prefixes.append((prefix, check, check.at(top, "api")))
        resources += _resources(check, top)
        problems += check.problems
    problems += _cross_checks(resources, prefixes, documents)
    if problems:
        return None, sorted(problems)
    prefix = prefixes[0][0] if prefixes else DEFAULT_PREFIX
    return Spec(prefix=prefix, resources=tuple(resources), source=source), []


def _check_version(check: _Checker, top: YamlMap) -> None:
    if "version" not in top:
        check.report(
            top.position, "version", f"missing required key 'version' (expected {SPEC_VERSION})"
        )
    elif top["version"] != SPEC_VERSION or isinstance(top["version"], bool):
        check.report(
            check.at(top, "version"),
            "version",
            f"expected {SPEC_VERSION}, got {describe(top['version'])}",
        )


def _prefix(check: _Checker, top: YamlMap) -> str | None:
    raw = top.get("api", MISSING)
    if raw is MISSING:
        return None
    api = check.mapping(raw, check.at(top, "api"), "api")
    if api is None:
        return None
    check.unknown_keys(api, API_KEYS, "api")
    prefix = api.get("prefix", MISSING)
    if prefix is MISSING:
        return None
    segments = prefix.split("/")[1:] if isinstance(prefix, str) and prefix.startswith("/") else None
    if prefix == "":
        return ""
    if segments is None or not all(naming.PATH_SEGMENT.match(s) for s in segments):
        check.report(
            check.at(api, "prefix"),
            "api.prefix",
            f"expected a path like '/api' (or ''), got {describe(prefix)}",
        )
        return None
    return str(prefix)


def _resources(check: _Checker, top: YamlMap) -> list[Resource]:
    raw = top.get("resources", MISSING)
    if raw is MISSING:
        check.report(top.position, "resources", "missing required key 'resources'")
        return []
    resources_map = check.mapping(raw, check.at(top, "resources"), "resources")
    if resources_map is None:
        return []
    if not resources_map:
        check.report(check.at(top, "resources"), "resources", "expected at least one resource")
    built: list[Resource] = []
    for name, body in resources_map.items():
        path = f"resources.{name}"
        problem = (
            naming.resource_name_problem(name)
            if isinstance(name, str)
            else "resource names must be strings"
        )
        if problem:
            check.report(check.key_at(resources_map, name), path, problem)
            continue
        resource_body = check.mapping(body, check.at(resources_map, name), path)
        if resource_body is None:
            continue
        resource = _ResourceChecker(check, name, resource_body, path).build()
        if resource is not None:
            built.append(resource)
    return built


def _cross_checks(
    resources: list[Resource],
    prefixes: list[tuple[str, _Checker, Position]],
    documents: Sequence[SpecDocument],
) -> list[Problem]:
    """What no single resource can see: names, tables, paths and prefixes repeated across them."""
    problems: list[Problem] = []
    if prefixes:
        first, _, _ = prefixes[0]
        for prefix, check, where in prefixes[1:]:
            if prefix != first:
                problems.append(
                    Problem(
                        check.file,
                        where.line,
                        where.column,
                        "api.prefix",
                        f"every spec file must use the same prefix; "
                        f"{prefixes[0][1].file} uses {first!r}, this one {prefix!r}",
                    )
                )
    seen: dict[str, dict[str, Resource]] = {"name": {}, "module": {}, "table": {}, "path": {}}
    for resource in resources:
        normalized_path = re.sub(r"\{[^}]*\}", "{}", resource.path)
        for kind, value in (
            ("name", resource.name),
            ("module", resource.module),
            ("table", resource.table),
            ("path", normalized_path),
        ):
            other = seen[kind].get(value)
            if other is None and kind == "path":
                other = _overlapping(resource, seen["path"].values())
            if other is None:
                seen[kind][value] = resource
                continue
            where = _position_of(documents, resource, kind)
            shown = {
                "name": resource.name,
                "module": resource.module,
                "table": resource.table,
                "path": resource.path,
            }[kind]
            theirs = {"name": "", "module": "", "table": "", "path": f"{other.path!r} "}[kind]
            key = f"resources.{resource.name}" + ("" if kind in ("name", "module") else f".{kind}")
            what = "module name" if kind == "module" else kind
            message = (
                f"{what} {shown!r} is already used by resource {other.name} "
                f"({theirs}in {other.file})"
            )
            if kind == "path" and normalized_path != re.sub(r"\{[^}]*\}", "{}", other.path):
                message = (
                    f"path {shown!r} overlaps resource {other.name}'s {other.path!r} (in "
                    f"{other.file}): a placeholder matches any segment, so one URL could "
                    "mean either"
                )
            problems.append(Problem(resource.file, where.line, where.column, key, message))
    return problems


def _route_shapes(resource: Resource) -> tuple[tuple[str, ...], ...]:
    """The collection and item URL templates of a resource, with placeholders as None."""
    segments = tuple(
        "" if naming.PLACEHOLDER.match(part) else part for part in resource.path.split("/")[1:]
    )
    return segments, (*segments, "")


def _overlapping(resource: Resource, others: Iterable[Resource]) -> Resource | None:
    """Another resource one of whose routes could match the same URL as one of this one's."""
    for other in others:
        for mine in _route_shapes(resource):
            for theirs in _route_shapes(other):
                if len(mine) == len(theirs) and all(
                    a == b or not a or not b for a, b in zip(mine, theirs, strict=True)
                ):
                    return other
    return None


def _position_of(documents: Sequence[SpecDocument], resource: Resource, kind: str) -> Position:
    """Where a resource's `table:` or `path:` value (or else its name) was written."""
    for document in documents:
        top = document.content
        found = top.get("resources") if isinstance(top, YamlMap) else None
        if document.file != resource.file or not isinstance(found, YamlMap):
            continue
        body = found.get(resource.name)
        if isinstance(body, YamlMap) and kind in body.value_positions:
            return body.value_positions[kind]
        if resource.name in found.key_positions:
            return found.key_positions[resource.name]
    return Position(1, 1)
