"""Valid create bodies of every resource, taken from the generated contract tests.

The client tests drive any spec, so they take their rows where the generator put them: the
reference tests (`generated/tests/test_references.py`, every resource of a spec with `ref`
fields, with which targets a row needs) or else each resource's contract test module (ROWS).
Resources are keyed by their collection path with placeholders blanked (`/api/{}/tasks`), the
one name both those modules and the OpenAPI document give them.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def collection_key(path: str) -> str:
    """`/api/{user_id}/tasks` and `/api/{owner}/tasks` alike become `/api/{}/tasks`."""
    return _PLACEHOLDER.sub("{}", path)


@dataclass(frozen=True)
class Samples:
    """Bodies of one resource, and for each reference it must name, its target's key."""

    bodies: list[Json]
    required_refs: dict[str, str] = field(default_factory=dict)


def load_samples() -> dict[str, Samples]:
    """The samples of every resource the generated tests know, by collection key."""
    tests = importlib.import_module("generated.tests")
    modules = {info.name for info in pkgutil.iter_modules(tests.__path__)}
    if "test_references" in modules:
        refs = importlib.import_module("generated.tests.test_references")
        keys = {name: collection_key(api.collection_template) for name, api in refs.APIS.items()}
        return {
            keys[name]: Samples(
                list(refs.BODIES[name]),
                {
                    ref: keys[target]
                    for ref, target in refs.REQUIRED_REFS[name].items()
                    if target is not None
                },
            )
            for name in refs.APIS
        }
    found: dict[str, Samples] = {}
    for name in sorted(modules):
        if name.startswith("test_") and name.endswith("_contract"):
            module = importlib.import_module(f"generated.tests.{name}")
            found[collection_key(module.API.collection_template)] = Samples(list(module.ROWS))
    return found
