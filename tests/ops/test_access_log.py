"""One access line per request: method, route template, status, duration, request id; plain or
JSON lines; never a body, a header value, a query string or a SQL parameter."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.logs import configure_logging
from app.main import create_app
from app.settings import Settings
from tests.ops.capture import captured_logs
from tests.task_api import collection, create, item

pytestmark = pytest.mark.anyio

SECRET = "s3cret-value-0f9e"
PLAIN_ACCESS = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO app\.access \[(?P<id>[^\]]+)\] "
    r"(?P<method>[A-Z]+) (?P<route>\S+) (?P<status>\d{3}) (?P<ms>\d+\.\d\d)ms$"
)


def access_lines(lines: list[str]) -> list[re.Match[str]]:
    return [match for line in lines if (match := PLAIN_ACCESS.match(line))]


async def test_one_plain_line_per_request_names_the_route_not_the_path(
    client: httpx.AsyncClient, owner: str
) -> None:
    task = await create(client, owner, title="logged")
    with captured_logs() as logs:
        await client.get(item(owner, task["id"]), headers={"X-Request-ID": "read-1"})
        await client.get(collection(owner), headers={"X-Request-ID": "list-1"})
        await client.get("/no/such/route", headers={"X-Request-ID": "miss-1"})
    found = [m.groupdict() for m in access_lines(logs.lines())]
    assert [(f["id"], f["method"], f["route"], f["status"]) for f in found] == [
        ("read-1", "GET", "/api/{user_id}/tasks/{id}", "200"),
        ("list-1", "GET", "/api/{user_id}/tasks", "200"),
        ("miss-1", "GET", "unmatched", "404"),
    ], logs.text
    assert owner not in logs.text  # the raw path is not logged


async def test_json_lines_carry_the_same_fields(client: httpx.AsyncClient, owner: str) -> None:
    with captured_logs("json") as logs:
        response = await client.post(
            collection(owner), json={"title": "json"}, headers={"X-Request-ID": "create-1"}
        )
    assert response.status_code == 201, response.text
    access = [line for line in logs.records() if line["logger"] == "app.access"]
    assert len(access) == 1, logs.text
    line = access[0]
    assert line["request_id"] == "create-1"
    assert (line["method"], line["route"], line["status"]) == ("POST", "/api/{user_id}/tasks", 201)
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")


async def test_no_body_header_value_or_query_string_is_logged(
    client: httpx.AsyncClient, owner: str
) -> None:
    with captured_logs() as logs:
        await client.post(
            collection(owner),
            json={"title": SECRET, "completed": SECRET},  # a 422 whose input is the secret
            headers={"Authorization": f"Bearer {SECRET}", "Cookie": f"session={SECRET}"},
        )
        await client.get(collection(owner), params={"title": SECRET, "token": SECRET})
    assert len(access_lines(logs.lines())) == 2, logs.text
    assert SECRET not in logs.text


async def test_sql_parameters_stay_out_of_database_errors(app_for_errors: Settings) -> None:
    """The engine hides bound values, so an error's message (and a logged traceback) never
    quotes what a client sent."""
    app = create_app(app_for_errors)
    try:
        async with app.state.database.connect() as conn:
            with pytest.raises(DBAPIError) as raised:
                await conn.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": SECRET})
        assert "no_such_table" in str(raised.value)
        assert SECRET not in str(raised.value)
    finally:
        await app.state.database.dispose()


@pytest.fixture
def app_for_errors(database_url: str) -> Settings:
    return Settings(database_url=database_url)


def test_uvicorns_access_log_is_off_and_its_lines_share_the_format() -> None:
    """uvicorn's own access line would log the raw path without the request id, twice per
    request beside ours; its other lines go through the app's handler (JSON too)."""
    configure_logging(Settings(log_format="json"))
    try:
        assert logging.getLogger("uvicorn.access").disabled
        server = logging.getLogger("uvicorn.error")
        assert server.propagate and not server.handlers
        with captured_logs("json") as logs:
            server.info("Application startup complete.")
        assert json.loads(logs.lines()[-1])["message"] == "Application startup complete."
    finally:
        configure_logging(Settings())
