"""The benchmark's settings, read from BENCH_* environment variables (see bench/README.md).

Everything here is pure: `load_config` turns an environment mapping into a `Config` or a
`BenchError` that names the variable, so a typo stops the run before anything is started.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.scenarios import EXTRA_SCENARIOS, FLOOR_SCENARIOS, SCALE_SCENARIOS, SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
LUA_DIR = ROOT / "bench" / "lua"
LOG_DIR = ROOT / ".bench"
# The two apps compared: their labels in the report, and the modules uvicorn serves.
GENERATED = "generated"
BASELINE = "baseline"
GENERATED_MODULE = "app.main"
BASELINE_MODULE = "bench.baseline.app"
# The decomposition's floor apps (bench/floor): labels and modules.
FLOOR_APPS = {
    "fastapi-asyncpg": "bench.floor.fastapi_asyncpg",
    "bare-asgi-asyncpg": "bench.floor.bare",
}
# Other processes using more of a CPU than this during a round make the report warn of noise.
NOISE_WARNING_PERCENT = 15.0


class BenchError(Exception):
    """A problem that stops the benchmark; the message says what to do."""


@dataclass(frozen=True)
class Config:
    scenarios: tuple[str, ...]
    rounds: int
    seconds: int
    warmup_seconds: int
    connections: int
    wrk_threads: int
    owners: int
    tasks_per_owner: int
    large_owners: int
    scale: bool
    pool_size: int
    max_overflow: int
    pg_url: str
    database: str
    large_database: str
    app_cpu: int
    wrk_cpu: int
    output: Path
    quick: bool
    app_env: dict[str, str] = field(default_factory=dict)
    workers: int = 2
    stack: bool = True
    decompose: bool = True

    @property
    def extra_scenarios(self) -> tuple[str, ...]:
        """The scenarios of the workers and server-stack runs: a read and the mix."""
        return tuple(s for s in EXTRA_SCENARIOS if s in self.scenarios)

    @property
    def floor_scenarios(self) -> tuple[str, ...]:
        """The scenarios the floor apps serve (bench/floor): the two reads."""
        return tuple(s for s in FLOOR_SCENARIOS if s in self.scenarios) if self.decompose else ()

    @property
    def rows(self) -> int:
        return self.owners * self.tasks_per_owner

    @property
    def large_rows(self) -> int:
        return self.large_owners * self.tasks_per_owner

    @property
    def scale_scenarios(self) -> tuple[str, ...]:
        if not self.scale:
            return ()
        return tuple(s for s in SCALE_SCENARIOS if s in self.scenarios)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BenchError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise BenchError(f"{name}={value} must be at least {minimum}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise BenchError(f"{name}={raw!r}: expected 1 or 0")


def parse_scenarios(raw: str) -> tuple[str, ...]:
    """`BENCH_SCENARIOS=list,get` -> ("list", "get"), in the canonical order; "" or "all" = all."""
    names = [name.strip() for name in raw.replace(" ", ",").split(",") if name.strip()]
    if not names or names == ["all"]:
        return SCENARIOS
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise BenchError(
            f"BENCH_SCENARIOS: unknown scenario(s) {', '.join(unknown)}; "
            f"choose from {', '.join(SCENARIOS)}"
        )
    return tuple(s for s in SCENARIOS if s in names)


def parse_app_env(raw: str) -> dict[str, str]:
    """`BENCH_APP_ENV="DB_POOL_PRE_PING=false X=1"` -> settings given to both apps."""
    settings: dict[str, str] = {}
    for item in shlex.split(raw):
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise BenchError(f"BENCH_APP_ENV: expected NAME=value items, got {item!r}")
        settings[name] = value
    return settings


def load_config(env: Mapping[str, str]) -> Config:
    """The settings from `env` (BENCH_* variables); `BENCH_QUICK=1` is a ~1 minute smoke run."""
    quick = _flag(env, "BENCH_QUICK", False)
    database = env.get("BENCH_DB", "bench").strip()
    large_database = env.get("BENCH_LARGE_DB", f"{database}_1m").strip()
    for name in (database, large_database):
        # The benchmark truncates its tables: never let it near a database someone else uses.
        if not re.fullmatch(r"bench[A-Za-z0-9_]*", name):
            raise BenchError(f"benchmark database {name!r} must be named bench* (it is wiped)")
    output = Path(env.get("BENCH_OUTPUT", str(ROOT / "bench" / "results" / "latest.md")))
    config = Config(
        scenarios=parse_scenarios(env.get("BENCH_SCENARIOS", "")),
        rounds=_int(env, "BENCH_ROUNDS", 1 if quick else 5),
        seconds=_int(env, "BENCH_SECONDS", 2 if quick else 5),
        warmup_seconds=_int(env, "BENCH_WARMUP_SECONDS", 1 if quick else 2, minimum=0),
        connections=_int(env, "BENCH_CONNECTIONS", 32),
        wrk_threads=_int(env, "BENCH_WRK_THREADS", 1),
        owners=_int(env, "BENCH_OWNERS", 1000),
        tasks_per_owner=_int(env, "BENCH_TASKS_PER_OWNER", 100),
        large_owners=_int(env, "BENCH_LARGE_OWNERS", 10000),
        scale=_flag(env, "BENCH_SCALE", True),
        pool_size=_int(env, "BENCH_POOL_SIZE", 32),
        max_overflow=_int(env, "BENCH_MAX_OVERFLOW", 10, minimum=0),
        pg_url=env.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/"),
        database=database,
        large_database=large_database,
        app_cpu=_int(env, "BENCH_APP_CPU", 0, minimum=0),
        wrk_cpu=_int(env, "BENCH_WRK_CPU", 1, minimum=0),
        output=output,
        quick=quick,
        app_env=parse_app_env(env.get("BENCH_APP_ENV", "")),
        workers=_int(env, "BENCH_WORKERS", 2),
        stack=_flag(env, "BENCH_STACK", True),
        decompose=_flag(env, "BENCH_DECOMPOSE", True),
    )
    if config.wrk_threads > config.connections:
        raise BenchError("BENCH_WRK_THREADS must not exceed BENCH_CONNECTIONS")
    return config
