"""Which path serves which methods, and in what order the router must try the paths.

Everything that answers "what does this URL serve" reads `served_paths`: the routers (the
order they are mounted in and their hidden 405 routes), the table the app's `Allow` headers
come from, the API reference and the contract tests. Two resources' paths may overlap where
a placeholder meets a fixed segment (`/{user_id}/tasks/{id}` and `/owners/{owner}/notes`):
at the first segment where they differ, the fixed segment wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from generator.model import METHODS, OPERATION_ROUTES, Method, Resource, Spec, Where
from generator.naming import PLACEHOLDER

WHERE: tuple[Where, ...] = ("collection", "item")

MatchKey = tuple[tuple[int, str], ...]


def match_key(template: str) -> MatchKey:
    """Sorts URL templates in matching order: a fixed segment before a placeholder."""
    return tuple(
        (1, "") if PLACEHOLDER.match(segment) else (0, segment)
        for segment in template.split("/")[1:]
    )


def overlap(first: str, second: str) -> bool:
    """Whether some URL matches both templates (a placeholder matches any one segment)."""
    mine, theirs = match_key(first), match_key(second)
    return len(mine) == len(theirs) and all(
        a == b or (1, "") in (a, b) for a, b in zip(mine, theirs, strict=True)
    )


@dataclass(frozen=True)
class ServedPath:
    """One URL template of a resource and what it answers."""

    resource: Resource
    where: Where
    template: str
    """Below the API prefix, as the router declares it: `/{user_id}/tasks/{id}`."""
    methods: tuple[Method, ...]
    """The methods its operations serve; any other method answers 405."""
    refused: tuple[Method, ...]
    """Methods a hidden route must answer with 405, because otherwise the router would try
    a later path that serves them (overlapping paths), or no route at all (nothing served)."""


def mount_order(resources: tuple[Resource, ...]) -> tuple[Resource, ...]:
    """The resources in spec order, except that one whose path loses an overlap waits for the
    resource that wins it.

    Each router holds a resource's collection and item routes. Whichever routes of two
    resources overlap, the winner's item template sorts first by `match_key` (an item path
    is its collection path plus a placeholder), so that order is total and never cycles.
    """
    waiting = list(resources)
    ordered: list[Resource] = []
    while waiting:
        first = next(
            resource
            for resource in waiting
            if not any(_must_precede(other, resource) for other in waiting if other is not resource)
        )
        ordered.append(first)
        waiting.remove(first)
    return tuple(ordered)


def _must_precede(first: Resource, second: Resource) -> bool:
    """Some URL matches a route of both, and `first`'s route wins it."""
    return match_key(first.path_of("item")) < match_key(second.path_of("item")) and any(
        overlap(first.path_of(a), second.path_of(b)) for a in WHERE for b in WHERE
    )


def served_paths(spec: Spec) -> tuple[ServedPath, ...]:
    """Every path of the spec in the order the app tries them, with its methods."""
    paths = [
        (resource, where, resource.path_of(where))
        for resource in mount_order(spec.resources)
        for where in WHERE
    ]
    served: list[ServedPath] = []
    for index, (resource, where, template) in enumerate(paths):
        methods = resource.served_methods(where)
        shadows = any(overlap(template, later) for _, _, later in paths[index + 1 :])
        refused = tuple(m for m in METHODS if m not in methods) if shadows or not methods else ()
        served.append(ServedPath(resource, where, template, methods, refused))
    return tuple(served)


class Unserved(NamedTuple):
    """An operation the spec leaves out: the request that now answers 405, and its `Allow`."""

    method: Method
    where: Where
    allowed: str


def unserved(resource: Resource) -> tuple[Unserved, ...]:
    return tuple(
        Unserved(method, where, ", ".join(resource.served_methods(where)))
        for operation, (method, where) in OPERATION_ROUTES.items()
        if not resource.serves(operation)
    )
