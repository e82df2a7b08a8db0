"""The view of `schemas/<resource>.py`: the request and response bodies of a resource."""

from __future__ import annotations

from dataclasses import dataclass

from generator import contract
from generator.field_code import field_code
from generator.model import Resource, Spec
from generator.render_values import code


@dataclass(frozen=True)
class ValueType:
    """A named annotation for one value of a field: `alias = annotation`."""

    alias: str
    annotation: str
    field: str
    type: str


@dataclass(frozen=True)
class Attribute:
    """One attribute of a schema class: `name: declaration`."""

    name: str
    declaration: str


@dataclass(frozen=True)
class SchemasView:
    """What `schemas.py.jinja` shows: one value type per field and the four body classes."""

    name: str
    server_managed: str
    """The server-managed columns as the module docstring lists them."""
    value_types: tuple[ValueType, ...]
    create_fields: tuple[Attribute, ...]
    update_fields: tuple[Attribute, ...]
    read_fields: tuple[Attribute, ...]
    relations: tuple[tuple[str, str], ...]
    """Each relation `?include=` may embed, and its target's resource name."""
    imports: tuple[tuple[str, str], ...]
    """The other resources' schema modules and read schemas the embedded targets need."""
    create_example: str | None
    """A valid create body as source, the OpenAPI document's example; None when the spec
    alone gives none (a required reference needs a real row)."""


def relation_targets(spec: Spec, resource: Resource) -> tuple[tuple[str, Resource], ...]:
    """Each relation of the resource and the resource it embeds."""
    return tuple((field.relation, spec.target(field)) for field in resource.refs)


def schemas_view(spec: Spec, resource: Resource) -> SchemasView:
    codes = [field_code(resource, field) for field in resource.fields]
    id_type = "int" if resource.id_type == "integer" else "UUID"
    read = [Attribute("id", id_type), Attribute(resource.owner.field, "str")]
    read += [Attribute(c.field.name, c.read_type + c.read_assignment) for c in codes]
    if resource.timestamps:
        read += [Attribute(name, "datetime.datetime") for name in ("created_at", "updated_at")]
    rows = contract.valid_rows(resource.fields, contract.field_samples(resource))
    if resource.versioned:
        read.append(Attribute("version", "int"))
    return SchemasView(
        create_example=code(rows[0]) if rows else None,
        name=resource.name,
        server_managed=", ".join(f"`{name}`" for name in resource.server_managed),
        value_types=tuple(
            ValueType(c.value_alias, c.value_type, c.field.name, c.field.type) for c in codes
        ),
        create_fields=tuple(
            Attribute(c.field.name, c.create_annotation + c.create_assignment) for c in codes
        ),
        update_fields=tuple(
            Attribute(
                c.field.name,
                f"{c.create_annotation} = Field(default=OMITTED{c.description_keyword})",
            )
            for c in codes
        ),
        read_fields=tuple(read),
        relations=tuple((name, target.name) for name, target in relation_targets(spec, resource)),
        imports=tuple(
            sorted(
                {
                    (target.module, f"{target.name}Read")
                    for _, target in relation_targets(spec, resource)
                    if target is not resource
                }
            )
        ),
    )
