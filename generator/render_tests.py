"""Render the generated tests: the shared contract helpers once, and one test module per resource.

A resource gets a contract-test module only when `contract_data` can build valid rows from the
spec alone. The module is assembled from one template part per operation
(`_contract_<operation>.py.jinja`); what every module shares is emitted once, as
`tests/_contract.py`, so it is not repeated per resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import jinja2

from generator.contract import collection_template, contract_data
from generator.field_code import FieldCode, field_code
from generator.model import INT64_MAX, OPERATION_ROUTES, Resource, Spec
from generator.ref_tests import ref_test_data
from generator.routes import Unserved, unserved


@dataclass(frozen=True)
class ContractPaths:
    """What the contract-test template reads as `r`: the resource's URLs and its 405s."""

    fields: tuple[FieldCode, ...]
    test_collection: str
    openapi_collection: str
    openapi_item: str
    openapi_operations: tuple[tuple[str, str], ...]
    unserved: tuple[Unserved, ...]


def _contract_context(spec: Spec, resource: Resource) -> dict[str, Any] | None:
    """The contract-test template's context, or None when the spec gives no valid row."""
    data = contract_data(resource)
    if data is None:
        return None
    collection = spec.prefix + resource.path_of("collection")
    item = spec.prefix + resource.path_of("item")
    paths = ContractPaths(
        fields=tuple(field_code(resource, field) for field in resource.fields),
        test_collection=collection_template(spec, resource),
        openapi_collection=collection,
        openapi_item=item,
        openapi_operations=tuple(
            sorted(
                (collection if where == "collection" else item, method)
                for method, where in (OPERATION_ROUTES[op] for op in resource.operations)
            )
        ),
        unserved=unserved(resource),
    )
    return {
        "spec": spec,
        "r": paths,
        "res": resource,
        "source": resource.source,
        "int64_max": INT64_MAX,
        "d": data,
    }


def render_tests(env: jinja2.Environment, spec: Spec) -> dict[PurePosixPath, str]:
    """`tests/__init__.py`, `tests/_contract.py` and each resource's contract-test module."""
    files = {
        PurePosixPath("tests/__init__.py"): env.get_template("tests_init.py.jinja").render(
            source=spec.source
        ),
        PurePosixPath("tests/_contract.py"): env.get_template("contract_helpers.py.jinja").render(
            source=spec.source
        ),
    }
    references = ref_test_data(spec)
    if references is not None:
        files[PurePosixPath("tests/test_references.py")] = env.get_template(
            "references_test.py.jinja"
        ).render(source=spec.source, d=references)
    for resource in spec.resources:
        context = _contract_context(spec, resource)
        if context is not None:
            files[PurePosixPath(f"tests/test_{resource.module}_contract.py")] = env.get_template(
                "contract_test.py.jinja"
            ).render(context)
    return files
