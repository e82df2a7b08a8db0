"""Three owners do everything the API offers, in random order, against an in-memory model.

After every step each owner's rows must be exactly what the model says, and every answer must
be what the contract gives: the owner's own rows answer, another owner's rows and deleted rows
answer 404 exactly like ids that never existed, and nothing a refused request names changes.
"""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.task_api import (
    INT64_MAX,
    PAGE_KEYS,
    Json,
    assert_error,
    assert_task,
    collection,
    complete_url,
    item,
    timestamp,
)

OWNERS = 3
SORTS = ["id", "created_at", "updated_at", "title"]
SORT_VALUES = [*SORTS, *(f"-{key}" for key in SORTS)]
DEFAULT_SORT = "-created_at"
DEFAULT_LIMIT = 20

MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    # No shrinking: replaying dozens of steps per attempt could take minutes; a failure is
    # reported with its full step sequence instead, and the run stays bounded.
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Few distinct characters, so titles collide (sort ties) and order by code point matters.
TITLE_CHARS = st.sampled_from(list("aAbB z_-'%;é😀Ω\u00a0"))
PADDING = st.sampled_from(["", " ", "\t", " \n "])
titles = st.builds(
    lambda pad, core, tail: pad + core + tail,
    PADDING,
    st.text(TITLE_CHARS, min_size=1, max_size=8).filter(lambda text: text.strip() != ""),
    PADDING,
)
descriptions = st.none() | st.text(st.sampled_from(list("xy \"'\\%\n😀")), max_size=12)


class Missing:
    """A field left out of a body."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


class Driver:
    """Synchronous calls into the in-process app, all on one event loop for the whole test."""

    def __init__(self, runner: asyncio.Runner, client: httpx.AsyncClient) -> None:
        self.runner = runner
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.runner.run(self.client.request(method, url, **kwargs))


@contextmanager
def driving(app: FastAPI) -> Iterator[Driver]:
    with asyncio.Runner() as runner:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        try:
            yield Driver(runner, client)
        finally:
            runner.run(client.aclose())
            runner.run(app.state.database.dispose())


def _sort_key(sort: str) -> tuple[str, bool]:
    return sort.lstrip("-"), sort.startswith("-")


def expected_order(rows: list[Json], sort: str) -> list[Json]:
    """The contract's order: the key, ties broken by id in the same direction."""
    key, descending = _sort_key(sort)

    def value(row: Json) -> tuple[Any, int]:
        if key == "id":
            return (0, row["id"])
        if key in ("created_at", "updated_at"):
            return (timestamp(row[key]), row["id"])
        return (row[key], row["id"])

    return sorted(rows, key=value, reverse=descending)


class OwnersMachine(RuleBasedStateMachine):
    """The model: every live row by owner, and the ids that were deleted."""

    driver: ClassVar[Driver]
    """Set by the test on a subclass: hypothesis creates the machine without arguments."""

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:10]
        self.owners = [f"sm{index}-{run}" for index in range(OWNERS)]
        self.rows: dict[str, dict[int, Json]] = {owner: {} for owner in self.owners}
        self.deleted: set[int] = set()

    # --- helpers ---------------------------------------------------------------------------

    def owner(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.owners), label="owner")

    def target(self, data: st.DataObject, owner: str) -> tuple[int, Json | None]:
        """An id for `owner` to name, and the row if it is theirs: own, foreign, gone, never."""
        kinds = ["never"]
        if self.rows[owner]:
            kinds += ["own", "own", "own"]
        foreign = sorted(
            row_id for other in self.owners if other != owner for row_id in self.rows[other]
        )
        if foreign:
            kinds.append("foreign")
        if self.deleted:
            kinds.append("gone")
        kind = data.draw(st.sampled_from(kinds), label="target")
        if kind == "own":
            row_id = data.draw(st.sampled_from(sorted(self.rows[owner])), label="own id")
            return row_id, self.rows[owner][row_id]
        if kind == "foreign":
            return data.draw(st.sampled_from(foreign), label="foreign id"), None
        if kind == "gone":
            return data.draw(st.sampled_from(sorted(self.deleted)), label="deleted id"), None
        return INT64_MAX, None

    def assert_written(self, response: httpx.Response, before: Json, expected: Json) -> Json:
        """A 200 write: the fields as expected, created_at kept, updated_at moved on."""
        assert response.status_code == 200, response.text
        task = assert_task(response.json())
        assert {key: task[key] for key in expected} == expected, (task, expected)
        assert task["id"] == before["id"] and task["user_id"] == before["user_id"]
        assert task["created_at"] == before["created_at"]
        assert timestamp(task["updated_at"]) > timestamp(before["updated_at"]), (before, task)
        return task

    def assert_missing(self, response: httpx.Response, row_id: int) -> None:
        error = assert_error(response, 404, "not_found")
        assert error["message"] == f"Task {row_id} not found", error

    # --- rules ------------------------------------------------------------------------------

    @initialize()
    def start_empty(self) -> None:
        for owner in self.owners:
            response = self.driver.request("GET", collection(owner))
            assert response.status_code == 200 and response.json()["total_count"] == 0

    @rule(
        data=st.data(),
        title=titles,
        description=descriptions | st.just(MISSING),
        completed=st.booleans() | st.just(MISSING),
    )
    def create(
        self, data: st.DataObject, title: str, description: object, completed: object
    ) -> None:
        owner = self.owner(data)
        body: Json = {"title": title}
        if description is not MISSING:
            body["description"] = description
        if completed is not MISSING:
            body["completed"] = completed
        response = self.driver.request("POST", collection(owner), json=body)
        assert response.status_code == 201, response.text
        task = assert_task(response.json())
        assert response.headers["location"] == item(owner, task["id"])
        assert task["user_id"] == owner
        assert task["title"] == title.strip()
        assert task["description"] == (None if description is MISSING else description)
        assert task["completed"] is (False if completed is MISSING else completed)
        assert task["created_at"] == task["updated_at"]
        assert all(task["id"] not in rows for rows in self.rows.values())
        assert task["id"] not in self.deleted, "an id was reused"
        self.rows[owner][task["id"]] = task

    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        owner = self.owner(data)
        row_id, row = self.target(data, owner)
        response = self.driver.request("GET", item(owner, row_id))
        if row is None:
            self.assert_missing(response, row_id)
        else:
            assert response.status_code == 200, response.text
            assert response.json() == row

    @rule(
        data=st.data(),
        completed=st.none() | st.booleans(),
        sort=st.none() | st.sampled_from(SORT_VALUES),
        offset=st.none() | st.integers(0, 8),
        limit=st.none() | st.integers(1, 6),
    )
    def list_rows(
        self,
        data: st.DataObject,
        completed: bool | None,
        sort: str | None,
        offset: int | None,
        limit: int | None,
    ) -> None:
        owner = self.owner(data)
        params: dict[str, str | int] = {}
        if completed is not None:
            params["completed"] = "true" if completed else "false"
        if sort is not None:
            params["sort"] = sort
        if offset is not None:
            params["offset"] = offset
        if limit is not None:
            params["limit"] = limit
        response = self.driver.request("GET", collection(owner), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == PAGE_KEYS

        matching = [
            row
            for row in self.rows[owner].values()
            if completed is None or row["completed"] is completed
        ]
        ordered = expected_order(matching, sort or DEFAULT_SORT)
        start, size = offset or 0, limit or DEFAULT_LIMIT
        assert page["data"] == ordered[start : start + size], (params, page)
        assert page["total_count"] == len(matching)
        assert page["has_more"] is (start + size < len(matching))
        assert (page["offset"], page["limit"]) == (start, size)

    @rule(
        data=st.data(),
        title=titles,
        description=descriptions | st.just(MISSING),
        completed=st.booleans() | st.just(MISSING),
    )
    def replace(
        self, data: st.DataObject, title: str, description: object, completed: object
    ) -> None:
        owner = self.owner(data)
        row_id, row = self.target(data, owner)
        body: Json = {"title": title}
        if description is not MISSING:
            body["description"] = description
        if completed is not MISSING:
            body["completed"] = completed
        response = self.driver.request("PUT", item(owner, row_id), json=body)
        if row is None:
            self.assert_missing(response, row_id)
            return
        expected = {
            "title": title.strip(),
            "description": None if description is MISSING else description,
            "completed": False if completed is MISSING else completed,
        }
        self.rows[owner][row_id] = self.assert_written(response, row, expected)

    @rule(
        data=st.data(),
        title=titles | st.just(MISSING),
        description=descriptions | st.just(MISSING),
        completed=st.booleans() | st.just(MISSING),
    )
    def update(
        self, data: st.DataObject, title: object, description: object, completed: object
    ) -> None:
        owner = self.owner(data)
        row_id, row = self.target(data, owner)
        body: Json = {}
        for key, value in (
            ("title", title),
            ("description", description),
            ("completed", completed),
        ):
            if value is not MISSING:
                body[key] = value
        response = self.driver.request("PATCH", item(owner, row_id), json=body)
        if row is None:
            self.assert_missing(response, row_id)
            return
        expected = {key: row[key] for key in ("title", "description", "completed")}
        expected |= body
        if isinstance(title, str):
            expected["title"] = title.strip()
        self.rows[owner][row_id] = self.assert_written(response, row, expected)

    @rule(data=st.data(), state=st.none() | st.booleans())
    def complete(self, data: st.DataObject, state: bool | None) -> None:
        owner = self.owner(data)
        row_id, row = self.target(data, owner)
        if state is None:
            response = self.driver.request("PATCH", complete_url(owner, row_id))
        else:
            response = self.driver.request(
                "PATCH", complete_url(owner, row_id), json={"completed": state}
            )
        if row is None:
            self.assert_missing(response, row_id)
            return
        expected = {
            "title": row["title"],
            "description": row["description"],
            "completed": (not row["completed"]) if state is None else state,
        }
        self.rows[owner][row_id] = self.assert_written(response, row, expected)

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        owner = self.owner(data)
        row_id, row = self.target(data, owner)
        response = self.driver.request("DELETE", item(owner, row_id))
        if row is None:
            self.assert_missing(response, row_id)
            return
        assert response.status_code == 204, response.text
        assert response.content == b""
        del self.rows[owner][row_id]
        self.deleted.add(row_id)

    # --- after every step ---------------------------------------------------------------------

    @invariant()
    def every_owner_sees_exactly_their_rows(self) -> None:
        for owner in self.owners:
            response = self.driver.request(
                "GET", collection(owner), params={"sort": "id", "limit": 100}
            )
            assert response.status_code == 200, response.text
            page = response.json()
            expected = expected_order(list(self.rows[owner].values()), "id")
            assert page["data"] == expected, owner
            assert page["total_count"] == len(expected)


def test_three_owners_doing_everything_match_the_model(own_app: FastAPI) -> None:
    with driving(own_app) as this_apps_driver:

        class OwnersOfThisApp(OwnersMachine):
            driver = this_apps_driver

        run_state_machine_as_test(OwnersOfThisApp, settings=MACHINE_SETTINGS)


def test_created_at_sort_follows_time_and_breaks_ties_by_id() -> None:
    """The model's own ordering, on rows with equal timestamps."""
    stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).isoformat().replace("+00:00", "Z")
    rows: list[Json] = [{"id": n, "created_at": stamp, "title": "a"} for n in (3, 1, 2)]
    assert [row["id"] for row in expected_order(rows, "created_at")] == [1, 2, 3]
    assert [row["id"] for row in expected_order(rows, "-created_at")] == [3, 2, 1]
    assert [row["id"] for row in expected_order(rows, "-title")] == [3, 2, 1]
