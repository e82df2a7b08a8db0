"""`make bench`: the generated Task API against a hand-written FastAPI + SQLAlchemy ORM peer.

What it does, in order:
1. checks its tools (wrk, taskset) and PostgreSQL, and prints the machine and the settings;
2. creates its own databases (`bench`, and `bench_1m` for the scale run), migrates them with the
   project's Alembic revisions and seeds them server-side (`INSERT ... SELECT generate_series`,
   secondary indexes rebuilt afterwards, then `VACUUM ANALYZE`);
3. starts the generated app exactly as `make serve` does (the uvicorn command is read from
   `make -n serve`) and the baseline with the same command and options, each pinned to one CPU
   with taskset, and checks that both serve the same answers;
4. per scenario, drives each app with wrk (pinned to the other CPU) in interleaved rounds,
   alternating which app goes first (A B B A ...), after a warm-up; rows created by a round are
   deleted and the table vacuumed after every write round, so each round starts alike;
5. measures list and get of the generated app at N rows against 10x N rows (two databases,
   interleaved the same way);
6. prints the tables, the ratios and the targets of issue 7, and writes them to
   bench/results/latest.md (raw rounds in .bench/latest.json).

Per round it records wrk's req/s and latency percentiles, the status of every response (any
unexpected status or socket error makes the run fail, loudly), the app's CPU time from
/proc/<pid>/stat, PostgreSQL's CPU time (the backends of the benchmark database and the
server's background processes), CPU used by anything else on the machine (noise), and the app's
VmRSS.

Settings come from BENCH_* environment variables: see `load_config` and bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime
import importlib.metadata
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
LUA_DIR = ROOT / "bench" / "lua"
LOG_DIR = ROOT / ".bench"

SCENARIOS = ("list", "get", "create", "update", "complete", "mixed")
SCALE_SCENARIOS = ("list", "get")
WRITE_SCENARIOS = frozenset({"create", "update", "complete", "mixed"})
EXPECTED_STATUSES: dict[str, frozenset[int]] = {
    "list": frozenset({200}),
    "get": frozenset({200}),
    "create": frozenset({201}),
    "update": frozenset({200}),
    "complete": frozenset({200}),
    "mixed": frozenset({200, 201}),
}
SCENARIO_HELP = {
    "list": "GET first page (20) of a random owner",
    "get": "GET a random owner's random task",
    "create": "POST a task for a random owner",
    "update": "PUT a random task (full replace)",
    "complete": "PATCH /complete, no body (toggle)",
    "mixed": "40% list, 40% get, 5% create, 10% PUT, 5% complete",
}
GENERATED = "generated"
BASELINE = "baseline"
GENERATED_MODULE = "app.main"
BASELINE_MODULE = "bench.baseline.app"
WRK_INSTALL_HELP = (
    "wrk is not installed. Install it with:\n"
    "  apt-get update && apt-get install -y wrk     # Debian / Ubuntu (as root)\n"
    "  brew install wrk                              # macOS\n"
    "then run `make bench` again."
)
# Targets of issue 7.
TARGET_RPS_RATIO = 1.5
TARGET_SCALE_P50_RATIO = 1.2
RSS_GROWTH_TOLERANCE = 0.05
NOISE_WARNING_PERCENT = 15.0


class BenchError(Exception):
    """A problem that stops the benchmark; the message says what to do."""


# --- configuration --------------------------------------------------------------------------


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
    )
    if config.wrk_threads > config.connections:
        raise BenchError("BENCH_WRK_THREADS must not exceed BENCH_CONNECTIONS")
    return config


# --- parsing wrk and /proc (pure) ----------------------------------------------------------

_TIME_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def parse_duration_us(text: str) -> float:
    """wrk's time format ("812.00us", "12.34ms", "1.02s", "2.00m") in microseconds."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(us|ms|s|m|h)\s*", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _TIME_UNITS_US[match.group(2)]


@dataclass(frozen=True)
class WrkResult:
    """One wrk run, as parsed from its output (wrk's report plus the BENCH lines of common.lua)."""

    requests_per_sec: float
    requests: int
    duration_s: float
    latency_us: dict[int, float]
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    non_2xx_3xx: int = 0

    @property
    def p50_us(self) -> float:
        return self.latency_us.get(50, float("nan"))

    @property
    def p99_us(self) -> float:
        return self.latency_us.get(99, float("nan"))

    def unexpected(self, expected: Iterable[int]) -> dict[int, int]:
        """Responses whose status is not one of `expected`, by status."""
        allowed = set(expected)
        return {status: n for status, n in self.statuses.items() if status not in allowed}

    def error_count(self, expected: Iterable[int]) -> int:
        """Unexpected statuses plus socket errors: anything but 0 makes the run fail."""
        return sum(self.unexpected(expected).values()) + sum(self.socket_errors.values())


class WrkParseError(ValueError):
    pass


def parse_wrk_output(text: str) -> WrkResult:
    """Parse wrk's `--latency` report and the `BENCH` lines printed by bench/lua/common.lua."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ([0-9.]+\s*(?:us|ms|s|m|h)),", text, re.MULTILINE)
    if rps is None or total is None:
        raise WrkParseError("no 'Requests/sec' / 'N requests in' lines in wrk's output")
    latency: dict[int, float] = {}
    distribution = re.search(r"Latency Distribution\n((?:\s+\d+%\s+\S+\n?)+)", text)
    if distribution is not None:
        for line in distribution.group(1).splitlines():
            percent, value = line.split()
            latency[int(percent.rstrip("%"))] = parse_duration_us(value)
    precise = re.search(r"^BENCH latency_us p50 (\d+) p90 (\d+) p99 (\d+)", text, re.MULTILINE)
    if precise is not None:  # the same histogram, in whole microseconds
        latency.update({50: float(precise[1]), 90: float(precise[2]), 99: float(precise[3])})
    statuses: dict[int, int] = {}
    status_line = re.search(r"^BENCH statuses ?(.*)$", text, re.MULTILINE)
    if status_line is None:
        raise WrkParseError("no 'BENCH statuses' line: was wrk run with a bench/lua script?")
    for part in status_line.group(1).split(","):
        if part.strip():
            status, count = part.split(":")
            statuses[int(status)] = statuses.get(int(status), 0) + int(count)
    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if errors is not None:
        socket_errors = dict(zip(socket_errors, map(int, errors.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkResult(
        requests_per_sec=float(rps.group(1)),
        requests=int(total.group(1)),
        duration_s=parse_duration_us(total.group(2)) / 1e6,
        latency_us=latency,
        statuses=statuses,
        socket_errors=socket_errors,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def parse_proc_stat(text: str) -> tuple[str, int]:
    """(comm, utime + stime in clock ticks) from the text of /proc/<pid>/stat."""
    # comm is in parentheses and may itself contain spaces or ')': split at the last ')'.
    open_paren, close_paren = text.index("("), text.rindex(")")
    comm = text[open_paren + 1 : close_paren]
    fields = text[close_paren + 2 :].split()
    # After comm the fields start at number 3 (state); utime and stime are numbers 14 and 15.
    return comm, int(fields[14 - 3]) + int(fields[15 - 3])


def parse_vm_rss_kib(text: str) -> int:
    """VmRSS in KiB from the text of /proc/<pid>/status."""
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    if match is None:
        raise ValueError("no VmRSS line (has the process exited?)")
    return int(match.group(1))


def parse_cpu_busy_ticks(proc_stat: str) -> int:
    """Busy clock ticks of all CPUs from /proc/stat (everything but idle and iowait)."""
    fields = proc_stat.splitlines()[0].split()
    assert fields[0] == "cpu", "the first line of /proc/stat is the total"
    values = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(values) - values[3] - values[4]


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


# --- statistics (pure) ----------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    """The median, or NaN for no values."""
    items = [v for v in values if v == v]  # drop NaN
    return statistics.median(items) if items else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when either is missing or the denominator is 0."""
    if numerator != numerator or denominator != denominator or denominator == 0:
        return float("nan")
    return numerator / denominator


@dataclass(frozen=True)
class Sample:
    """One measured round of one app in one scenario."""

    phase: str
    scenario: str
    app: str
    round: int
    requests_per_sec: float
    requests: int
    duration_s: float
    p50_us: float
    p90_us: float
    p99_us: float
    app_cpu_s: float
    pg_cpu_s: float
    other_cpu_s: float
    rss_kib: int
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    errors: int

    @property
    def app_cpu_us_per_request(self) -> float:
        return ratio(self.app_cpu_s * 1e6, self.requests)

    @property
    def pg_cpu_us_per_request(self) -> float:
        return ratio(self.pg_cpu_s * 1e6, self.requests)

    @property
    def app_cpu_percent(self) -> float:
        return ratio(self.app_cpu_s * 100, self.duration_s)

    @property
    def other_cpu_percent(self) -> float:
        return ratio(self.other_cpu_s * 100, self.duration_s)


@dataclass(frozen=True)
class Summary:
    """The rounds of one app in one scenario, reduced to medians (RSS: max and growth)."""

    scenario: str
    app: str
    rounds: int
    requests_per_sec: float
    p50_us: float
    p99_us: float
    app_cpu_us_per_request: float
    app_cpu_percent: float
    pg_cpu_us_per_request: float
    rss_max_kib: int
    rss_growth_kib: int
    errors: int
    other_cpu_percent_max: float


def summarise(samples: Sequence[Sample]) -> Summary:
    """Median req/s, p50, p99 and CPU per request over the rounds; RSS max and last - first."""
    if not samples:
        raise ValueError("no samples to summarise")
    ordered = sorted(samples, key=lambda s: s.round)
    return Summary(
        scenario=ordered[0].scenario,
        app=ordered[0].app,
        rounds=len(ordered),
        requests_per_sec=median(s.requests_per_sec for s in ordered),
        p50_us=median(s.p50_us for s in ordered),
        p99_us=median(s.p99_us for s in ordered),
        app_cpu_us_per_request=median(s.app_cpu_us_per_request for s in ordered),
        app_cpu_percent=median(s.app_cpu_percent for s in ordered),
        pg_cpu_us_per_request=median(s.pg_cpu_us_per_request for s in ordered),
        rss_max_kib=max(s.rss_kib for s in ordered),
        rss_growth_kib=ordered[-1].rss_kib - ordered[0].rss_kib,
        errors=sum(s.errors for s in ordered),
        other_cpu_percent_max=max(s.other_cpu_percent for s in ordered),
    )


def round_ratios(
    samples: Sequence[Sample], numerator_app: str, denominator_app: str
) -> list[float]:
    """req/s of `numerator_app` over `denominator_app`, round by round (same round numbers)."""
    by_round: dict[int, dict[str, float]] = {}
    for sample in samples:
        by_round.setdefault(sample.round, {})[sample.app] = sample.requests_per_sec
    return [
        ratio(pair[numerator_app], pair[denominator_app])
        for _, pair in sorted(by_round.items())
        if numerator_app in pair and denominator_app in pair
    ]


def interleaved_order(round_index: int, apps: Sequence[str]) -> list[str]:
    """A B, B A, A B, ...: alternating who goes first cancels drift that is linear in time."""
    return list(apps) if round_index % 2 == 0 else list(reversed(apps))


# --- formatting (pure) ----------------------------------------------------------------------


def fmt_ms(us: float) -> str:
    return "n/a" if us != us else f"{us / 1000:.1f}" if us >= 10_000 else f"{us / 1000:.2f}"


def fmt_x(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}x"


def fmt_mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def fmt_num(value: float, digits: int = 0) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], right: int = 1) -> str:
    """A GitHub table; columns from index `right` on are right-aligned."""
    align = ["---" if i < right else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def comparison_tables(
    samples: Sequence[Sample], scenarios: Sequence[str]
) -> tuple[str, str, dict[str, dict[str, Summary]]]:
    """(per-app table, ratio table, summaries by scenario and app) for the comparison phase."""
    summaries: dict[str, dict[str, Summary]] = {}
    app_rows: list[list[str]] = []
    ratio_rows: list[list[str]] = []
    for scenario in scenarios:
        per_app = {
            app: summarise([s for s in samples if s.scenario == scenario and s.app == app])
            for app in (GENERATED, BASELINE)
            if any(s.scenario == scenario and s.app == app for s in samples)
        }
        summaries[scenario] = per_app
        for summary in per_app.values():
            app_rows.append(
                [
                    scenario,
                    summary.app,
                    fmt_num(summary.requests_per_sec),
                    fmt_ms(summary.p50_us),
                    fmt_ms(summary.p99_us),
                    fmt_num(summary.app_cpu_us_per_request),
                    fmt_num(summary.app_cpu_percent),
                    fmt_num(summary.pg_cpu_us_per_request),
                    fmt_mib(summary.rss_max_kib),
                    f"{summary.rss_growth_kib / 1024:+.1f}",
                    str(summary.errors) if summary.errors == 0 else f"**{summary.errors}**",
                ]
            )
        if GENERATED in per_app and BASELINE in per_app:
            gen, base = per_app[GENERATED], per_app[BASELINE]
            pairs = round_ratios(
                [s for s in samples if s.scenario == scenario], GENERATED, BASELINE
            )
            spread = f"{min(pairs):.2f}-{max(pairs):.2f}" if pairs else "n/a"
            ratio_rows.append(
                [
                    scenario,
                    fmt_x(ratio(gen.requests_per_sec, base.requests_per_sec)),
                    spread,
                    fmt_x(ratio(gen.p50_us, base.p50_us)),
                    fmt_x(ratio(gen.p99_us, base.p99_us)),
                    fmt_x(ratio(gen.app_cpu_us_per_request, base.app_cpu_us_per_request)),
                ]
            )
    app_table = markdown_table(
        [
            "scenario",
            "app",
            "req/s",
            "p50 ms",
            "p99 ms",
            "app CPU us/req",
            "app CPU %",
            "PG CPU us/req",
            "RSS max MiB",
            "RSS growth MiB",
            "errors",
        ],
        app_rows,
        right=2,
    )
    ratio_table = markdown_table(
        [
            "scenario",
            "req/s gen/base (higher is better)",
            "per-round range",
            "p50 gen/base",
            "p99 gen/base",
            "CPU/req gen/base",
        ],
        ratio_rows,
    )
    return app_table, ratio_table, summaries


def scale_table(
    samples: Sequence[Sample], scenarios: Sequence[str], small_label: str, large_label: str
) -> tuple[str, dict[str, float]]:
    """(table, p50 ratio large/small by scenario) for the scale phase."""
    rows: list[list[str]] = []
    ratios: dict[str, float] = {}
    for scenario in scenarios:
        small = summarise([s for s in samples if s.scenario == scenario and s.app == small_label])
        large = summarise([s for s in samples if s.scenario == scenario and s.app == large_label])
        ratios[scenario] = ratio(large.p50_us, small.p50_us)
        rows.append(
            [
                scenario,
                fmt_num(small.requests_per_sec),
                fmt_num(large.requests_per_sec),
                fmt_ms(small.p50_us),
                fmt_ms(large.p50_us),
                fmt_x(ratios[scenario]),
                fmt_ms(small.p99_us),
                fmt_ms(large.p99_us),
                str(small.errors + large.errors),
            ]
        )
    table = markdown_table(
        [
            "scenario",
            f"req/s {small_label}",
            f"req/s {large_label}",
            f"p50 ms {small_label}",
            f"p50 ms {large_label}",
            "p50 ratio large/small",
            f"p99 ms {small_label}",
            f"p99 ms {large_label}",
            "errors",
        ],
        rows,
    )
    return table, ratios


def target_lines(
    summaries: Mapping[str, Mapping[str, Summary]],
    scale_ratios: Mapping[str, float],
    rss_by_app: Mapping[str, Sequence[int]],
) -> list[str]:
    """Issue 7's targets, each marked met or NOT MET."""

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    lines: list[str] = []
    for scenario, per_app in summaries.items():
        if GENERATED not in per_app or BASELINE not in per_app:
            continue
        gen, base = per_app[GENERATED], per_app[BASELINE]
        rps = ratio(gen.requests_per_sec, base.requests_per_sec)
        p99 = ratio(gen.p99_us, base.p99_us)
        lines.append(
            f"- {scenario}: req/s {fmt_x(rps)} of baseline (target >= {TARGET_RPS_RATIO}x): "
            f"{mark(rps >= TARGET_RPS_RATIO)}; p99 {fmt_ms(gen.p99_us)} vs {fmt_ms(base.p99_us)} "
            f"ms (target: no higher): {mark(p99 <= 1.0)}"
        )
    for scenario, value in scale_ratios.items():
        lines.append(
            f"- {scenario} p50 at 10x rows: {fmt_x(value)} (target <= {TARGET_SCALE_P50_RATIO}x): "
            f"{mark(value <= TARGET_SCALE_P50_RATIO)}"
        )
    for app, series in rss_by_app.items():
        if len(series) >= 2:
            growth = series[-1] - series[0]
            line = (
                f"- {app} RSS over the run: {fmt_mib(series[0])} -> {fmt_mib(series[-1])} MiB "
                f"({growth / 1024:+.1f} MiB, max {fmt_mib(max(series))})"
            )
            if app == GENERATED:  # the target is the generated app's; the baseline's is context
                ok = growth <= series[0] * RSS_GROWTH_TOLERANCE
                line += f"; target: no growth (within {RSS_GROWTH_TOLERANCE:.0%}): {mark(ok)}"
            lines.append(line)
    return lines


def error_report(samples: Sequence[Sample]) -> list[str]:
    """One line per round that had unexpected statuses or socket errors."""
    lines = []
    for s in samples:
        if s.errors:
            expected = EXPECTED_STATUSES[s.scenario]
            bad = {status: n for status, n in s.statuses.items() if status not in expected}
            sockets = {name: n for name, n in s.socket_errors.items() if n}
            lines.append(
                f"{s.phase} {s.scenario} round {s.round} {s.app}: {s.errors} errors "
                f"(unexpected statuses {bad or '{}'}, socket errors {sockets or '{}'})"
            )
    return lines


# --- the machine ----------------------------------------------------------------------------


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


def process_cpu_ticks(pid: int) -> int:
    return parse_proc_stat(_read(f"/proc/{pid}/stat"))[1]


def process_rss_kib(pid: int) -> int:
    return parse_vm_rss_kib(_read(f"/proc/{pid}/status"))


POSTGRES_BACKGROUND = (
    "background writer",
    "checkpointer",
    "walwriter",
    "wal writer",
    "autovacuum",
    "logical replication",
    "archiver",
    "stats collector",
)


def postgres_client_database(cmdline: str) -> str | None:
    """The database of a PostgreSQL client backend from its /proc/<pid>/cmdline (ps display),
    or None for the postmaster and background processes.

    A backend shows "postgres: 15/main: <user> <database> <host>(<port>) <state>".
    """
    text = cmdline.replace("\0", " ").strip()
    match = re.match(r"postgres: (?:[^:]+: )?(.*)$", text)
    if match is None or match.group(1).startswith(POSTGRES_BACKGROUND):
        return None
    parts = match.group(1).split()
    return parts[1] if len(parts) >= 2 else None


def postgres_cpu_ticks(databases: Iterable[str]) -> dict[int, int]:
    """utime + stime by pid of the PostgreSQL processes serving `databases`, plus its background
    processes. Backends of other databases (someone else's tests, say) are left out; they show
    up as "other CPU" instead.
    """
    wanted = set(databases)
    ticks_by_pid: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            comm, ticks = parse_proc_stat(_read(f"/proc/{entry.name}/stat"))
            if comm != "postgres":
                continue
            database = postgres_client_database(_read(f"/proc/{entry.name}/cmdline"))
            if database is None or database in wanted:
                ticks_by_pid[int(entry.name)] = ticks
    return ticks_by_pid


def ticks_spent(before: Mapping[int, int], after: Mapping[int, int]) -> int:
    """CPU ticks spent between two snapshots by pid: a process that started in between counts
    whole, one that exited in between is lost (never negative, unlike a difference of sums)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def busy_percent_now(seconds: float = 1.0) -> float:
    """CPU in use on the whole machine over `seconds`, in percent of one CPU."""
    before = parse_cpu_busy_ticks(_read("/proc/stat"))
    time.sleep(seconds)
    after = parse_cpu_busy_ticks(_read("/proc/stat"))
    return (after - before) / os.sysconf("SC_CLK_TCK") / seconds * 100


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in _read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_total() -> str:
    with contextlib.suppress(OSError, ValueError):
        match = re.search(r"^MemTotal:\s+(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
        if match:
            return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    return "unknown"


def package_versions() -> str:
    names = (
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic-core",
        "sqlalchemy",
        "asyncpg",
        "fastcrud",
        "uvicorn",
        "h11",
        "httptools",
        "uvloop",
        "orjson",
    )
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} -")
    return ", ".join(parts)


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{rev or 'unknown'}{' (with uncommitted changes)' if dirty else ''}"


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the database ---------------------------------------------------------------------------

SEED_SQL = """
INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at)
SELECT k + 1,
       'u' || lpad((k % $1)::text, greatest(5, length((k % $1)::text)), '0'),
       'Task ' || (k / $1) || ' of u' || lpad((k % $1)::text, 5, '0'),
       CASE WHEN k % 3 = 0 THEN NULL ELSE 'Details of task ' || (k + 1) || ', seeded' END,
       k % 4 = 0,
       timestamptz '2026-01-01 00:00:00+00' + k * interval '1 second',
       timestamptz '2026-01-01 00:00:00+00' + k * interval '1 second'
FROM generate_series(0, $2::bigint - 1) AS k
"""
"""Row k (0-based) belongs to owner k % owners ("u00042") and has id k + 1, so the owners'
rows are interleaved through the table as in a real multi-tenant table, and bench/lua/common.lua
can name any seeded row: task j of owner o has id j * owners + o + 1."""


def database_url(config: Config, database: str) -> str:
    return f"{config.pg_url}/{database}"


async def _pg_version(config: Config) -> tuple[str, dict[str, str]]:
    conn = await asyncpg.connect(database_url(config, "postgres"), timeout=5)
    try:
        version = await conn.fetchval("SELECT version()")
        settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("shared_buffers", "max_connections", "synchronous_commit", "work_mem")
        }
    finally:
        await conn.close()
    return str(version), settings


async def _ensure_database(config: Config, database: str) -> None:
    conn = await asyncpg.connect(database_url(config, "postgres"), timeout=5)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def migrate(config: Config, database: str) -> None:
    """`alembic upgrade head` on the benchmark database, as `make migrate` does."""
    env = {**os.environ, "DATABASE_URL": database_url(config, database)}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"migrating {database} failed:\n{result.stdout}{result.stderr}")


async def _seed(config: Config, database: str, owners: int) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(database_url(config, database), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("TRUNCATE tasks RESTART IDENTITY")
        # Loading into a table without its secondary indexes, then building them, is ~5x faster.
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'tasks' AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        await conn.execute(SEED_SQL, owners, owners * config.tasks_per_owner)
        for index in indexes:
            await conn.execute(index["indexdef"])
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('tasks', 'id'), (SELECT max(id) FROM tasks))"
        )
        await conn.execute("VACUUM ANALYZE tasks")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _reset_after_writes(config: Config, database: str, seeded_rows: int) -> None:
    """Delete the rows a round created and vacuum, so the next round starts from the same table."""
    conn = await asyncpg.connect(database_url(config, database), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("DELETE FROM tasks WHERE id > $1", seeded_rows)
        await conn.execute("VACUUM ANALYZE tasks")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


# --- the apps -------------------------------------------------------------------------------


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


SERVER_MANAGED = ("id", "created_at", "updated_at")


def _comparable(value: Any) -> Any:
    """A response body without the values that differ between two fresh rows."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in SERVER_MANAGED}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def contract_probe(app: App, owner: str, seeded_owner: str, seeded_id: int) -> list[Any]:
    """A short walk through the contract; the transcript is compared between the two apps."""
    base = f"{app.url}/api/{owner}/tasks"
    transcript: list[Any] = []

    def call(method: str, url: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        status, headers, payload = http_request(method, url, body)
        transcript.append([method, url.removeprefix(app.url), status, payload])
        return status, headers, payload

    seeded = f"{app.url}/api/{seeded_owner}/tasks"
    call("GET", f"{seeded}?limit=5")
    call("GET", f"{seeded}?completed=true&sort=title&offset=3&limit=4")
    call("GET", f"{seeded}/{seeded_id}")
    call("GET", f"{app.url}/api/other-owner/tasks/{seeded_id}")
    call("GET", f"{seeded}?limit=101")
    status, headers, created = call("POST", base, {"title": "  probe  ", "description": "d"})
    location = {k.lower(): v for k, v in headers.items()}.get("location", "")
    if status != 201 or not isinstance(created, dict):
        raise BenchError(f"{app.label}: POST answered {status}: {created}")
    if location != f"/api/{owner}/tasks/{created['id']}":
        raise BenchError(f"{app.label}: POST Location {location!r} does not name the new row")
    item = f"{base}/{created['id']}"
    call("PUT", item, {"title": "replaced"})
    call("PATCH", item, {"description": "patched"})
    call("PATCH", f"{item}/complete")
    call("PATCH", f"{item}/complete", {"completed": False})
    call("GET", f"{app.url}/api/other-owner/tasks/{created['id']}")
    call("DELETE", item)
    call("GET", item)
    call("GET", base)
    return [
        [method, path.replace(str(created["id"]), "<id>"), status, _comparable(payload)]
        for method, path, status, payload in transcript
    ]


def check_same_contract(generated: App, baseline: App, config: Config) -> int:
    """Both apps answer the same walk through the contract alike; the number of requests."""
    seeded_owner, seeded_id = "u00001", 1 * config.owners + 1 + 1  # task 1 of owner 1
    gen = contract_probe(generated, "probe-generated", seeded_owner, seeded_id)
    base = contract_probe(baseline, "probe-baseline", seeded_owner, seeded_id)
    expected_statuses = [200, 200, 200, 404, 422, 201, 200, 200, 200, 200, 404, 204, 404, 200]
    for label, transcript in ((GENERATED, gen), (BASELINE, base)):
        statuses = [step[2] for step in transcript]
        if statuses != expected_statuses:
            raise BenchError(
                f"{label}: contract probe statuses {statuses}, expected {expected_statuses}"
            )
    for step_gen, step_base in zip(gen, base, strict=True):
        step_base = json.loads(json.dumps(step_base).replace("probe-baseline", "probe-generated"))
        if step_gen[2] >= 400:  # errors: same status and code; the wording may differ
            same = step_gen[2] == step_base[2] and _error_code(step_gen[3]) == _error_code(
                step_base[3]
            )
        else:
            same = step_gen == step_base
        if not same:
            raise BenchError(
                "the two apps answer differently:\n"
                f"  generated: {json.dumps(step_gen)[:600]}\n"
                f"  baseline:  {json.dumps(step_base)[:600]}"
            )
    return len(gen)


def _error_code(payload: Any) -> Any:
    return payload.get("error", {}).get("code") if isinstance(payload, dict) else payload


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Target:
    """What one wrk run is pointed at: an app, its database and that database's data set."""

    label: str
    app: App
    database: str
    owners: int
    seeded_rows: int


def rows_label(rows: int) -> str:
    """100000 -> "100k", 1000000 -> "1M", 1500 -> "1500"."""
    if rows >= 1_000_000 and rows % 100_000 == 0:
        return f"{rows / 1_000_000:g}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def run_wrk(config: Config, scenario: str, target: Target, seconds: int) -> tuple[WrkResult, str]:
    command = [
        "taskset",
        "-c",
        str(config.wrk_cpu),
        "wrk",
        "-t",
        str(config.wrk_threads),
        "-c",
        str(config.connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        f"{scenario}.lua",
        target.app.url,
        "--",
        str(target.owners),
        str(config.tasks_per_owner),
    ]
    result = subprocess.run(
        command, cwd=LUA_DIR, capture_output=True, text=True, timeout=seconds + 60
    )
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({shlex.join(command)}):\n{result.stdout}{result.stderr}")
    try:
        return parse_wrk_output(result.stdout), result.stdout
    except WrkParseError as error:
        raise BenchError(f"cannot read wrk's output ({error}):\n{result.stdout}") from None


def after_run(config: Config, scenario: str, target: Target) -> None:
    if scenario in WRITE_SCENARIOS:
        asyncio.run(_reset_after_writes(config, target.database, target.seeded_rows))


def measure_round(
    config: Config, phase: str, scenario: str, target: Target, round_number: int
) -> Sample:
    """One wrk run with the CPU and memory of the app, PostgreSQL and everything else around it."""
    target.app.check_alive()
    pid, tick = target.app.pid, os.sysconf("SC_CLK_TCK")
    app_before, pg_before = process_cpu_ticks(pid), postgres_cpu_ticks([target.database])
    busy_before, wrk_before = parse_cpu_busy_ticks(_read("/proc/stat")), children_cpu_s()
    self_before = self_cpu_s()
    result, raw = run_wrk(config, scenario, target, config.seconds)
    app_s = (process_cpu_ticks(pid) - app_before) / tick
    pg_s = ticks_spent(pg_before, postgres_cpu_ticks([target.database])) / tick
    busy_s = (parse_cpu_busy_ticks(_read("/proc/stat")) - busy_before) / tick
    known_s = app_s + pg_s + (children_cpu_s() - wrk_before) + (self_cpu_s() - self_before)
    rss = process_rss_kib(pid)
    target.app.check_alive()
    log = LOG_DIR / "wrk" / f"{phase}-{scenario}-{target.label}-r{round_number}.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(raw)
    after_run(config, scenario, target)
    return Sample(
        phase=phase,
        scenario=scenario,
        app=target.label,
        round=round_number,
        requests_per_sec=result.requests_per_sec,
        requests=result.requests,
        duration_s=result.duration_s,
        p50_us=result.p50_us,
        p90_us=result.latency_us.get(90, float("nan")),
        p99_us=result.p99_us,
        app_cpu_s=app_s,
        pg_cpu_s=pg_s,
        other_cpu_s=max(0.0, busy_s - known_s),
        rss_kib=rss,
        statuses=result.statuses,
        socket_errors=result.socket_errors,
        errors=result.error_count(EXPECTED_STATUSES[scenario]),
    )


def progress_line(sample: Sample) -> str:
    errors = f"  !!! {sample.errors} ERRORS" if sample.errors else ""
    return (
        f"  round {sample.round} {sample.app:<14} {sample.requests_per_sec:8.1f} req/s"
        f"  p50 {fmt_ms(sample.p50_us):>6} ms  p99 {fmt_ms(sample.p99_us):>6} ms"
        f"  app CPU {fmt_num(sample.app_cpu_us_per_request):>5} us/req"
        f" ({fmt_num(sample.app_cpu_percent)}%)"
        f"  PG {fmt_num(sample.pg_cpu_us_per_request):>5} us/req"
        f"  RSS {fmt_mib(sample.rss_kib)} MiB  other CPU {fmt_num(sample.other_cpu_percent)}%"
        f"{errors}"
    )


def run_phase(
    config: Config, phase: str, scenarios: Sequence[str], targets: Sequence[Target]
) -> list[Sample]:
    """Per scenario: a warm-up of each target, then rounds with the targets interleaved."""
    samples: list[Sample] = []
    labels = [target.label for target in targets]
    by_label = {target.label: target for target in targets}
    for scenario in scenarios:
        print(f"\n== {phase}: {scenario} ({SCENARIO_HELP[scenario]})", flush=True)
        if config.warmup_seconds:
            for target in targets:
                run_wrk(config, scenario, target, config.warmup_seconds)
                after_run(config, scenario, target)
        for index in range(config.rounds):
            for label in interleaved_order(index, labels):
                sample = measure_round(config, phase, scenario, by_label[label], index + 1)
                samples.append(sample)
                print(progress_line(sample), flush=True)
    return samples


# --- the run --------------------------------------------------------------------------------


def preflight(config: Config) -> Config:
    if shutil.which("wrk") is None:
        raise BenchError(WRK_INSTALL_HELP)
    if shutil.which("taskset") is None:
        raise BenchError("taskset is missing: apt-get install -y util-linux")
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        print("!!! WARNING: one CPU only: the app and wrk share it; figures are not comparable")
        return replace(config, app_cpu=0, wrk_cpu=0)
    for name, cpu in (("BENCH_APP_CPU", config.app_cpu), ("BENCH_WRK_CPU", config.wrk_cpu)):
        if cpu not in os.sched_getaffinity(0):
            raise BenchError(
                f"{name}={cpu}: no such CPU here (have {sorted(os.sched_getaffinity(0))})"
            )
    if config.app_cpu == config.wrk_cpu:
        print("!!! WARNING: the app and wrk are pinned to the same CPU")
    return config


def bench_command(env: Mapping[str, str]) -> str:
    """The command that reproduces this run: `make bench` with the BENCH_* variables set."""
    settings = [
        f"{name}={shlex.quote(value)}"
        for name, value in sorted(env.items())
        if name.startswith("BENCH_")
    ]
    return " ".join([*settings, "make bench"])


def header_lines(
    config: Config,
    pg_version: str,
    pg_settings: Mapping[str, str],
    commands: Mapping[str, str],
    busy_before: float,
) -> list[str]:
    load = " ".join(_read("/proc/loadavg").split()[:3])
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    scale = (
        f"; scale run of {', '.join(config.scale_scenarios)}: {config.large_owners:,} owners x "
        f"{config.tasks_per_owner} = {config.large_rows:,} rows vs the {config.rows:,} above"
        if config.scale_scenarios
        else "; no scale run"
    )
    pg_short = pg_version.split(" on ")[0]
    pg_conf = ", ".join(f"{k} {v}" for k, v in pg_settings.items())
    return [
        f"- run: {now}, commit {git_revision()}, `{bench_command(os.environ)}`"
        + (" (BENCH_QUICK: a smoke run, not a measurement)" if config.quick else ""),
        f"- machine: {os.cpu_count()} CPUs ({cpu_model()}), {memory_total()} RAM, "
        f"Linux {platform.release()}, load average at start {load}, CPU in use just before "
        f"the apps started {busy_before:.0f}% of one CPU",
        f"- PostgreSQL: {pg_short} ({pg_conf}) at {config.pg_url}",
        f"- Python {platform.python_version()}: {package_versions()}",
        f"- load generator: {wrk_version()}, {config.wrk_threads} thread(s), "
        f"{config.connections} connections, --timeout 10s, pinned to CPU {config.wrk_cpu}",
        f"- rounds: {config.rounds} x {config.seconds} s per app per scenario after a "
        f"{config.warmup_seconds} s warm-up, apps interleaved A B / B A; medians reported",
        f"- data: {config.owners:,} owners x {config.tasks_per_owner} tasks = {config.rows:,} rows"
        f"{scale}; rows created by a round are deleted and the table vacuumed after it",
        f"- both apps: one uvicorn process pinned to CPU {config.app_cpu}, "
        f"DB_POOL_SIZE={config.pool_size} DB_MAX_OVERFLOW={config.max_overflow}, every other "
        "setting at the app's own default (the baseline: an AsyncSession transaction per "
        "request, no pool pre-ping)"
        + (
            f"; BENCH_APP_ENV for both: {shlex.join(f'{k}={v}' for k, v in config.app_env.items())}"
            if config.app_env
            else ""
        ),
        *(f"- {label}: `{command}`" for label, command in commands.items()),
    ]


def run(config: Config) -> int:
    started = time.monotonic()
    config = preflight(config)
    try:
        pg_version, pg_settings = asyncio.run(_pg_version(config))
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        raise BenchError(
            f"PostgreSQL is not reachable at {config.pg_url} ({error}); start it or set "
            "BENCH_PG_URL=postgresql://user@host:port"
        ) from None

    LOG_DIR.mkdir(exist_ok=True)
    shutil.rmtree(LOG_DIR / "wrk", ignore_errors=True)  # only this run's outputs stay there
    databases = [(config.database, config.owners)]
    if config.scale_scenarios:
        databases.append((config.large_database, config.large_owners))
    for database, owners in databases:
        asyncio.run(_ensure_database(config, database))
        migrate(config, database)
        seconds = asyncio.run(_seed(config, database, owners))
        rows = owners * config.tasks_per_owner
        print(f"seeded {database}: {rows:,} rows ({owners:,} owners) in {seconds:.1f} s")

    serve = serve_command(free_port())
    taskset = ["taskset", "-c", str(config.app_cpu)]

    def make_app(label: str, module: str, database: str) -> App:
        port = free_port()
        command = [*serve]
        for i in range(1, len(command)):  # `make -n serve`'s port, replaced by a free one
            if command[i - 1] == "--port":
                command[i] = str(port)
        if module != GENERATED_MODULE:
            command = with_app_module(command, module)
        return App(
            label, [*taskset, *command], app_env(config, database), port, LOG_DIR / f"{label}.log"
        )

    generated = make_app(GENERATED, GENERATED_MODULE, config.database)
    baseline = make_app(BASELINE, BASELINE_MODULE, config.database)
    large = make_app(
        f"{GENERATED}-{rows_label(config.large_rows)}", GENERATED_MODULE, config.large_database
    )
    commands = {
        "generated app (as `make -n serve` prints it)": shlex.join(generated.command),
        "baseline app (the same command)": shlex.join(baseline.command),
    }
    busy_before = busy_percent_now()
    header = header_lines(config, pg_version, pg_settings, commands, busy_before)
    if busy_before > NOISE_WARNING_PERCENT:
        header.append(
            f"- **!!! the machine was busy before the run: {busy_before:.0f}% of a CPU in use by "
            "other processes; rerun on a quiet machine for figures worth comparing**"
        )
    print("\n".join(["", "# make bench", "", *header]), flush=True)

    samples: list[Sample] = []
    scale_samples: list[Sample] = []
    small_label = f"{GENERATED}-{rows_label(config.rows)}"
    apps = [generated, baseline, large]
    try:
        for app in (generated, baseline):
            app.start()
        probe = "/api/u00000/tasks?limit=1"
        for app in (generated, baseline):
            app.wait_ready(probe)
        steps = check_same_contract(generated, baseline, config)
        print(f"\ncontract probe: both apps gave the same {steps} answers")
        targets = [
            Target(GENERATED, generated, config.database, config.owners, config.rows),
            Target(BASELINE, baseline, config.database, config.owners, config.rows),
        ]
        samples = run_phase(config, "compare", config.scenarios, targets)
        baseline.stop()  # frees its connections for the scale run
        if config.scale_scenarios:
            large.start()
            large.wait_ready(probe)
            scale_targets = [
                Target(small_label, generated, config.database, config.owners, config.rows),
                Target(
                    large.label,
                    large,
                    config.large_database,
                    config.large_owners,
                    config.large_rows,
                ),
            ]
            scale_samples = run_phase(config, "scale", config.scale_scenarios, scale_targets)
    finally:
        for app in apps:
            app.stop()

    header.append(f"- run time: {(time.monotonic() - started) / 60:.1f} min")
    report = build_report(config, header, samples, scale_samples, small_label, large.label)
    print("\n" + report, flush=True)
    config.output.parent.mkdir(parents=True, exist_ok=True)
    config.output.write_text(report + "\n")
    raw = LOG_DIR / "latest.json"
    raw.write_text(json.dumps([asdict(s) for s in [*samples, *scale_samples]], indent=1))
    shown = config.output.relative_to(ROOT) if config.output.is_relative_to(ROOT) else config.output
    print(f"\nwritten: {shown} (raw rounds: .bench/latest.json, wrk output: .bench/wrk/)")
    errors = error_report([*samples, *scale_samples])
    if errors:
        print("\n" + "!" * 78, file=sys.stderr)
        print(
            f"!!! THE RUN HAD ERRORS: {len(errors)} round(s) with failed requests; the figures "
            "are not valid",
            file=sys.stderr,
        )
        for line in errors:
            print(f"!!!   {line}", file=sys.stderr)
        print("!!! app logs: .bench/*.log; wrk output: .bench/wrk/", file=sys.stderr)
        print("!" * 78, file=sys.stderr)
        return 1
    return 0


def build_report(
    config: Config,
    header: Sequence[str],
    samples: Sequence[Sample],
    scale_samples: Sequence[Sample],
    small_label: str,
    large_label: str,
) -> str:
    """The Markdown report: settings, per-app table, ratios, scale, targets, raw rounds."""
    app_table, ratio_table, summaries = comparison_tables(samples, config.scenarios)
    parts = ["# make bench: generated Task API vs hand-written baseline", "", *header, ""]
    errors = error_report([*samples, *scale_samples])
    if errors:
        parts += ["**!!! THE RUN HAD ERRORS: these figures are not valid !!!**", ""]
        parts += [f"- {line}" for line in errors] + [""]
    noisy = [s for s in [*samples, *scale_samples] if s.other_cpu_percent > NOISE_WARNING_PERCENT]
    if noisy:
        worst = max(s.other_cpu_percent for s in noisy)
        parts += [
            f"**Warning: other processes used up to {worst:.0f}% of a CPU during {len(noisy)} "
            "round(s); the machine was not quiet and figures may be noisy.**",
            "",
        ]
    parts += [
        f"## Per app (median of {config.rounds} rounds)",
        "",
        "CPU per request: the process's utime + stime over the round / requests. "
        "PG: the backends of the benchmark database and the server's background processes. "
        "RSS: VmRSS after each round (max; last round - first round).",
        "",
        app_table,
        "",
        "## Generated / baseline",
        "",
        "req/s: ratio of the medians (per-round range: the ratio in each round's pair). "
        "p50, p99 and CPU/req: lower is better.",
        "",
        ratio_table,
    ]
    scale_ratios: dict[str, float] = {}
    if scale_samples:
        table, scale_ratios = scale_table(
            scale_samples, config.scale_scenarios, small_label, large_label
        )
        parts += [
            "",
            f"## Scale: generated app at {rows_label(config.rows)} vs "
            f"{rows_label(config.large_rows)} rows",
            "",
            table,
        ]
    rss_by_app = {
        app: [s.rss_kib for s in samples if s.app == app] for app in (GENERATED, BASELINE)
    }
    targets = target_lines(summaries, scale_ratios, rss_by_app)
    if targets:
        parts += ["", "## Targets of issue 7", "", *targets]
    rounds = [
        [
            s.phase,
            s.scenario,
            str(s.round),
            s.app,
            fmt_num(s.requests_per_sec, 1),
            fmt_ms(s.p50_us),
            fmt_ms(s.p99_us),
            fmt_num(s.app_cpu_us_per_request),
            fmt_num(s.pg_cpu_us_per_request),
            fmt_num(s.other_cpu_percent),
            fmt_mib(s.rss_kib),
            ",".join(f"{k}:{v}" for k, v in sorted(s.statuses.items())),
        ]
        for s in [*samples, *scale_samples]
    ]
    parts += [
        "",
        "<details><summary>Every round</summary>",
        "",
        markdown_table(
            [
                "phase",
                "scenario",
                "round",
                "app",
                "req/s",
                "p50 ms",
                "p99 ms",
                "app CPU us/req",
                "PG CPU us/req",
                "other CPU %",
                "RSS MiB",
                "statuses",
            ],
            rounds,
            right=4,
        ),
        "",
        "</details>",
    ]
    return "\n".join(parts)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops the apps


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return run(load_config(os.environ))
    except BenchError as error:
        print(f"\nbench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
