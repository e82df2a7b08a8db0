"""Render the generated tests: one contract-test module per resource.

A resource gets a contract-test module only when its view (`generator.views.tests`) finds
valid rows in the spec alone. The module is assembled from one template part per operation
(`_contract_<operation>.py.jinja`); what every module shares is not repeated per resource but
copied once, as `tests/_contract.py`, from `generator/runtime/contract_helpers.py`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import jinja2

from generator.model import Spec
from generator.ref_tests import ref_test_data
from generator.runtime import copied
from generator.views.auth_tests import auth_test_view
from generator.views.idempotency_tests import idempotency_test_view
from generator.views.tests import contract_test_view

COPY_HEADER = '{% import "_macros.jinja" as m %}{{ m.header(source) }}'
"""The header of a module copied from `generator/runtime`: the one every generated file has."""


def render_tests(env: jinja2.Environment, spec: Spec) -> dict[PurePosixPath, str]:
    """`tests/__init__.py` and each resource's contract-test module."""
    files = {
        PurePosixPath("tests/__init__.py"): env.get_template("tests_init.py.jinja").render(
            source=spec.source
        )
    }
    references = ref_test_data(spec)
    if references is not None:
        files[PurePosixPath("tests/test_references.py")] = env.get_template(
            "references_test.py.jinja"
        ).render(source=spec.source, view=references)
    auth = auth_test_view(spec)
    if auth is not None:
        header = env.from_string(COPY_HEADER).render(source=spec.source)
        files[PurePosixPath("tests/_auth.py")] = copied("auth_helpers.py", header)
        files[PurePosixPath("tests/test_auth.py")] = env.get_template("auth_test.py.jinja").render(
            source=spec.source, view=auth
        )
    idempotency = idempotency_test_view(spec)
    if idempotency is not None:
        files[PurePosixPath("tests/test_idempotent_creates.py")] = env.get_template(
            "idempotency_test.py.jinja"
        ).render(source=spec.source, view=idempotency)
    for resource in spec.resources:
        view = contract_test_view(spec, resource)
        if view is not None:
            files[PurePosixPath(f"tests/test_{resource.module}_contract.py")] = env.get_template(
                "contract_test.py.jinja"
            ).render(source=resource.source, view=view)
    return files
