"""The two app servers: their command (read from `make -n serve`), environment and process."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import GENERATED_MODULE, ROOT, BenchError, Config
from bench.database import database_url


def serve_command_from_make(dry_run: str) -> list[str]:
    """The uvicorn command line of `make -n serve` output (its last uvicorn line)."""
    lines = [line for line in dry_run.splitlines() if re.search(r"\buvicorn\b", line)]
    if not lines:
        raise ValueError("`make -n serve` prints no uvicorn command")
    return shlex.split(lines[-1])


def with_app_module(command: Sequence[str], module: str) -> list[str]:
    """The same server command serving `module` instead of the generated app's `app.main`."""
    swapped = [
        f"{module}:{arg.split(':', 1)[1]}" if arg.startswith(f"{GENERATED_MODULE}:") else arg
        for arg in command
    ]
    if swapped == list(command):
        raise ValueError(f"no {GENERATED_MODULE}:<attribute> in {shlex.join(command)}")
    return swapped


def with_options(command: Sequence[str], **options: str) -> list[str]:
    """`command` with each `--name value` set: replaced where given, appended where not."""
    result = list(command)
    for name, value in options.items():
        flag = f"--{name}"
        if flag in result[:-1]:
            result[result.index(flag) + 1] = value
        else:
            result += [flag, value]
    return result


ASYNCIO_H11 = {"loop": "asyncio", "http": "h11"}
"""uvicorn without its `[standard]` extras: the stdlib event loop and the pure-Python parser."""


def server_stack() -> str:
    """What uvicorn's `auto` picks in this environment: uvloop and httptools when installed."""
    found = []
    for module, fallback in (("uvloop", "asyncio"), ("httptools", "h11")):
        try:
            __import__(module)
            found.append(module)
        except ImportError:
            found.append(fallback)
    return "/".join(found)


@dataclass
class App:
    """One uvicorn process serving one app on one database."""

    label: str
    command: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise BenchError(f"the {self.label} app is not running; its log:\n{self.log_tail()}")

    def wait_ready(self, probe_path: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(OSError):
                status, _, _ = http_request("GET", self.url + probe_path, timeout=2)
                if status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"the {self.label} app did not answer in {timeout_s:.0f} s")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the benchmark dies, even by SIGKILL, so no
    server is left pinned to the app CPU."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def serve_command(port: int) -> list[str]:
    """The uvicorn command that `make serve` runs, on `port` (read from `make -n serve`)."""
    args = ["HOST=127.0.0.1", f"PORT={port}", "WORKERS=1"]
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    try:
        return serve_command_from_make(result.stdout)
    except ValueError:
        raise BenchError(
            f"cannot read the server command from `make -n serve`:\n{result.stdout}{result.stderr}"
        ) from None


APP_SETTING_PREFIXES = ("DATABASE_URL", "DB_", "MAX_BODY_BYTES")


def app_env(config: Config, database: str) -> dict[str, str]:
    """The apps' environment: the caller's, less any app setting it had, plus the benchmark's.

    Inherited app settings (`DB_POOL_PRE_PING=false` in someone's shell, say) are dropped so
    that the apps run with exactly the settings the report states; `BENCH_APP_ENV` is the way
    to give both apps extra settings, and the report shows it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_SETTING_PREFIXES)}
    env.update(
        DATABASE_URL=database_url(config, database),
        DB_POOL_SIZE=str(config.pool_size),
        DB_MAX_OVERFLOW=str(config.max_overflow),
    )
    env.update(config.app_env)
    return env


def http_request(
    method: str, url: str, body: Any = None, timeout: float = 10
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status, headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw = error.read()
        status, headers = error.code, dict(error.headers)
    return status, headers, json.loads(raw) if raw else None
