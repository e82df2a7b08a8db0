"""The served app, started as `make serve` starts it: every line JSON with `LOG_FORMAT=json`,
one access line per request (uvicorn's own is off), and bad settings refused by name."""

from __future__ import annotations

import json

import httpx
import pytest

from app.settings import ConfigError, load_settings
from tests.fixtures import server_process


def test_with_log_format_json_every_line_is_json_and_each_request_logs_once(
    sqlite_url: str,
) -> None:
    with server_process(sqlite_url, env={"LOG_FORMAT": "json"}) as server:
        for n in range(3):
            headers = {"X-Request-ID": f"served-{n}"}
            response = httpx.get(f"{server.base_url}/api/alice/tasks", headers=headers)
            assert response.status_code == 200, response.text
            assert response.headers["x-request-id"] == f"served-{n}"
    output = server.output()
    lines = [json.loads(line) for line in output.splitlines()]  # fails on any plain line
    access = [line for line in lines if line["logger"] == "app.access"]
    served = [line for line in access if line["request_id"].startswith("served-")]
    assert [line["request_id"] for line in served] == ["served-0", "served-1", "served-2"]
    assert {line["route"] for line in served} == {"/api/{user_id}/tasks"}
    assert not [line for line in lines if line["logger"] == "uvicorn.access"], output
    assert any("Application startup complete" in line["message"] for line in lines)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "loud"), ("METRICS", "maybe")],
)
def test_a_bad_value_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"(?i){variable}: .*got '{value}'"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("LOG_FORMAT", "JSON", "log_format", "json"),
        ("LOG_LEVEL", "warning", "log_level", "WARNING"),
        ("METRICS", "false", "metrics", False),
        ("METRICS", "0", "metrics", False),
    ],
)
def test_values_are_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected
