"""The served-path table: mount order and the 405 routes of paths that share a shape."""

from __future__ import annotations

from generator.model import OPERATIONS, ListSettings, Operation, Owner, Resource, Spec
from generator.routes import mount_order, served_paths


def _resource(name: str, path: str, operations: tuple[Operation, ...] = OPERATIONS) -> Resource:
    return Resource(
        name=name,
        module=name.lower(),
        description=None,
        table=name.lower(),
        path=path,
        owner=Owner(field=path.split("{")[1].split("}")[0], max_length=64, pattern="^[a-z]+$"),
        id_type="integer",
        timestamps=False,
        fields=(),
        list=ListSettings(default_limit=20, max_limit=100, default_sort="id"),
        operations=operations,
        source="spec.yaml",
        file="spec.yaml",
    )


def test_resources_that_share_no_url_keep_spec_order() -> None:
    tasks, notes = _resource("Task", "/{user_id}/tasks"), _resource("Note", "/{user_id}/notes")
    assert mount_order((tasks, notes)) == (tasks, notes)


def test_a_fixed_segment_is_mounted_before_the_placeholder_it_meets() -> None:
    jobs = _resource("Job", "/{user_id}/jobs")
    archive = _resource("Archive", "/{user_id}/jobs/archive", ("list",))
    others = _resource("Other", "/{user_id}/others")
    assert mount_order((jobs, others, archive)) == (others, archive, jobs)

    paths = served_paths(Spec(prefix="/api", resources=(jobs, others, archive), source="spec"))
    table = {path.template: (path.methods, path.refused) for path in paths}
    # /alice/jobs/archive is Archive's list, for every method: Job's item never sees it.
    assert table["/{user_id}/jobs/archive"] == (("GET",), ("DELETE", "PATCH", "POST", "PUT"))
    # Nothing served on Archive's item: every method answers 405 there, not 404.
    assert table["/{user_id}/jobs/archive/{id}"] == ((), ("DELETE", "GET", "PATCH", "POST", "PUT"))
    # Paths no other path can shadow need no hidden route.
    assert table["/{user_id}/jobs/{id}"] == (("DELETE", "GET", "PATCH", "PUT"), ())
    assert table["/{user_id}/others"] == (("GET", "POST"), ())
