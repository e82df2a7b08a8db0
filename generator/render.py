"""Render the intermediate model into the text of every generated file, in memory.

All decisions about *what* code to emit for a field (its column type, its Pydantic annotation,
how a value is written as a literal) are made here in Python; the templates only arrange the
results. Nothing from the spec is pasted into code except through `literal()` (values) or
names already checked by `naming`.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import jinja2

from generator.contract import ContractData, contract_data
from generator.docs import Example, FieldRow, examples, field_rows
from generator.model import INT64_MAX, INT64_MIN, Field, Resource, Spec
from generator.naming import MAX_IDENTIFIER_LENGTH, plural
from generator.render_values import literal, text_literal


def _keywords(pairs: list[tuple[str, Any]]) -> str:
    return ", ".join(f"{key}={literal(value)}" for key, value in pairs if value is not None)


def index_name(table: str, columns: list[str]) -> str:
    """A deterministic index name that fits PostgreSQL's 63-byte identifiers."""
    name = f"ix_{table}_{'_'.join(columns)}"
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER_LENGTH - 9]}_{digest}"


@dataclass(frozen=True)
class FieldCode:
    """The code fragments one field turns into, ready for the templates."""

    field: Field
    value_alias: str
    value_type: str
    create_annotation: str
    create_assignment: str
    description_keyword: str
    read_type: str
    read_assignment: str
    column_type: str
    column_keywords: str


@dataclass(frozen=True)
class FilterCode:
    """One list query parameter: its Python name, URL name, type and SQL condition."""

    param: str
    alias: str
    type: str
    description: str
    bind: str
    bound_condition: str


@dataclass(frozen=True)
class IndexCode:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ResourceCode:
    """Everything the templates need about one resource."""

    resource: Resource
    fields: tuple[FieldCode, ...]
    id_python_type: str
    id_param_type: str
    id_path_keywords: str
    collection_path: str
    item_path: str
    sort_values: tuple[str, ...]
    order_by: tuple[tuple[str, tuple[str, ...]], ...]
    filters: tuple[FilterCode, ...]
    indexes: tuple[IndexCode, ...]
    unique_fields: tuple[str, ...]
    enum_checks: tuple[tuple[str, tuple[str, ...]], ...]
    operation_ids: dict[str, str]
    server_managed: str
    contract: ContractData | None
    test_collection: str
    openapi_collection: str
    openapi_item: str
    openapi_operations: tuple[tuple[str, str], ...]
    unserved: tuple[tuple[str, str, str], ...]
    catch_405: tuple[tuple[str, tuple[str, ...]], ...]
    """Paths with no served operation, and the methods that must still answer 405 there."""
    doc_operations: tuple[tuple[str, str, str, str], ...]
    doc_fields: tuple[FieldRow, ...]
    doc_examples: tuple[Example, ...]
    list_description: str
    create_description: str
    read_description: str
    replace_description: str
    update_description: str
    delete_description: str


def _value_type(field: Field) -> str:
    """The Pydantic annotation of one value of the field (without `| None`)."""
    kind = field.type
    if kind in ("string", "text"):
        constraints = _keywords(
            [
                ("strip_whitespace", True if field.strip else None),
                ("min_length", field.min_length),
                ("max_length", field.max_length),
                ("pattern", field.pattern),
            ]
        )
        return f"Annotated[StrictStr, StringConstraints({constraints}), StorableText]"
    if kind == "integer":
        low = field.minimum if field.minimum is not None else INT64_MIN
        high = field.maximum if field.maximum is not None else INT64_MAX
        return f"Annotated[StrictInt, Field(ge={literal(low)}, le={literal(high)})]"
    if kind == "number":
        bounds = _keywords([("ge", field.minimum), ("le", field.maximum)])
        extra = f", {bounds}" if bounds else ""
        return f"Annotated[float, Field(strict=True, allow_inf_nan=False{extra})]"
    if kind == "boolean":
        return "StrictBool"
    if kind == "date":
        return "DateText"
    if kind == "datetime":
        return "UTCDatetime"
    if kind == "uuid":
        return "UUID"
    return f"Literal[{', '.join(literal(value) for value in field.values)}]"


def _read_type(field: Field) -> str:
    base = {
        "string": "str",
        "text": "str",
        "integer": "int",
        "number": "float",
        "boolean": "bool",
        "date": "datetime.date",
        "datetime": "datetime.datetime",
        "uuid": "UUID",
        "enum": "str",
    }[field.type]
    return f"{base} | None" if field.nullable else base


def _filter_type(field: Field) -> str:
    """The query-parameter type of an exact-match filter on the field."""
    return {
        "string": "Annotated[str, StorableText]",
        "text": "Annotated[str, StorableText]",
        "integer": "Annotated[PlainInt, Field(ge=INT64_MIN, le=INT64_MAX)]",
        "number": "Annotated[float, Field(allow_inf_nan=False)]",
        "boolean": "BoolText",
        "date": "DateText",
        "datetime": "UTCDatetime",
        "uuid": "UUID",
        "enum": f"Literal[{', '.join(literal(value) for value in field.values)}]",
    }[field.type]


def _column_type(field: Field) -> str:
    kind = field.type
    if kind == "string":
        return f"code_point_text({field.max_length})"
    if kind == "text":
        return "code_point_text(None)"
    if kind == "enum":
        return f"code_point_text({max(len(value) for value in field.values)})"
    return {
        "integer": "BigInteger()",
        "number": "Double()",
        "boolean": "Boolean()",
        "date": "Date()",
        "datetime": "UTCDateTime()",
        "uuid": "Uuid()",
    }[kind]


def _server_default(field: Field) -> str:
    """`, server_default=...` for a field with a default, so new columns fill existing rows.

    The SQL literal is built by SQLAlchemy from a Python value (never pasted text), except
    numbers, which are validated finite numbers written with `repr`.
    """
    value = field.default
    if not field.has_default or value is None:
        return ""
    if isinstance(value, bool):
        # The keywords TRUE and FALSE mean the same on PostgreSQL and on SQLite (>= 3.23).
        expression = 'sql_text("true")' if value else 'sql_text("false")'
    elif isinstance(value, int | float):
        expression = f"sql_text({literal(repr(value))})"
    elif isinstance(value, datetime.datetime):
        # The text SQLite stores for the app's own writes, read as UTC on PostgreSQL too
        # (connections set TimeZone=UTC), so backfilled rows compare equal to written ones.
        expression = literal(value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    elif isinstance(value, datetime.date | uuid.UUID):
        expression = literal(str(value) if isinstance(value, datetime.date) else value.hex)
    else:
        expression = literal(value)
    return f", server_default={expression}"


def _field_code(resource: Resource, field: Field) -> FieldCode:
    # `Task_title`: one alias per field, named after it verbatim, so no two can clash.
    alias = f"{resource.name}_{field.name}"
    description = (
        f"description={text_literal(field.description)}" if field.description is not None else ""
    )
    description_keyword = f", {description}" if description else ""
    create_annotation = f"{alias} | None" if field.nullable else alias
    if not field.required:
        default = literal(field.default) if field.has_default else "None"
        create_assignment = f" = Field(default={default}{description_keyword})"
    elif description:
        create_assignment = f" = Field({description})"
    else:
        create_assignment = ""
    return FieldCode(
        field=field,
        value_alias=alias,
        value_type=_value_type(field),
        create_annotation=create_annotation,
        create_assignment=create_assignment,
        description_keyword=description_keyword,
        read_type=_read_type(field),
        read_assignment=f" = Field({description})" if description else "",
        column_type=_column_type(field),
        column_keywords=_server_default(field),
    )


def _filters(resource: Resource) -> tuple[FilterCode, ...]:
    filters: list[FilterCode] = []
    model = resource.name
    for field in resource.filterable_fields:
        column = f"{model}.{field.name}"
        value_type = _filter_type(field)
        filters.append(
            FilterCode(
                param=f"filter_{field.name}",
                alias=field.name,
                type=value_type,
                description=f"Only rows whose {field.name} equals this.",
                bind=f"{field.name}__eq",
                bound_condition=f"{column} == bindparam({field.name + '__eq'!r})",
            )
        )
        if field.ordered:
            for suffix, operator, words in (("gte", ">=", "at least"), ("lte", "<=", "at most")):
                filters.append(
                    FilterCode(
                        param=f"filter_{field.name}__{suffix}",
                        alias=f"{field.name}__{suffix}",
                        type=value_type,
                        description=f"Only rows whose {field.name} is {words} this.",
                        bind=f"{field.name}__{suffix}",
                        bound_condition=(
                            f"{column} {operator} bindparam({field.name + '__' + suffix!r})"
                        ),
                    )
                )
    return tuple(filters)


def _order_by(resource: Resource) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ORDER BY terms per sort value; NULLs are placed last explicitly only where they exist."""
    entries: list[tuple[str, tuple[str, ...]]] = []
    for key in resource.sort_keys:
        for prefix, direction in (("", "asc"), ("-", "desc")):
            term = f"{resource.name}.{key.name}.{direction}()"
            if key.nullable:
                term += ".nulls_last()"
            terms = (term,) if key.name == "id" else (term, f"{resource.name}.id.{direction}()")
            entries.append((f"{prefix}{key.name}", terms))
    return tuple(entries)


def _indexes(resource: Resource) -> tuple[IndexCode, ...]:
    """Owner-leading indexes: one per sort key (ending in id for stable paging) and per `index`."""
    owner = resource.owner.field
    wanted: list[tuple[str, ...]] = []
    for key in resource.sort_keys:
        wanted.append((owner, key.name) if key.name == "id" else (owner, key.name, "id"))
    for field in resource.fields:
        if field.index and not field.sortable and not field.unique:
            wanted.append((owner, field.name))
    unique: list[tuple[str, ...]] = []
    for columns in wanted:
        if columns not in unique:
            unique.append(columns)
    return tuple(IndexCode(index_name(resource.table, list(cols)), cols) for cols in unique)


def resource_code(resource: Resource, prefix: str) -> ResourceCode:
    fields = tuple(_field_code(resource, field) for field in resource.fields)
    if resource.id_type == "integer":
        id_python_type, id_path_keywords = "int", f"ge=1, le={INT64_MAX}, "
    else:
        id_python_type, id_path_keywords = "UUID", ""
    sort_values: list[str] = []
    for key in resource.sort_keys:
        sort_values += [key.name, f"-{key.name}"]
    singular = resource.module
    name = resource.name
    owner = resource.owner.field
    openapi_collection = f"{prefix}{resource.path}"
    openapi_item = f"{openapi_collection}/{{id}}"
    methods = {
        "list": ("GET", "collection"),
        "create": ("POST", "collection"),
        "read": ("GET", "item"),
        "replace": ("PUT", "item"),
        "update": ("PATCH", "item"),
        "delete": ("DELETE", "item"),
    }
    served = [methods[operation] for operation in resource.operations]
    unserved = tuple(
        (
            method,
            where,
            ", ".join(sorted(m for m, w in served if w == where)),
        )
        for operation, (method, where) in methods.items()
        if operation not in resource.operations
    )
    return ResourceCode(
        resource=resource,
        fields=fields,
        id_python_type=id_python_type,
        id_param_type="PlainInt" if resource.id_type == "integer" else "UUID",
        id_path_keywords=id_path_keywords,
        collection_path=resource.path,
        item_path=f"{resource.path}/{{id}}",
        sort_values=tuple(sort_values),
        order_by=_order_by(resource),
        filters=_filters(resource),
        indexes=_indexes(resource),
        unique_fields=tuple(code.field.name for code in fields if code.field.unique),
        enum_checks=tuple(
            (code.field.name, code.field.values) for code in fields if code.field.type == "enum"
        ),
        contract=contract_data(resource),
        test_collection=re.sub(r"\{[^}]*\}", "{owner}", openapi_collection),
        openapi_collection=openapi_collection,
        openapi_item=openapi_item,
        openapi_operations=tuple(
            sorted(
                (openapi_collection if where == "collection" else openapi_item, method)
                for method, where in served
            )
        ),
        unserved=unserved,
        catch_405=tuple(
            (
                "COLLECTION_PATH" if where == "collection" else "ITEM_PATH",
                tuple(m for m, w in methods.values() if w == where),
            )
            for where in ("collection", "item")
            if not any(w == where for _, w in served)
        ),
        doc_operations=tuple(
            (
                operation,
                methods[operation][0],
                openapi_collection if methods[operation][1] == "collection" else openapi_item,
                DOC_SUCCESS[operation],
            )
            for operation in resource.operations
        ),
        doc_fields=field_rows(resource),
        doc_examples=examples(resource, prefix),
        server_managed=", ".join(f"`{name}`" for name in resource.server_managed),
        operation_ids={
            "list": f"list_{plural(singular)}",
            "create": f"create_{singular}",
            "read": f"read_{singular}",
            "replace": f"replace_{singular}",
            "update": f"update_{singular}",
            "delete": f"delete_{singular}",
        },
        list_description=_with_resource_text(
            resource,
            f"One page of the owner's {name} rows, with the total for the same filters. "
            f"Rows of other owners are never included.",
        ),
        create_description=_with_resource_text(
            resource,
            f"Creates a {name} owned by the `{owner}` in the path; answers 201 with the row "
            "and its URL in `Location`.",
        ),
        read_description=_with_resource_text(
            resource,
            f"One {name} of the owner; another owner's row answers 404 like a missing one.",
        ),
        replace_description=_with_resource_text(
            resource,
            f"Sets every writable field of one {name}; omitted fields take their default.",
        ),
        update_description=_with_resource_text(
            resource, f"Changes only the fields sent of one {name}."
        ),
        delete_description=_with_resource_text(resource, f"Deletes one {name} of the owner."),
    )


DOC_SUCCESS = {
    "list": "200 page",
    "create": "201 row, `Location` header",
    "read": "200 row",
    "replace": "200 row; omitted fields take their default (or null)",
    "update": "200 row; only the fields sent change",
    "delete": "204, empty body",
}


def _with_resource_text(resource: Resource, text: str) -> str:
    return f"{resource.description}\n\n{text}" if resource.description else text


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = literal
    env.filters["text"] = text_literal
    return env


def render(spec: Spec) -> dict[PurePosixPath, str]:
    """The full text of every file under the output folder, keyed by its relative path."""
    env = _environment()
    codes = [resource_code(resource, spec.prefix) for resource in spec.resources]
    model_imports = sorted(
        [("base", "Base")] + [(c.resource.module, c.resource.name) for c in codes]
    )
    everything = {
        "spec": spec,
        "resources": codes,
        "source": spec.source,
        "model_imports": model_imports,
        "model_names": sorted(name for _, name in model_imports),
        "router_modules": sorted(c.resource.module for c in codes),
    }
    files: dict[PurePosixPath, str] = {
        PurePosixPath("__init__.py"): env.get_template("package.py.jinja").render(everything),
        PurePosixPath("support.py"): env.get_template("support.py.jinja").render(everything),
        PurePosixPath("models/__init__.py"): env.get_template("models_init.py.jinja").render(
            everything
        ),
        PurePosixPath("models/base.py"): env.get_template("models_base.py.jinja").render(
            everything
        ),
        PurePosixPath("schemas/__init__.py"): env.get_template("schemas_init.py.jinja").render(
            everything
        ),
        PurePosixPath("routers/__init__.py"): env.get_template("routers_init.py.jinja").render(
            everything
        ),
        PurePosixPath("tests/__init__.py"): env.get_template("tests_init.py.jinja").render(
            everything
        ),
        PurePosixPath("API.md"): env.get_template("api.md.jinja").render(everything),
    }
    for code in codes:
        context = {
            "spec": spec,
            "r": code,
            "res": code.resource,
            "source": code.resource.source,
            "int64_max": INT64_MAX,
            "d": code.contract,
        }
        module = code.resource.module
        for folder, template in (
            ("models", "model.py.jinja"),
            ("schemas", "schemas.py.jinja"),
            ("routers", "router.py.jinja"),
        ):
            files[PurePosixPath(f"{folder}/{module}.py")] = env.get_template(template).render(
                context
            )
        if code.contract is not None:
            files[PurePosixPath(f"tests/test_{module}_contract.py")] = env.get_template(
                "contract_test.py.jinja"
            ).render(context)
    return dict(sorted(files.items()))
