"""What makes a served OpenAPI document usable as it is by validators and client generators.

Shared by the test of this project's document and by the client tests, which run in copies of
the project serving every example spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs locked
from openapi_spec_validator import validate

from tests.clients.samples import collection_key

Document = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "patch")
NOT_JSON_SCHEMA = frozenset({"ge", "gt", "le", "lt", "min_length", "max_length", "multiple_of"})
"""Pydantic's names for bounds: in a schema they mean nothing to JSON Schema readers."""
ENVELOPE = {"$ref": "#/components/schemas/ErrorBody"}


def operations(document: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation, in document order."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


_NAMED = frozenset({"properties", "schemas", "$defs", "paths", "responses"})
"""Maps from names to objects: their keys are names, never schema keywords."""
_VALUES = frozenset({"examples", "example", "default", "enum", "const"})
"""Keys whose values are data, which may look like anything."""


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object under `node`: component schemas, parameters' and bodies'."""
    if isinstance(node, dict):
        if "type" in node or "anyOf" in node or "$ref" in node or "enum" in node:
            yield node
        for key, value in node.items():
            if key in _VALUES:
                continue
            if key in _NAMED and isinstance(value, dict):
                for named in value.values():
                    yield from _schemas(named)
            else:
                yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def check_document(document: Document) -> None:
    """Assert everything a generator needs; the first failure names the operation."""
    validate(document)
    for schema in _schemas(document):
        misnamed = NOT_JSON_SCHEMA & set(schema)
        assert not misnamed, f"bounds not in JSON Schema keywords: {misnamed} in {schema}"
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        root = {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
        for example in schema.get("examples", []):
            Draft202012Validator(root).validate(example)
    operation_ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(operation_ids) == len(set(operation_ids)), f"repeated ids: {operation_ids}"
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        errors = {status for status in responses if status[0] in "45"}
        expected = {"500", "503"}
        if operation.get("parameters") or "requestBody" in operation:
            expected.add("422")
        if "requestBody" in operation:
            expected |= {"413", "415"}
        assert expected <= errors, f"{where} documents {sorted(errors)}, not {sorted(expected)}"
        for status in errors:
            content = responses[status]["content"]["application/json"]
            assert content["schema"] == ENVELOPE, f"{where} {status}: {content}"
        body = operation.get("requestBody")
        if body is not None and not body.get("required"):
            schema = body["content"]["application/json"]["schema"]
            assert {"type": "null"} not in schema.get("anyOf", []), f"{where}: a null body"
        assert operation.get("description"), f"{where} has no description"


KINDS = {
    ("collection", "get"): "list",
    ("collection", "post"): "create",
    ("item", "get"): "read",
    ("item", "put"): "replace",
    ("item", "patch"): "update",
    ("item", "delete"): "delete",
}


@dataclass
class Resource:
    """One resource's operations in the document, by kind (`list`, `create`, ...)."""

    key: str
    collection_path: str
    owner_param: str
    operation_ids: dict[str, str] = field(default_factory=dict)
    integer_id: bool = True


def _path_params(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [param for param in operation.get("parameters", []) if param["in"] == "path"]


def resources_of(document: Document, keys: set[str]) -> tuple[dict[str, Resource], dict[str, str]]:
    """The generated resources by collection key, and the paths of the other operations by id."""
    resources: dict[str, Resource] = {}
    others: dict[str, str] = {}
    for path, method, operation in operations(document):
        collection, where = path, "collection"
        if collection_key(path) not in keys and path.endswith("/{id}"):
            collection, where = path.removesuffix("/{id}"), "item"
        key = collection_key(collection)
        if key not in keys:
            others[operation["operationId"]] = path
            continue
        owner = _path_params(operation)[0]["name"]
        resource = resources.setdefault(key, Resource(key, collection, owner))
        resource.operation_ids[KINDS[where, method]] = operation["operationId"]
        for param in _path_params(operation):
            if param["name"] == "id":
                resource.integer_id = param["schema"].get("type") == "integer"
    return resources, others
