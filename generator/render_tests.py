"""Render the generated tests: the shared contract helpers once, and one test module per resource.

A resource gets a contract-test module only when `contract_data` can build valid rows from the
spec alone. The module is assembled from one template part per operation
(`_contract_<operation>.py.jinja`); what every module shares is emitted once, as
`tests/_contract.py`, so it is not repeated per resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from generator.render import ResourceCode


def render_tests(
    env: jinja2.Environment, everything: dict[str, Any], codes: Sequence[ResourceCode]
) -> dict[PurePosixPath, str]:
    """`tests/__init__.py`, `tests/_contract.py` and each resource's contract-test module."""
    files = {
        PurePosixPath("tests/__init__.py"): env.get_template("tests_init.py.jinja").render(
            everything
        ),
        PurePosixPath("tests/_contract.py"): env.get_template("contract_helpers.py.jinja").render(
            everything
        ),
    }
    for code in codes:
        if code.contract is None:
            continue
        context = {
            "r": code,
            "res": code.resource,
            "source": code.resource.source,
            "d": code.contract,
        }
        files[PurePosixPath(f"tests/test_{code.resource.module}_contract.py")] = env.get_template(
            "contract_test.py.jinja"
        ).render(context)
    return files
