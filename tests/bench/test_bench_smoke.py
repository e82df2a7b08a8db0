"""The pure parts of `make bench` (bench/), on canned text: no server, no wrk, no timing."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bench.config import BenchError, load_config
from bench.machine import (
    parse_cpu_busy_ticks,
    parse_proc_stat,
    parse_vm_rss_kib,
    postgres_client_database,
    ticks_spent,
)
from bench.report import comparison_tables, error_report, rows_label, target_lines
from bench.report_extra import extra_sections
from bench.scenarios import EXPECTED_STATUSES, SCENARIOS
from bench.servers import serve_command_from_make, with_app_module, with_options
from bench.stats import Sample, interleaved_order, median, ratio, round_ratios, summarise
from bench.wrk import WrkParseError, parse_duration_us, parse_wrk_output

CLEAN_WRK = """\
Running 2s test @ http://127.0.0.1:52107
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    87.26ms   33.74ms 204.89ms   86.73%
    Req/Sec   374.68    122.40   606.00     73.68%
  Latency Distribution
     50%   74.56ms
     75%   99.91ms
     90%  126.18ms
     99%  202.99ms
  730 requests in 2.01s, 1.21MB read
Requests/sec:    362.76
Transfer/sec:    614.84KB
BENCH statuses 200:698,201:32
BENCH responses 730
BENCH requests 730 duration_us 2012330
BENCH socket_errors connect 0 read 0 write 0 timeout 0
BENCH latency_us p50 74557 p90 126184 p99 202991 max 204890
"""

FAILING_WRK = """\
Running 8s test @ http://127.0.0.1:40000
  1 threads and 32 connections
  Latency Distribution
     50%  812.00us
     75%    1.50ms
     90%    2.25s
     99%    1.05m
  4000 requests in 8.00s, 1.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:    500.00
Transfer/sec:    128.00KB
BENCH statuses 200:3978,404:5,500:12
BENCH responses 3995
"""


def sample(app: str, round_number: int, rps: float, rss_kib: int, errors: int = 0) -> Sample:
    return Sample(
        phase="compare",
        scenario="get",
        app=app,
        round=round_number,
        requests_per_sec=rps,
        requests=int(rps * 8),
        duration_s=8.0,
        p50_us=rps * 10,
        p90_us=rps * 20,
        p99_us=rps * 30,
        app_cpu_s=4.0,
        pg_cpu_s=1.0,
        other_cpu_s=0.0,
        rss_kib=rss_kib,
        statuses={200: int(rps * 8)},
        socket_errors={"connect": 0, "read": 0, "write": 0, "timeout": 0},
        errors=errors,
    )


def test_clean_wrk_output_is_parsed_with_the_precise_percentiles() -> None:
    result = parse_wrk_output(CLEAN_WRK)
    assert result.requests_per_sec == 362.76
    assert result.requests == 730
    assert result.duration_s == pytest.approx(2.01)
    assert result.p50_us == 74557 and result.p99_us == 202991
    assert result.latency_us[75] == pytest.approx(99910)  # from wrk's distribution text
    assert result.statuses == {200: 698, 201: 32}
    assert result.error_count(EXPECTED_STATUSES["mixed"]) == 0
    assert result.error_count(EXPECTED_STATUSES["get"]) == 32  # 201 is wrong for a read


def test_unexpected_statuses_and_socket_errors_count_as_errors() -> None:
    result = parse_wrk_output(FAILING_WRK)
    assert result.unexpected({200}) == {404: 5, 500: 12}
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 2}
    assert result.non_2xx_3xx == 17
    assert result.error_count({200}) == 5 + 12 + 3 + 2
    # Without the BENCH latency line the percentiles come from wrk's distribution text.
    assert result.latency_us == {50: 812.0, 75: 1500.0, 90: 2_250_000.0, 99: 63_000_000.0}


def test_output_without_the_lua_status_lines_is_refused() -> None:
    without_lua = "\n".join(line for line in CLEAN_WRK.splitlines() if "BENCH" not in line)
    with pytest.raises(WrkParseError, match="BENCH statuses"):
        parse_wrk_output(without_lua)
    with pytest.raises(WrkParseError):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_durations() -> None:
    assert parse_duration_us("812.00us") == 812
    assert parse_duration_us("12.5ms") == 12_500
    assert parse_duration_us("1.02s") == pytest.approx(1_020_000)
    with pytest.raises(ValueError):
        parse_duration_us("12 parsecs")


def test_median_and_ratio_skip_missing_values() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert median([1.0, math.nan, 3.0]) == 2.0
    assert math.isnan(median([]))
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 2.0))


def test_summary_takes_medians_rss_max_and_growth() -> None:
    rounds = [sample("generated", 2, 300.0, 90_000), sample("generated", 1, 100.0, 80_000)]
    rounds.append(sample("generated", 3, 200.0, 85_000, errors=4))
    summary = summarise(rounds)
    assert summary.requests_per_sec == 200.0
    assert summary.p99_us == 6000.0
    assert summary.app_cpu_us_per_request == pytest.approx(4e6 / 1600)
    assert summary.rss_max_kib == 90_000
    assert summary.rss_growth_kib == 5_000  # round 3 minus round 1, whatever the list order
    assert summary.errors == 4


def test_ratios_pair_rounds_and_order_alternates() -> None:
    rounds = [
        sample("generated", 1, 300.0, 1),
        sample("baseline", 1, 200.0, 1),
        sample("baseline", 2, 100.0, 1),
        sample("generated", 2, 200.0, 1),
    ]
    assert round_ratios(rounds, "generated", "baseline") == [1.5, 2.0]
    apps = ["generated", "baseline"]
    orders = [interleaved_order(i, apps) for i in range(3)]
    assert orders == [apps, apps[::-1], apps]


def test_report_shouts_about_errors_and_judges_targets() -> None:
    rounds = [sample("generated", 1, 300.0, 100_000, errors=2), sample("baseline", 1, 100.0, 1)]
    assert "2 errors" in error_report(rounds)[0]
    _, ratio_table, summaries = comparison_tables(rounds, ["get"])
    assert "| get | 3.00x |" in ratio_table
    rss = {"generated": [100_000, 120_000], "baseline": [1, 9]}
    lines = target_lines(summaries, {"list": 1.3}, rss)
    assert "req/s 3.00x of baseline (target >= 3.0x): met" in lines[0]
    assert "p99 9.00 vs 3.00 ms (target: no higher): NOT MET" in lines[0]
    assert lines[1].endswith("NOT MET") and lines[2].endswith("NOT MET")
    assert "target" not in lines[3]  # the baseline's RSS is context, not a target


def test_proc_files() -> None:
    stat = "4242 (uvicorn (x) y) S 1 4242 4242 0 -1 4194304 98 0 0 0 150 25 0 0 20 0 3 0 2256"
    assert parse_proc_stat(stat) == ("uvicorn (x) y", 175)
    assert parse_vm_rss_kib("Name:\tpython\nVmRSS:\t   81234 kB\nVmData:\t 1 kB\n") == 81234
    assert parse_cpu_busy_ticks("cpu  100 5 20 900 30 1 2 3 0 0\ncpu0 1 2 3 4\n") == 131
    backend = "postgres: 15/main: postgres bench 127.0.0.1(52838) idle\0\0"
    assert postgres_client_database(backend) == "bench"
    assert postgres_client_database("postgres: 15/main: checkpointer   ") is None
    assert postgres_client_database("/usr/lib/postgresql/15/bin/postgres\0-D\0/x") is None
    # A backend that exits between two snapshots must not make the CPU spent negative.
    assert ticks_spent({10: 500, 11: 40}, {10: 520, 12: 7}) == 27


def test_the_server_command_comes_from_make_serve() -> None:
    dry_run = (
        ".venv/bin/python -m generator\n.venv/bin/alembic upgrade head\n"
        ".venv/bin/uvicorn app.main:app --host 127.0.0.1 --port 8123 --workers 1 "
        "--timeout-graceful-shutdown 10\n"
    )
    command = serve_command_from_make(dry_run)
    assert command[:2] == [".venv/bin/uvicorn", "app.main:app"]
    baseline = with_app_module(command, "bench.baseline.app")
    assert baseline[1] == "bench.baseline.app:app" and baseline[2:] == command[2:]
    two = with_options(command, workers="2", loop="asyncio")
    assert two[two.index("--workers") + 1] == "2" and two[-2:] == ["--loop", "asyncio"]
    factory = with_app_module(["uvicorn", "--factory", "app.main:create_app"], "m")
    assert factory == ["uvicorn", "--factory", "m:create_app"]
    with pytest.raises(ValueError):
        serve_command_from_make("nothing to serve\n")


def test_config_from_the_environment() -> None:
    config = load_config({})
    assert config.scenarios == SCENARIOS
    assert (config.rows, config.large_rows, config.pool_size, config.connections) == (
        100_000,
        1_000_000,
        32,
        32,
    )
    assert config.scale_scenarios == ("list", "get")
    only = load_config({"BENCH_SCENARIOS": "mixed, list", "BENCH_QUICK": "1"})
    assert only.scenarios == ("list", "mixed") and only.scale_scenarios == ("list",)
    assert only.rounds == 1 and only.seconds == 2
    assert load_config({"BENCH_SCENARIOS": "create"}).scale_scenarios == ()
    with pytest.raises(BenchError, match="unknown scenario"):
        load_config({"BENCH_SCENARIOS": "lsit"})
    with pytest.raises(BenchError, match="bench"):
        load_config({"BENCH_DB": "test"})  # the benchmark wipes its database
    with pytest.raises(BenchError, match="BENCH_ROUNDS"):
        load_config({"BENCH_ROUNDS": "0"})
    assert [rows_label(n) for n in (100_000, 1_000_000, 1_500)] == ["100k", "1M", "1500"]
    extra = load_config({"BENCH_APP_ENV": "DB_POOL_PRE_PING=false NOTE='a b'"}).app_env
    assert extra == {"DB_POOL_PRE_PING": "false", "NOTE": "a b"}
    with pytest.raises(BenchError, match="BENCH_APP_ENV"):
        load_config({"BENCH_APP_ENV": "oops"})


def test_the_later_runs_are_reported_against_their_own_reference() -> None:
    def at(phase: str, app: str, scenario: str, rps: float) -> Sample:
        return replace(sample(app, 1, rps, 10_000), phase=phase, scenario=scenario)

    config = load_config({"BENCH_SCENARIOS": "get,mixed"})
    compare = [at("compare", "generated", "get", 300.0), at("compare", "baseline", "get", 100.0)]
    extra = [
        at("decomposition", "baseline-vs-fastapi-asyncpg", "get", 100.0),
        at("decomposition", "fastapi-asyncpg", "get", 400.0),
        at("decomposition", "baseline-vs-bare-asgi-asyncpg", "get", 110.0),
        at("decomposition", "bare-asgi-asyncpg", "get", 660.0),
        at("workers", "generated", "get", 300.0),
        at("workers", "generated-2w", "get", 450.0),
    ]
    text = "\n".join(extra_sections(config, compare, extra, "uvloop/httptools"))
    assert "| get | 3.00x | 4.00x (" in text and " | 6.00x (" in text
    assert "WORKERS=2" in text and "| get | 300 | 450 | 1.50x |" in text
    assert "Server stack" not in text  # no stack rounds, no section
