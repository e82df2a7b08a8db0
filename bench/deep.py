"""The deep-page scenario of `make bench`: one owner with 100k rows, page 2,000, by offset and
by cursor, side by side on the generated app (the baseline has no cursor pages).

At an offset the database walks past every row before the page, and the total counts every
row of the owner; after a cursor it seeks the page's first row in the owner-leading index of
the sort. Each way is measured with the total (the default) and with `count=false`, so the
report shows what the seek saves and what the count still costs.

Settings: `BENCH_DEEP` (1; 0 skips it), `BENCH_DEEP_ROWS` (100000), `BENCH_DEEP_PAGE` (2000),
`BENCH_DEEP_LIMIT` (50). The owner "deep" is added to the benchmark database after the
comparison rounds (whose write rounds delete every row past the seeded ones).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import asyncpg

from bench.config import GENERATED, BenchError, Config, _flag, _int
from bench.database import after_seeding, database_url
from bench.load import Target, run_phase
from bench.report import fmt_ms, fmt_num, fmt_x, markdown_table
from bench.servers import App, http_request
from bench.stats import Sample, ratio, summarise

DEEP_OWNER = "deep"
VARIANTS: dict[str, tuple[str, bool]] = {
    "deep_offset": ("offset", True),
    "deep_cursor": ("cursor", True),
    "deep_offset_nocount": ("offset", False),
    "deep_cursor_nocount": ("cursor", False),
}
"""Each scenario: how the page is reached, and whether the total is counted. The scenario's
path is passed to its wrk script (`lua/<scenario>.lua`) in `BENCH_PATH_<scenario>`."""
WALK_LIMIT = 100
"""The page size of the walk that fetches the deep page's cursor (the spec's max_limit)."""

SEED_DEEP_SQL = """
INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at)
SELECT $2::bigint + k + 1,
       $3,
       'Deep task ' || k,
       CASE WHEN k % 3 = 0 THEN NULL ELSE 'Details of deep task ' || k END,
       k % 4 = 0,
       timestamptz '2026-02-01 00:00:00+00' + k * interval '1 second',
       timestamptz '2026-02-01 00:00:00+00' + k * interval '1 second'
FROM generate_series(0, $1::bigint - 1) AS k
"""


@dataclass(frozen=True)
class DeepSettings:
    enabled: bool
    rows: int
    page: int
    limit: int

    @property
    def rows_before(self) -> int:
        """The rows before the measured page: its offset."""
        return (self.page - 1) * self.limit


def load_deep(env: Mapping[str, str]) -> DeepSettings:
    settings = DeepSettings(
        enabled=_flag(env, "BENCH_DEEP", True),
        rows=_int(env, "BENCH_DEEP_ROWS", 100_000),
        page=_int(env, "BENCH_DEEP_PAGE", 2000),
        limit=_int(env, "BENCH_DEEP_LIMIT", 50),
    )
    if settings.limit > WALK_LIMIT:
        raise BenchError(f"BENCH_DEEP_LIMIT={settings.limit}: at most {WALK_LIMIT}")
    if settings.rows_before >= settings.rows:
        raise BenchError(
            f"page {settings.page} of {settings.limit} rows starts past the "
            f"{settings.rows:,} rows of BENCH_DEEP_ROWS"
        )
    return settings


async def seed_deep(config: Config, database: str, rows: int) -> float:
    """The deep owner's rows, after every other row's id, then `VACUUM ANALYZE`."""
    started = time.perf_counter()
    conn = await asyncpg.connect(database_url(config, database), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("DELETE FROM tasks WHERE user_id = $1", DEEP_OWNER)
        last_id = await conn.fetchval("SELECT coalesce(max(id), 0) FROM tasks")
        await conn.execute(SEED_DEEP_SQL, rows, last_id, DEEP_OWNER)
        await after_seeding(conn)
    finally:
        await conn.close()
    return time.perf_counter() - started


def _get(app: App, query: Mapping[str, object]) -> dict[str, object]:
    path = f"/api/{DEEP_OWNER}/tasks?{urlencode(query)}"
    status, _, body = http_request("GET", app.url + path, timeout=30)
    if status != 200 or not isinstance(body, dict):
        raise BenchError(f"GET {path} answered {status}: {body}")
    return body


def deep_cursor(app: App, settings: DeepSettings) -> str:
    """The `next_cursor` that leads to the deep page, found as a client finds it: by paging
    there (without totals, `WALK_LIMIT` rows at a time)."""
    cursor: object = None
    remaining = settings.rows_before
    while remaining:
        query: dict[str, object] = {"limit": min(WALK_LIMIT, remaining), "count": "false"}
        if cursor is not None:
            query["cursor"] = cursor
        page = _get(app, query)
        data = page["data"]
        assert isinstance(data, list)
        remaining -= len(data)
        cursor = page["next_cursor"]
        if not isinstance(cursor, str):
            raise BenchError(f"the walk to page {settings.page} ended {remaining} rows early")
    if not isinstance(cursor, str):
        raise BenchError("BENCH_DEEP_PAGE must be at least 2")
    return cursor


def deep_paths(app: App, settings: DeepSettings) -> dict[str, str]:
    """Each scenario's path, after checking that the cursor and the offset reach the very
    same page and that both count every row of the owner."""
    cursor = deep_cursor(app, settings)
    paths: dict[str, str] = {}
    pages: dict[str, dict[str, object]] = {}
    for scenario, (how, counted) in VARIANTS.items():
        query: dict[str, object] = {"limit": settings.limit}
        query.update({"offset": settings.rows_before} if how == "offset" else {"cursor": cursor})
        if not counted:
            query["count"] = "false"
        pages[scenario] = _get(app, query)
        paths[scenario] = f"/api/{DEEP_OWNER}/tasks?{urlencode(query)}"
    reference = pages["deep_offset"]["data"]
    for scenario, (_, counted) in VARIANTS.items():
        page = pages[scenario]
        if page["data"] != reference or page["total_count"] != (settings.rows if counted else None):
            raise BenchError(f"{scenario}: not the page that offset {settings.rows_before} gives")
    return paths


def run_deep(config: Config, settings: DeepSettings, app: App) -> list[Sample]:
    """Seed the deep owner, find the page's cursor, then the rounds of each scenario."""
    seconds = asyncio.run(seed_deep(config, config.database, settings.rows))
    print(f"\nseeded owner {DEEP_OWNER!r}: {settings.rows:,} rows in {seconds:.1f} s", flush=True)
    started = time.monotonic()
    for scenario, path in deep_paths(app, settings).items():
        os.environ[f"BENCH_PATH_{scenario}"] = path  # read by lua/<scenario>.lua under wrk
    print(f"walked to page {settings.page} by cursor in {time.monotonic() - started:.1f} s")
    target = Target(GENERATED, app, config.database, config.owners, config.rows)
    return run_phase(config, "deep", tuple(VARIANTS), [target])


def deep_report(settings: DeepSettings, samples: Sequence[Sample]) -> str:
    """The deep-page section of the report: each scenario, then cursor against offset."""
    summaries = {
        scenario: summarise([s for s in samples if s.scenario == scenario])
        for scenario in VARIANTS
        if any(s.scenario == scenario for s in samples)
    }
    rows = [
        [
            scenario,
            f"{how}{'' if counted else ', count=false'}",
            fmt_num(summary.requests_per_sec),
            fmt_ms(summary.p50_us),
            fmt_ms(summary.p99_us),
            fmt_num(summary.app_cpu_us_per_request),
            fmt_num(summary.pg_cpu_us_per_request),
            str(summary.errors) if summary.errors == 0 else f"**{summary.errors}**",
        ]
        for scenario, summary in summaries.items()
        for how, counted in [VARIANTS[scenario]]
    ]
    header = ["scenario", "page by", "req/s", "p50 ms", "p99 ms", "app CPU us/req"]
    lines = [
        f"## Deep page: owner {DEEP_OWNER!r} with {settings.rows:,} rows, page "
        f"{settings.page:,} of {settings.limit} (rows {settings.rows_before + 1:,}-"
        f"{settings.rows_before + settings.limit:,}), default sort, generated app",
        "",
        markdown_table([*header, "PG CPU us/req", "errors"], rows, right=2),
    ]
    pairs = [("deep_cursor", "deep_offset"), ("deep_cursor_nocount", "deep_offset_nocount")]
    ratios = [
        [
            f"{cursor} / {offset}",
            fmt_x(ratio(summaries[cursor].requests_per_sec, summaries[offset].requests_per_sec)),
            fmt_x(ratio(summaries[offset].p50_us, summaries[cursor].p50_us)),
        ]
        for cursor, offset in pairs
        if cursor in summaries and offset in summaries
    ]
    if ratios:
        lines += [
            "",
            markdown_table(["cursor vs offset", "req/s ratio", "p50 speed-up"], ratios),
        ]
    return "\n".join(lines)
