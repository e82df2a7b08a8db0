"""The views of the package indexes: `models/__init__.py` and `routers/__init__.py`."""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import Spec
from generator.routes import ServedPath, mount_order


@dataclass(frozen=True)
class ModelsIndexView:
    """What `models_init.py.jinja` shows: every model, so importing it fills the metadata."""

    imports: tuple[tuple[str, str], ...]
    """(module, class) of the base and of every model, sorted for the import block."""
    names: tuple[str, ...]
    idempotency_owner_length: int | None
    """With `api.idempotency`: the key table's owner column fits every resource's owner."""


@dataclass(frozen=True)
class RoutersIndexView:
    """What `routers_init.py.jinja` shows: builders in mount order and the served paths."""

    prefix: str
    modules: tuple[str, ...]
    """Every router module, sorted for the import line."""
    builders: tuple[str, ...]
    """The router modules in the order the app must mount them (see `routes.mount_order`)."""
    served: tuple[ServedPath, ...]


def models_index_view(spec: Spec) -> ModelsIndexView:
    imports = sorted([("base", "Base")] + [(r.module, r.name) for r in spec.resources])
    owner_length = (
        max(resource.owner.max_length for resource in spec.resources)
        if spec.idempotency is not None
        else None
    )
    return ModelsIndexView(tuple(imports), tuple(sorted(name for _, name in imports)), owner_length)


def routers_index_view(spec: Spec, served: tuple[ServedPath, ...]) -> RoutersIndexView:
    return RoutersIndexView(
        prefix=spec.prefix,
        modules=tuple(sorted(resource.module for resource in spec.resources)),
        builders=tuple(resource.module for resource in mount_order(spec.resources)),
        served=served,
    )
