"""Render the intermediate model into the text of every generated file, in memory.

All decisions about *what* code to emit for a field (its column type, its Pydantic annotation,
how a value is written as a literal) are made here in Python; the templates only arrange the
results. Nothing from the spec is pasted into code except through `literal()` (values) or
names already checked by `naming`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import jinja2

from generator.contract import ContractData, contract_data
from generator.docs import Example, FieldRow, examples, field_rows, filters_sentence
from generator.field_code import FieldCode, field_code
from generator.field_rules import filter_type
from generator.model import INT64_MAX, Resource, Spec
from generator.naming import MAX_IDENTIFIER_LENGTH, plural
from generator.render_values import literal, text_literal
from generator.runtime import copied


def index_name(table: str, columns: list[str]) -> str:
    """A deterministic index name that fits PostgreSQL's 63-byte identifiers."""
    name = f"ix_{table}_{'_'.join(columns)}"
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER_LENGTH - 9]}_{digest}"


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
    doc_filters: str
    doc_examples: tuple[Example, ...]
    list_description: str
    create_description: str
    read_description: str
    replace_description: str
    update_description: str
    delete_description: str


def _filters(resource: Resource) -> tuple[FilterCode, ...]:
    filters: list[FilterCode] = []
    model = resource.name
    for field in resource.filterable_fields:
        column = f"{model}.{field.name}"
        value_type = filter_type(field)
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
    fields = tuple(field_code(resource, field) for field in resource.fields)
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
        doc_filters=filters_sentence(resource),
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


# The header of a module copied from `generator/runtime`: the one every generated file has.
COPY_HEADER = '{% import "_macros.jinja" as m %}{{ m.header(source) }}'


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
        PurePosixPath("support.py"): copied(
            "support.py", env.from_string(COPY_HEADER).render(everything)
        ),
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
