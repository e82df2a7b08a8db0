"""Driving the apps: one wrk round with the CPU and memory measured around it, and a phase of
interleaved rounds per scenario."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from bench.config import LOG_DIR, LUA_DIR, BenchError, Config
from bench.database import reset_after_writes
from bench.machine import (
    children_cpu_s,
    parse_cpu_busy_ticks,
    postgres_cpu_ticks,
    process_cpu_ticks,
    process_rss_kib,
    read_proc,
    self_cpu_s,
    ticks_spent,
)
from bench.report import fmt_mib, fmt_ms, fmt_num
from bench.scenarios import EXPECTED_STATUSES, SCENARIO_HELP, WRITE_SCENARIOS
from bench.servers import App
from bench.stats import Sample, interleaved_order
from bench.wrk import WrkParseError, WrkResult, parse_wrk_output


@dataclass
class Target:
    """What one wrk run is pointed at: an app, its database and that database's data set."""

    label: str
    app: App
    database: str
    owners: int
    seeded_rows: int


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
        asyncio.run(reset_after_writes(config, target.database, target.seeded_rows))


def measure_round(
    config: Config, phase: str, scenario: str, target: Target, round_number: int
) -> Sample:
    """One wrk run with the CPU and memory of the app, PostgreSQL and everything else around it."""
    target.app.check_alive()
    pid, tick = target.app.pid, os.sysconf("SC_CLK_TCK")
    app_before, pg_before = process_cpu_ticks(pid), postgres_cpu_ticks([target.database])
    busy_before, wrk_before = parse_cpu_busy_ticks(read_proc("/proc/stat")), children_cpu_s()
    self_before = self_cpu_s()
    result, raw = run_wrk(config, scenario, target, config.seconds)
    app_s = (process_cpu_ticks(pid) - app_before) / tick
    pg_s = ticks_spent(pg_before, postgres_cpu_ticks([target.database])) / tick
    busy_s = (parse_cpu_busy_ticks(read_proc("/proc/stat")) - busy_before) / tick
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
