"""How much of an over-limit body the server reads before its 413, on a real server.

Up to 16 MiB past the limit the rest of the body is read and thrown away, so a client still
sending gets its 413 (and keeps its connection, where it asked to); past that the 413 says
`Connection: close` and the connection is closed, so no client makes a worker read a body of
any size it likes.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.body_limit import DRAIN_BYTES
from tests.fixtures import ServerProcess, server_process
from tests.task_api import MIB

SOCKET_TIMEOUT = 30.0
HEAD = "POST /api/alice/tasks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
PIECE = b" " * (256 * 1024)


@pytest.fixture(scope="module")
def server(sqlite_url: str) -> Iterator[ServerProcess]:
    with server_process(sqlite_url) as running:
        yield running


def connect(server: ServerProcess) -> socket.socket:
    address = urlsplit(server.base_url)
    assert address.hostname is not None and address.port is not None
    connection = socket.create_connection((address.hostname, address.port))
    connection.settimeout(SOCKET_TIMEOUT)
    return connection


def read_answer(connection: socket.socket) -> tuple[int, dict[str, str]]:
    """The status and headers of one answer, its body read to its Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"the connection closed before an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers["content-length"]):
        chunk = connection.recv(65536)
        assert chunk, "the connection closed inside an answer"
        body += chunk
    return int(status_line.split()[1]), headers


def send_chunked(connection: socket.socket, size: int) -> int:
    """Send `size` bytes of chunked body (no last chunk); how many were sent before the
    server closed the connection."""
    sent = 0
    try:
        while sent < size:
            connection.sendall(f"{len(PIECE):x}\r\n".encode() + PIECE + b"\r\n")
            sent += len(PIECE)
    except (ConnectionResetError, BrokenPipeError):  # the server closed the connection
        pass
    return sent


def the_next_request_is_answered(connection: socket.socket) -> None:
    connection.sendall(b"GET /api/alice/tasks HTTP/1.1\r\nHost: test\r\n\r\n")
    status, _ = read_answer(connection)
    assert status == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_within_the_bound_is_drained_and_the_connection_kept(
    server: ServerProcess, chunked: bool
) -> None:
    size = 10 * MIB
    with connect(server) as connection:
        if chunked:
            connection.sendall(f"{HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
            assert send_chunked(connection, size) == size
            connection.sendall(b"0\r\n\r\n")
        else:
            connection.sendall(f"{HEAD}Content-Length: {size}\r\n\r\n".encode())
            connection.sendall(b" " * size)
        status, headers = read_answer(connection)
        assert status == 413
        assert headers.get("connection", "").lower() != "close", headers
        the_next_request_is_answered(connection)


@pytest.mark.parametrize(
    ("version", "extra"),
    [("1.1", "Connection: close\r\n"), ("1.0", "")],
    ids=["connection-close", "http-1.0"],
)
def test_a_body_within_the_bound_on_a_connection_the_server_closes_still_gets_its_413(
    server: ServerProcess, version: str, extra: str
) -> None:
    """The server closes such a connection right after the answer, without reading what the
    app left: the body is drained before the 413, so closing sends no reset."""
    size = 10 * MIB
    head = HEAD.replace("HTTP/1.1", f"HTTP/{version}")
    with connect(server) as connection:
        connection.sendall(f"{head}{extra}Content-Length: {size}\r\n\r\n".encode())
        connection.sendall(b" " * size)
        status, headers = read_answer(connection)
        assert status == 413
        assert headers["connection"].lower() == "close", headers
        assert connection.recv(1) == b""


def test_a_client_waiting_for_100_continue_gets_its_413_and_the_connection_closes(
    server: ServerProcess,
) -> None:
    with connect(server) as connection:
        expect = "Expect: 100-continue\r\n"
        connection.sendall(f"{HEAD}{expect}Content-Length: {2 * MIB}\r\n\r\n".encode())
        status, headers = read_answer(connection)
        assert status == 413, "the server asked for the body it refuses"
        assert headers["connection"].lower() == "close", headers
        assert connection.recv(1) == b""


def test_a_declared_length_past_the_bound_is_answered_at_once_and_closed(
    server: ServerProcess,
) -> None:
    with connect(server) as connection:
        connection.sendall(f"{HEAD}Content-Length: {1024 * MIB}\r\n\r\n".encode())
        status, headers = read_answer(connection)
        assert status == 413
        assert headers["connection"].lower() == "close", headers
        assert connection.recv(1) == b"", "the server kept the connection open"


def test_an_endless_chunked_body_is_read_to_the_bound_then_closed(
    server: ServerProcess,
) -> None:
    """The client sends far more than the bound and reads at the same time: the server stops
    reading soon after the bound (the kernels' buffers hold a few MiB more) and answers 413
    with `Connection: close`, which the client may or may not read before the reset."""
    attempted = 64 * DRAIN_BYTES
    answers: list[tuple[int, dict[str, str]] | BaseException] = []
    with connect(server) as connection:

        def read() -> None:
            try:
                answers.append(read_answer(connection))
            except (ConnectionResetError, AssertionError) as error:  # closed, maybe reset
                answers.append(error)

        reader = threading.Thread(target=read)
        reader.start()
        connection.sendall(f"{HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
        sent = send_chunked(connection, attempted)
        reader.join(SOCKET_TIMEOUT)
    assert sent < 3 * DRAIN_BYTES, f"the server read {sent // MIB} MiB of an endless body"
    assert answers, "no answer and no reset"
    answer = answers[0]
    assert not isinstance(answer, TimeoutError), "the server neither answered nor closed"
    if not isinstance(answer, BaseException):
        status, headers = answer
        assert status == 413
        assert headers["connection"].lower() == "close", headers
