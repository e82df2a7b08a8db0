"""The view of `models/<resource>.py`: the table, its columns, constraints and indexes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from generator.field_code import field_code
from generator.model import Resource, Spec
from generator.naming import MAX_IDENTIFIER_LENGTH


@dataclass(frozen=True)
class Column:
    """One mapped attribute: `name: Mapped[annotation] = mapped_column(arguments)`."""

    name: str
    annotation: str
    arguments: str


@dataclass(frozen=True)
class IndexView:
    """An owner-leading index: its deterministic name and its columns."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ReferenceView:
    """FOREIGN KEY (owner, field) REFERENCES target (target owner, id), and its action."""

    name: str
    field: str
    target_table: str
    target_owner: str
    on_delete: str


@dataclass(frozen=True)
class ModelView:
    """What `model.py.jinja` shows: the table, its constraints and indexes, its columns."""

    name: str
    table: str
    owner: str
    unique_fields: tuple[str, ...]
    target_key: str | None
    """The name of UNIQUE (owner, id), which the references to this table point at."""
    references: tuple[ReferenceView, ...]
    enum_checks: tuple[tuple[str, tuple[str, ...]], ...]
    indexes: tuple[IndexView, ...]
    columns: tuple[Column, ...]


def index_name(table: str, columns: list[str], prefix: str = "ix") -> str:
    """A deterministic index (or constraint) name that fits PostgreSQL's 63-byte identifiers."""
    name = f"{prefix}_{table}_{'_'.join(columns)}"
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER_LENGTH - 9]}_{digest}"


def _indexes(resource: Resource) -> tuple[IndexView, ...]:
    """Owner-leading indexes: one per sort key (ending in id for stable paging) and per `index`."""
    owner = resource.owner.field
    wanted: list[tuple[str, ...]] = []
    for key in resource.sort_keys:
        wanted.append((owner, key.name) if key.name == "id" else (owner, key.name, "id"))
    for field in resource.fields:
        # A reference is looked up by its target when the target goes (cascade, set_null,
        # restrict): each needs an owner-leading index, as the filter on it does.
        if (field.index or field.type == "ref") and not field.sortable and not field.unique:
            wanted.append((owner, field.name))
    unique: list[tuple[str, ...]] = []
    for columns in wanted:
        if columns not in unique:
            unique.append(columns)
    return tuple(IndexView(index_name(resource.table, list(cols)), cols) for cols in unique)


def _columns(resource: Resource) -> tuple[Column, ...]:
    """Server-managed columns around the spec's fields, in table order."""
    if resource.id_type == "integer":
        columns = [Column("id", "int", "int64_id(), primary_key=True")]
    else:
        columns = [Column("id", "UUID", "sa.Uuid(), primary_key=True")]
    owner = resource.owner
    columns.append(Column(owner.field, "str", f"sa.String({owner.max_length})"))
    for field in resource.fields:
        code = field_code(resource, field)
        columns.append(Column(field.name, code.read_type, code.column_type + code.column_keywords))
    if resource.timestamps:
        columns += [
            Column(name, "datetime.datetime", "UTCDateTime()")
            for name in ("created_at", "updated_at")
        ]
    if resource.versioned:
        # 1 on create (existing rows too, when a migration adds it); every write adds 1.
        info = f"info={{'concurrency': {resource.concurrency!r}}}"
        columns.append(
            Column("version", "int", f'sa.BigInteger(), server_default=sql_text("1"), {info}')
        )
    return tuple(columns)


def reference_name(resource: Resource, field: str, target: Resource) -> str:
    """The foreign key's name, which the router maps a refused write back to its field by."""
    return index_name(resource.table, [resource.owner.field, field, target.table], prefix="fk")


def _references(spec: Spec, resource: Resource) -> tuple[ReferenceView, ...]:
    references = []
    for field in resource.refs:
        target = spec.target(field)
        references.append(
            ReferenceView(
                name=reference_name(resource, field.name, target),
                field=field.name,
                target_table=target.table,
                target_owner=target.owner.field,
                on_delete=field.on_delete,
            )
        )
    return tuple(references)


def model_view(spec: Spec, resource: Resource) -> ModelView:
    owner = resource.owner.field
    return ModelView(
        name=resource.name,
        table=resource.table,
        owner=owner,
        unique_fields=tuple(field.name for field in resource.fields if field.unique),
        target_key=(
            index_name(resource.table, [owner, "id"], prefix="uq")
            if spec.referrers(resource)
            else None
        ),
        references=_references(spec, resource),
        enum_checks=tuple(
            (field.name, field.values) for field in resource.fields if field.type == "enum"
        ),
        indexes=_indexes(resource),
        columns=_columns(resource),
    )
