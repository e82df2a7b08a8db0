"""The served app, started as `make serve` starts it: every line JSON with `LOG_FORMAT=json`,
one access line per request (uvicorn's own is off), and bad settings refused by name."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

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


CUT_BODIES = {
    "declared length": b'Content-Length: 100\r\n\r\n{"title":',
    "chunked": b'Transfer-Encoding: chunked\r\n\r\n9\r\n{"title":\r\n',
}


def _leave_mid_body(base_url: str, method: str, path: str, body: bytes) -> None:
    """Send the head and part of the body, then close the connection without waiting."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port)) as connection:
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        connection.sendall(head.encode() + body)
        time.sleep(0.2)  # the server has read what was sent and waits for the rest


def test_a_client_that_leaves_before_its_answer_is_logged_and_counted_as_499(
    sqlite_url: str,
) -> None:
    """No answer reached it, so neither the 422 the app gives a cut body nor a 500 is what
    happened: nginx's 499 is, in the access line and in the metrics."""
    with server_process(sqlite_url, env={"LOG_FORMAT": "json"}) as server:
        for body in CUT_BODIES.values():
            _leave_mid_body(server.base_url, "POST", "/api/alice/tasks", body)
        _leave_mid_body(server.base_url, "PUT", "/api/alice/tasks/1", CUT_BODIES["chunked"])
        created = httpx.post(f"{server.base_url}/api/alice/tasks", json={"title": "after"})
        assert created.status_code == 201, created.text
        counted = (
            'route="/api/{user_id}/tasks",status="499"} 2.0',
            'route="/api/{user_id}/tasks/{id}",status="499"} 1.0',
        )
        deadline = time.monotonic() + 5
        while True:
            metrics = httpx.get(f"{server.base_url}/metrics").text
            if all(line in metrics for line in counted):
                break
            assert time.monotonic() < deadline, metrics
            time.sleep(0.05)
    lines = [json.loads(line) for line in server.output().splitlines()]
    access = [
        (line["method"], line["status"])
        for line in lines
        if line["logger"] == "app.access" and line["route"].startswith("/api/")
    ]
    assert access == [("POST", 499), ("POST", 499), ("PUT", 499), ("POST", 201)]
    assert not [line for line in lines if line["level"] == "ERROR"], lines


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
