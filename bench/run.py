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

Settings come from BENCH_* environment variables: see bench/config.py and bench/README.md.
Run it as `python -m bench.run` from the repository root (`make bench` does).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, replace

import asyncpg

from bench import phases
from bench.config import (
    BASELINE,
    BASELINE_MODULE,
    GENERATED,
    GENERATED_MODULE,
    LOG_DIR,
    NOISE_WARNING_PERCENT,
    ROOT,
    BenchError,
    Config,
    load_config,
)
from bench.contract import check_same_contract
from bench.database import ensure_database, migrate, seed, server_version
from bench.deep import deep_report, load_deep, run_deep
from bench.load import Target, run_phase
from bench.machine import (
    busy_percent_now,
    cpu_model,
    free_port,
    git_revision,
    memory_total,
    package_versions,
    read_proc,
    wrk_version,
)
from bench.report import build_report, error_report, rows_label
from bench.report_extra import extra_sections
from bench.servers import App, app_env, serve_command, server_stack, with_app_module
from bench.stats import Sample

WRK_INSTALL_HELP = (
    "wrk is not installed. Install it with:\n"
    "  apt-get update && apt-get install -y wrk     # Debian / Ubuntu (as root)\n"
    "  brew install wrk                              # macOS\n"
    "then run `make bench` again."
)


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
    load = " ".join(read_proc("/proc/loadavg").split()[:3])
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
        f"- server: uvicorn's default stack here is {server_stack()} (uvicorn[standard]); "
        "WORKERS=1 except in the workers run",
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
    deep = load_deep(os.environ)  # refused before anything is seeded or started
    try:
        pg_version, pg_settings = asyncio.run(server_version(config))
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
        asyncio.run(ensure_database(config, database))
        migrate(config, database)
        seconds = asyncio.run(seed(config, database, owners))
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
    deep_samples: list[Sample] = []
    extra_samples: list[Sample] = []
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
        if config.floor_scenarios:
            generated.stop()  # two apps at a time: the baseline and one floor app
            extra_samples += phases.decomposition(config, make_app, baseline)
            generated.start()
            generated.wait_ready(probe)
        baseline.stop()  # frees its connections for the runs below
        if deep.enabled:
            deep_samples = run_deep(config, deep, generated)
        if config.workers > 1 and config.extra_scenarios:
            extra_samples += phases.workers(config, make_app, generated)
        if config.stack and config.extra_scenarios:
            extra_samples += phases.stack(config, make_app, generated)
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
    extra_parts = extra_sections(config, samples, extra_samples, server_stack())
    report = build_report(
        config,
        header,
        samples,
        scale_samples,
        small_label,
        large.label,
        extra_parts,
        extra_samples,
    )
    if deep_samples:
        report += "\n\n" + deep_report(deep, deep_samples)
    print("\n" + report, flush=True)
    config.output.parent.mkdir(parents=True, exist_ok=True)
    config.output.write_text(report + "\n")
    raw = LOG_DIR / "latest.json"
    every = [*samples, *extra_samples, *scale_samples, *deep_samples]
    raw.write_text(json.dumps([asdict(s) for s in every], indent=1))
    shown = config.output.relative_to(ROOT) if config.output.is_relative_to(ROOT) else config.output
    print(f"\nwritten: {shown} (raw rounds: .bench/latest.json, wrk output: .bench/wrk/)")
    errors = error_report(every)
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
