"""What the request-id, access-log and metrics layer costs a request, in CPU, in process.

`python -m bench.observer_cost`: serves `GET /api/{owner}/tasks/{id}` of the generated app
through plain ASGI calls (no HTTP server, no client), in four set-ups, rounds interleaved, and
prints the CPU time per request of each (thread time, so other processes on a busy machine do
not count) and its cost against the app without the layer. The database is a scratch SQLite
file, or the migrated PostgreSQL database `OBSERVER_COST_DATABASE_URL` names (asyncpg runs in
the app's thread, so all of a request's client-side work is counted). The HTTP server's
own work is left out, so the percentages are upper bounds of what a served request pays.
`make bench` with `BENCH_APP_ENV="METRICS=false"` measures the same under wrk, when the machine
is quiet enough for a few percent to show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Scope

from app.body_limit import BodyLimitedFastAPI
from app.main import create_app
from app.settings import Settings
from tests.fixtures import run_alembic

REQUESTS = int(os.environ.get("OBSERVER_COST_REQUESTS", "3000"))
ROUNDS = int(os.environ.get("OBSERVER_COST_ROUNDS", "7"))
HEADERS = [(b"host", b"bench"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    """An HTTP request's scope as uvicorn would pass it."""
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 1),
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _cpu_per_request(app: ASGIApp, path: str) -> float:
    """Microseconds of CPU per request in this thread (where the app and the layer run; other
    threads, such as aiosqlite's pollers, burn CPU by the wall-clock second), over REQUESTS."""
    statuses: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = _scope("GET", path, HEADERS)
    started = time.thread_time()
    for _ in range(REQUESTS):
        await app(dict(scope), _receive, send)
    spent = time.thread_time() - started
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected statuses {sorted(set(statuses))} for {path}")
    return spent / REQUESTS * 1e6


def _without_layer(app: FastAPI) -> ASGIApp:
    """The same app's middleware stack without `RequestObserver` (what it wraps)."""
    assert isinstance(app, BodyLimitedFastAPI)
    return BodyLimitedFastAPI.build_middleware_stack(app)


async def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("OBSERVER_COST_DATABASE_URL") or (
            f"sqlite+aiosqlite:///{Path(folder) / 'cost.db'}"
        )
        result = run_alembic(url, "upgrade", "head")
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 2
        on = create_app(Settings(database_url=url))
        off = create_app(Settings(database_url=url, metrics=False))
        setups: dict[str, tuple[ASGIApp, str]] = {
            "no layer (metrics off, no access line)": (_without_layer(off), "WARNING"),
            "layer, metrics off, access line off": (off, "WARNING"),
            "layer, metrics off, access line on": (off, "INFO"),
            "layer, metrics on, access line on (default)": (on, "INFO"),
        }
        with open(os.devnull, "w") as log_file, contextlib.redirect_stderr(log_file):
            task = (await _post(on)).decode()
        path = f"/api/cost/tasks/{task}"
        times: dict[str, list[float]] = {name: [] for name in setups}
        # The app's handler writes to stderr: here /dev/null, a file as a served app's would be.
        with open(os.devnull, "w") as log_file, contextlib.redirect_stderr(log_file):
            for round_number in range(ROUNDS):
                names = list(setups)
                random.Random(round_number).shuffle(names)  # no set-up always runs first
                for name in names:
                    app, level = setups[name]
                    logging.getLogger().setLevel(level)
                    times[name].append(await _cpu_per_request(app, path))
        # The least of the rounds: interference from the rest of the machine only adds CPU
        # time (cache misses, migrations), so the minimum is the closest to the code's own cost.
        base = min(times[next(iter(setups))])
        print(f"CPU per request, least and median of {ROUNDS} rounds x {REQUESTS} requests:")
        for name, values in times.items():
            least, middle = min(values), statistics.median(values)
            share = 100 * (least - base) / base
            print(f"  {name:45} {least:6.1f} us {share:+5.1f}%  (median {middle:6.1f} us)")
        for app in (on, off):
            await app.state.database.dispose()
    return 0


async def _post(app: FastAPI) -> bytes:
    """Creates the task every request reads; its id."""
    body = json.dumps({"title": "cost"}).encode()
    answer: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    length = str(len(body)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", length)]
    scope = _scope("POST", "/api/cost/tasks", headers)
    await app(scope, receive, send)
    return str(json.loads(b"".join(answer))["id"]).encode()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
