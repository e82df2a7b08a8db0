"""`naming.RESERVED_RESOURCE_NAMES` is complete: no legal resource name can shadow a generated name.

Every golden and the project's `generated/` are read with `ast`: any module-level name that a
resource accepted by `naming` would also bind (its class, or a schema or parameter name that
starts with it) fails the test, naming the entry the table lacks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator import naming
from generator.model import OPERATIONS
from tests.fixtures import ROOT
from tests.generator.test_golden import EXPECTED, success_cases

TREES = [case / EXPECTED for case in success_cases()] + [ROOT / "generated"]


def _bound_names(module: ast.Module) -> set[str]:
    """Every name a module binds at its top level: imports, assignments, defs and classes."""
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def _resources(tree: Path) -> set[str]:
    """The resource names of a generated tree: the classes its model modules define."""
    return {
        node.name
        for path in (tree / "models").glob("*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef) and path.stem != "base"
    }


@pytest.mark.parametrize("tree", TREES, ids=lambda tree: tree.parent.name)
def test_no_accepted_resource_name_clashes_with_a_generated_name(tree: Path) -> None:
    all_suffixes = ("", *naming.DERIVED_SUFFIXES)
    derived = {name + suffix for name in _resources(tree) for suffix in all_suffixes}
    clashes: list[str] = []
    for folder in ("models", "schemas", "routers"):
        # A schemas module binds only the derived names, never the resource's own class.
        suffixes = naming.DERIVED_SUFFIXES if folder == "schemas" else all_suffixes
        for path in sorted((tree / folder).glob("*.py")):
            if path.name == "base.py" or (path.name == "__init__.py" and folder != "models"):
                continue
            fixed = _bound_names(ast.parse(path.read_text(encoding="utf-8"))) - derived
            for name in sorted(fixed):
                for suffix in suffixes:
                    resource = name.removesuffix(suffix) if suffix else name
                    if (
                        name.endswith(suffix)
                        and naming.RESOURCE_NAME.match(resource)
                        and naming.resource_name_problem(resource) is None
                    ):
                        clashes.append(f"{path.relative_to(tree)}: {resource}{suffix}")
    assert clashes == [], "names missing from naming.RESERVED_RESOURCE_NAMES: " + ", ".join(clashes)


def test_framework_names_users_choose_are_legal_resource_names() -> None:
    for name in ("Request", "Response", "Query", "Path", "Index", "Select", "Status"):
        assert naming.resource_name_problem(name) is None, name


@pytest.mark.parametrize("tree", TREES, ids=lambda tree: tree.parent.name)
def test_route_functions_never_shadow_a_router_module_name(tree: Path) -> None:
    """Routes are named `<operation>_<resource>` inside `build_router`, whatever the resource:
    a module-level name of that form (`read_query` for a resource `Query`) would be hidden."""
    prefixes = tuple(f"{operation}_" for operation in OPERATIONS)
    for path in sorted((tree / "routers").glob("*.py")):
        names = _bound_names(ast.parse(path.read_text(encoding="utf-8")))
        assert not [name for name in names if name.startswith(prefixes)], path
