"""Semantic checks of a spec whose shape `spec_schema` declares; builds the intermediate model.

The spec is checked a level at a time: a document, then each resource, then each field. At
each level Pydantic checks the shape (`spec_schema`), and what needs several keys at once is
checked here: a default against its own field, a path against its owner, a sort key against
the sortable fields, names across resources. A level whose shape is wrong is not checked any
further (what needs several of its keys waits until they are right), but its siblings are.
Every problem names the file, line, column and key path; nothing here raises for a user
mistake.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from generator import naming
from generator.auth_spec import FoundAuth, document_auth, merged_auth
from generator.field_checks import check_field
from generator.field_rules import Field
from generator.idempotency_spec import idempotency_problems
from generator.load import Position, SpecDocument, YamlMap, locate
from generator.model import (
    CONCURRENCY,
    OPERATIONS,
    Concurrency,
    Idempotency,
    ListSettings,
    Owner,
    Resource,
    Spec,
)
from generator.problems import Problem, describe, did_you_mean
from generator.shape_errors import Checker, Loc
from generator.spec_schema import DocumentShape, ResourceShape
from generator.spec_values import SERVER_MANAGED, spec_field_name_problem

DEFAULT_PREFIX = "/api"
DEFAULT_OWNER_FIELD = "user_id"
DEFAULT_OWNER_MAX_LENGTH = 64
DEFAULT_OWNER_PATTERN = "^[A-Za-z0-9_-]+$"
DEFAULT_LIMIT = 20
DEFAULT_MAX_LIMIT = 100
VERSION = "version"
"""The server-managed column of a resource with `concurrency` (its ETag)."""
_CONCURRENCY: dict[str, Concurrency] = {value: value for value in CONCURRENCY}


@dataclass(frozen=True)
class _Built:
    """A resource that passed every check, and where its name, table and path were written."""

    resource: Resource
    where: dict[str, Position]
    targets: dict[str, Position]
    """Where each `ref` field names its target (`to`), by field name."""


def _placeholder_of(path: str | None) -> str | None:
    if path is None:
        return None
    found = [m.group(1) for s in path.split("/") if (m := naming.PLACEHOLDER.match(s))]
    return found[0] if len(found) == 1 else None


def _owner(check: Checker, shape: ResourceShape, loc: Loc) -> Owner | None:
    """The owner: given, or named by the path's placeholder (or `user_id`), with defaults."""
    default_field = _placeholder_of(shape.path) or DEFAULT_OWNER_FIELD
    if "owner" not in shape.model_fields_set:
        problem = spec_field_name_problem(default_field)
        if problem:
            check.report((*loc, "path"), problem)
            return None
        return Owner(default_field, DEFAULT_OWNER_MAX_LENGTH, DEFAULT_OWNER_PATTERN)
    name = shape.owner.field or default_field
    problem = spec_field_name_problem(name)
    if problem:
        check.report((*loc, "owner", "field"), problem)
        return None
    return Owner(
        field=name,
        max_length=shape.owner.max_length or DEFAULT_OWNER_MAX_LENGTH,
        pattern=shape.owner.pattern or DEFAULT_OWNER_PATTERN,
    )


def _route(check: Checker, shape: ResourceShape, owner: Owner, table: str, loc: Loc) -> str:
    """The resource's path: given, with the owner's placeholder exactly once, or the default."""
    if shape.path is None:
        return f"/{{{owner.field}}}/{table}"
    placeholders = [s for s in shape.path.split("/") if naming.PLACEHOLDER.match(s)]
    if len(placeholders) != 1:
        check.report(
            (*loc, "path"),
            f"expected the owner placeholder exactly once (like '/{{{owner.field}}}/...'), "
            f"found {len(placeholders)} placeholders in {shape.path!r}",
        )
    elif placeholders[0] != f"{{{owner.field}}}":
        fixed = shape.path.replace(placeholders[0], f"{{{owner.field}}}")
        check.report(
            (*loc, "path"),
            f"the placeholder {placeholders[0]} must name the owner field {owner.field!r} "
            f"(owner.field is the path parameter); write {fixed!r}",
        )
    return shape.path


def _list_settings(check: Checker, shape: ResourceShape, loc: Loc) -> ListSettings:
    given = shape.list_settings
    max_limit = given.max_limit or DEFAULT_MAX_LIMIT
    default_limit = given.default_limit
    if default_limit is None:
        default_limit = min(DEFAULT_LIMIT, max_limit)
    elif default_limit > max_limit:
        check.report(
            (*loc, "list", "default_limit"),
            f"expected at most max_limit ({max_limit}), got {default_limit}",
        )
    default_sort = given.default_sort or ("-created_at" if shape.timestamps else "-id")
    return ListSettings(default_limit, max_limit, default_sort)


def _resource(check: Checker, name: str) -> _Built | None:
    """Check one resource's shape, each of its fields, then what its keys say together."""
    loc = ("resources", name)
    count_before = len(check.problems)
    shape = check.shape(ResourceShape.model_validate, loc, ResourceShape)
    owner = _owner(check, shape, loc) if shape is not None else None
    fields: list[Field] = []
    concurrency = _CONCURRENCY[shape.concurrency] if shape is not None else "none"
    versioned = concurrency != "none"
    for key, _ in list(check.entries((*loc, "fields"))):
        problem = spec_field_name_problem(key, owner.field if owner else None)
        if problem is None and versioned and key == VERSION:
            problem = (
                f"{key!r} is server-managed with concurrency: {concurrency}; choose another name"
            )
        if problem:
            check.report((*loc, "fields", key), problem, at_key=True)
        elif (built := check_field(check, key, (*loc, "fields", key))) is not None:
            fields.append(built)
    fields_built = len(check.problems) == count_before
    _check_relations(check, fields, owner, loc, versioned=versioned)
    if shape is None:
        return None
    table = shape.table or naming.plural(naming.snake_case(name))
    if shape.table is None and (problem := naming.table_name_problem(table)):
        check.report((*loc, "table"), problem)
    operations = shape.operations or list(OPERATIONS)
    for index, operation in enumerate(operations):
        if operation in operations[:index]:
            check.report((*loc, "operations", index), f"operation {operation!r} is listed twice")
    list_settings = _list_settings(check, shape, loc)
    if owner is None:
        return None
    resource = Resource(
        name=name,
        module=naming.snake_case(name),
        description=shape.description,
        table=table,
        path=_route(check, shape, owner, table, loc),
        owner=owner,
        id_type="uuid" if shape.id_type == "uuid" else "integer",
        timestamps=shape.timestamps,
        fields=tuple(fields),
        list=list_settings,
        operations=tuple(operation for operation in OPERATIONS if operation in operations),
        source=check.document.source or check.document.file,
        file=check.document.file,
        concurrency=concurrency,
    )
    # Judged only once every field is known, so a field that failed is not reported again here.
    sortable = [key.name for key in resource.sort_keys]
    default_sort = resource.list.default_sort
    if fields_built and default_sort.removeprefix("-") not in sortable:
        check.report(
            (*loc, "list", "default_sort"),
            f"expected a sortable key ({', '.join(sortable)}), optionally with '-', "
            f"got {describe(default_sort)}{did_you_mean(default_sort.removeprefix('-'), sortable)}",
        )
    if len(check.problems) > count_before:
        return None
    named = locate(check.document.content, loc).key
    where = {"name": named, "module": named}
    for kind in ("table", "path"):
        given = kind in shape.model_fields_set
        where[kind] = locate(check.document.content, (*loc, kind)).value if given else named
    targets = {
        field.name: locate(check.document.content, (*loc, "fields", field.name, "to")).value
        for field in fields
        if field.type == "ref"
    }
    return _Built(resource, where, targets)


def _check_relations(
    check: Checker, fields: list[Field], owner: Owner | None, loc: Loc, *, versioned: bool
) -> None:
    """A relation's name (a ref without `_id`) becomes a key of the row's JSON with `include`,
    so it must not be the name of a column of the row."""
    columns = {field.name for field in fields} | set(SERVER_MANAGED)
    if versioned:
        columns.add(VERSION)
    if owner is not None:
        columns.add(owner.field)
    for field in fields:
        if field.type != "ref":
            continue
        if field.relation in columns:
            problem: str | None = (
                f"the relation {field.relation!r} of this ref has the name of a field "
                f"of the resource; rename one of them"
            )
        else:
            problem = naming.field_name_problem(field.relation)
            if problem is not None:
                problem = f"the relation's name (the field's without '_id'): {problem}"
        if problem is not None:
            check.report((*loc, "fields", field.name), problem, at_key=True)


def _resolve_refs(built: list[_Built]) -> tuple[list[_Built], list[Problem]]:
    """Each `ref` pointed at its target, whose id type becomes the ref's value type."""
    by_name = {b.resource.name: b.resource for b in built}
    problems: list[Problem] = []
    resolved: list[_Built] = []
    for entry in built:
        resource = entry.resource
        fields = []
        for field in resource.fields:
            if field.type == "ref" and field.to is not None:
                target = by_name.get(field.to)
                if target is None:
                    where = entry.targets[field.name]
                    problems.append(
                        Problem(
                            resource.file,
                            where.line,
                            where.column,
                            f"resources.{resource.name}.fields.{field.name}.to",
                            f"no resource named {field.to!r} in the spec"
                            f"{did_you_mean(field.to, list(by_name))}",
                        )
                    )
                    continue
                field = dataclasses.replace(field, target_id=target.id_type)
            fields.append(field)
        resolved.append(
            dataclasses.replace(entry, resource=dataclasses.replace(resource, fields=tuple(fields)))
        )
    return resolved, problems


def build_spec(
    documents: Sequence[SpecDocument], *, source: str
) -> tuple[Spec | None, list[Problem]]:
    """Check every document and merge them into one `Spec`; problems come back sorted."""
    problems: list[Problem] = []
    built: list[_Built] = []
    prefixes: list[tuple[str, str, Position]] = []
    auths: list[FoundAuth] = []
    idempotency: list[tuple[Idempotency, str, Position]] = []
    for document in documents:
        check = Checker(document)
        if not isinstance(document.content, YamlMap):
            found = document.content
            shown = describe(found) if found is not None else "an empty file"
            message = f"expected a mapping with 'version' and 'resources', got {shown}"
            problems.append(Problem(document.file, 1, 1, "", message))
            continue
        top = check.shape(DocumentShape.model_validate, (), DocumentShape)
        if top is not None and top.api.prefix is not None:
            where = locate(document.content, ("api",)).value
            prefixes.append((top.api.prefix, document.file, where))
        if top is not None:
            found_auth, auth_problems = document_auth(document, top.auth)
            auths += [found_auth] if found_auth is not None else []
            problems += auth_problems
        if top is not None and top.api.idempotency is not None:
            where = locate(document.content, ("api", "idempotency")).value
            given = Idempotency(ttl_hours=top.api.idempotency.ttl_hours)
            idempotency.append((given, document.file, where))
        for name, _ in list(check.entries(("resources",))):
            found_resource = _resource(check, name)
            if found_resource is not None:
                built.append(found_resource)
        problems += check.problems
    problems += _cross_checks(built, prefixes)
    auth, auth_problems = merged_auth(auths)
    problems += auth_problems
    tables = [(entry.resource, entry.where["table"]) for entry in built]
    problems += idempotency_problems(tables, idempotency)
    built, ref_problems = _resolve_refs(built)
    problems += ref_problems
    if problems:
        return None, sorted(problems)
    prefix = prefixes[0][0] if prefixes else DEFAULT_PREFIX
    resources = tuple(b.resource for b in built)
    settings = idempotency[0][0] if idempotency else None
    spec = Spec(prefix=prefix, resources=resources, source=source, auth=auth, idempotency=settings)
    return spec, []


def _cross_checks(built: list[_Built], prefixes: list[tuple[str, str, Position]]) -> list[Problem]:
    """What no single resource can see: names, tables, paths and prefixes repeated across them."""
    problems: list[Problem] = []
    if prefixes:
        first, first_file, _ = prefixes[0]
        for prefix, file, where in prefixes[1:]:
            if prefix != first:
                problems.append(
                    Problem(
                        file,
                        where.line,
                        where.column,
                        "api.prefix",
                        f"every spec file must use the same prefix; "
                        f"{first_file} uses {first!r}, this one {prefix!r}",
                    )
                )
    seen: dict[str, dict[str, Resource]] = {"name": {}, "module": {}, "table": {}, "path": {}}
    for resource, positions in ((b.resource, b.where) for b in built):
        normalized_path = re.sub(r"\{[^}]*\}", "{}", resource.path)
        for kind, value in (
            ("name", resource.name),
            ("module", resource.module),
            ("table", resource.table),
            ("path", normalized_path),
        ):
            other = seen[kind].get(value)
            if other is None:
                seen[kind][value] = resource
                continue
            where = positions[kind]
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
            problems.append(Problem(resource.file, where.line, where.column, key, message))
    return problems + _list_id_clashes(built)


def _list_id_clashes(built: list[_Built]) -> list[Problem]:
    """Two plurals alike (Category, Categorie) would give two `list_categories` operations:
    client generators need every operation id once, so the second resource is refused."""
    problems: list[Problem] = []
    seen: dict[str, Resource] = {}
    for resource, positions in ((b.resource, b.where) for b in built):
        operation_id = f"list_{naming.plural(resource.module)}"
        other = seen.setdefault(operation_id, resource)
        if other is not resource and "list" in resource.operations and "list" in other.operations:
            where = positions["name"]
            message = (
                f"its list operation id {operation_id!r} is already that of resource "
                f"{other.name} (in {other.file}); rename one of them"
            )
            problems.append(
                Problem(
                    resource.file, where.line, where.column, f"resources.{resource.name}", message
                )
            )
    return problems
