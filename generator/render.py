"""Render the intermediate model into the text of every generated file, in memory.

Each template gets its own view (`generator.views`), built here from the spec: the decisions
about what code to emit are made in Python, and the templates only arrange the results.
Nothing from the spec is pasted into code except through `literal()` (values) or names
already checked by `naming`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import jinja2

from generator.contract import contract_data
from generator.field_code import FieldCode, field_code
from generator.model import INT64_MAX, OPERATION_ROUTES, Resource, Spec
from generator.render_values import literal, text_literal
from generator.routes import Unserved, served_paths, unserved
from generator.views.docs import docs_view
from generator.views.model import model_view
from generator.views.package import models_index_view, routers_index_view
from generator.views.router import router_view
from generator.views.schemas import schemas_view


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
        test_collection=re.sub(r"\{[^}]*\}", "{owner}", collection),
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
    served = served_paths(spec)

    def page(template: str, source: str, view: object = None) -> str:
        return env.get_template(template).render(source=source, view=view)

    source = spec.source
    files: dict[PurePosixPath, str] = {
        PurePosixPath("__init__.py"): page("package.py.jinja", source),
        PurePosixPath("support.py"): page("support.py.jinja", source),
        PurePosixPath("models/__init__.py"): page(
            "models_init.py.jinja", source, models_index_view(spec)
        ),
        PurePosixPath("models/base.py"): page("models_base.py.jinja", source),
        PurePosixPath("schemas/__init__.py"): page("schemas_init.py.jinja", source),
        PurePosixPath("routers/__init__.py"): page(
            "routers_init.py.jinja", source, routers_index_view(spec, served)
        ),
        PurePosixPath("tests/__init__.py"): page("tests_init.py.jinja", source),
        PurePosixPath("API.md"): page("api.md.jinja", source, docs_view(spec)),
    }
    for resource in spec.resources:
        module, source = resource.module, resource.source
        files[PurePosixPath(f"models/{module}.py")] = page(
            "model.py.jinja", source, model_view(resource)
        )
        files[PurePosixPath(f"schemas/{module}.py")] = page(
            "schemas.py.jinja", source, schemas_view(resource)
        )
        files[PurePosixPath(f"routers/{module}.py")] = page(
            "router.py.jinja", source, router_view(resource, served)
        )
        context = _contract_context(spec, resource)
        if context is not None:
            files[PurePosixPath(f"tests/test_{module}_contract.py")] = env.get_template(
                "contract_test.py.jinja"
            ).render(context)
    return dict(sorted(files.items()))
