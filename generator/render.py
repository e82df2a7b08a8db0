"""Render the intermediate model into the text of every generated file, in memory.

Each template gets its own view (`generator.views`), built here from the spec: the decisions
about what code to emit are made in Python, and the templates only arrange the results.
Nothing from the spec is pasted into code except through `literal()` (values) or names
already checked by `naming`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import jinja2

from generator.model import Spec
from generator.render_tests import COPY_HEADER, render_tests
from generator.render_values import literal, text_literal
from generator.routes import served_paths
from generator.runtime import copied
from generator.views.docs import docs_view
from generator.views.model import model_view
from generator.views.package import models_index_view, routers_index_view
from generator.views.router import router_view
from generator.views.schemas import schemas_view


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
    header = env.from_string(COPY_HEADER).render(source=source)
    files: dict[PurePosixPath, str] = {
        PurePosixPath("__init__.py"): page("package.py.jinja", source),
        PurePosixPath("support.py"): copied("support.py", header),
        PurePosixPath("cursor.py"): copied("cursor.py", header),
        PurePosixPath("paging.py"): copied("paging.py", header),
        PurePosixPath("references.py"): copied("references.py", header),
        PurePosixPath("conditional.py"): copied("conditional.py", header),
        PurePosixPath("routing.py"): copied("routing.py", header),
        PurePosixPath("models/__init__.py"): page(
            "models_init.py.jinja", source, models_index_view(spec)
        ),
        PurePosixPath("models/base.py"): copied("models_base.py", header),
        PurePosixPath("schemas/__init__.py"): page("schemas_init.py.jinja", source),
        PurePosixPath("routers/__init__.py"): page(
            "routers_init.py.jinja", source, routers_index_view(spec, served)
        ),
        PurePosixPath("API.md"): page("api.md.jinja", source, docs_view(spec)),
        PurePosixPath("tests/_contract.py"): copied("contract_helpers.py", header),
    }
    if spec.idempotency is not None:
        files[PurePosixPath("idempotency.py")] = copied("idempotency.py", header)
    for resource in spec.resources:
        module, source = resource.module, resource.source
        files[PurePosixPath(f"models/{module}.py")] = page(
            "model.py.jinja", source, model_view(spec, resource)
        )
        files[PurePosixPath(f"schemas/{module}.py")] = page(
            "schemas.py.jinja", source, schemas_view(spec, resource)
        )
        files[PurePosixPath(f"routers/{module}.py")] = page(
            "router.py.jinja", source, router_view(spec, resource, served)
        )
    if spec.auth is not None:
        files[PurePosixPath("auth.py")] = page("auth.py.jinja", spec.source, spec.auth)
        files[PurePosixPath("bearer.py")] = copied("bearer.py", header)
    files.update(render_tests(env, spec))
    return dict(sorted(files.items()))
