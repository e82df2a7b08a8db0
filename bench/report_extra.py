"""The report's sections for the runs after the comparison (pure): decomposition, workers,
server stack."""

from __future__ import annotations

from collections.abc import Sequence

from bench.config import BASELINE, FLOOR_APPS, GENERATED, Config
from bench.phases import STACK_LABEL, reference_label, workers_label
from bench.report import fmt_ms, fmt_num, fmt_x, markdown_table
from bench.stats import Sample, Summary, ratio, summarise


def _summary(samples: Sequence[Sample], phase: str, scenario: str, app: str) -> Summary | None:
    chosen = [s for s in samples if (s.phase, s.scenario, s.app) == (phase, scenario, app)]
    return summarise(chosen) if chosen else None


def decomposition_section(
    config: Config, extra: Sequence[Sample], compare: Sequence[Sample]
) -> list[str]:
    """req/s of the generated app and of each floor app as a multiple of the baseline's."""
    rows = []
    for scenario in config.floor_scenarios:
        gen = _summary(compare, "compare", scenario, GENERATED)
        base = _summary(compare, "compare", scenario, BASELINE)
        cells = [scenario]
        cells.append(
            fmt_x(ratio(gen.requests_per_sec, base.requests_per_sec)) if gen and base else "n/a"
        )
        for label in FLOOR_APPS:
            floor = _summary(extra, "decomposition", scenario, label)
            reference = _summary(extra, "decomposition", scenario, reference_label(label))
            if floor is None or reference is None:
                cells.append("n/a")
                continue
            cells.append(
                f"{fmt_x(ratio(floor.requests_per_sec, reference.requests_per_sec))} "
                f"({fmt_num(floor.app_cpu_us_per_request)} us/req)"
            )
        rows.append(cells)
    if not rows:
        return []
    return [
        "## Decomposition: what is left above the framework and the driver",
        "",
        "req/s as a multiple of the baseline's, each measured in rounds interleaved with the "
        "baseline in this run (app CPU per request in brackets). The floor apps serve the same "
        "reads with the same SQL and JSON (bench/floor): FastAPI routes straight on an asyncpg "
        "pool, and a bare ASGI callable on the same pool. The gap between the generated app and "
        "FastAPI + asyncpg is SQLAlchemy, FastCRUD and the checks the generated routes make "
        "(validation, envelope, owner scoping); between FastAPI + asyncpg and bare ASGI it is "
        "the framework's routing, dependency resolution and middleware.",
        "",
        markdown_table(["scenario", GENERATED, *FLOOR_APPS], rows),
    ]


def _pair_table(extra: Sequence[Sample], phase: str, scenarios: Sequence[str], other: str) -> str:
    rows = []
    for scenario in scenarios:
        one = _summary(extra, phase, scenario, GENERATED)
        two = _summary(extra, phase, scenario, other)
        if one is None or two is None:
            continue
        rows.append(
            [
                scenario,
                fmt_num(one.requests_per_sec),
                fmt_num(two.requests_per_sec),
                fmt_x(ratio(two.requests_per_sec, one.requests_per_sec)),
                f"{fmt_ms(one.p99_us)} / {fmt_ms(two.p99_us)}",
                f"{fmt_num(one.app_cpu_percent)} / {fmt_num(two.app_cpu_percent)}",
                f"{fmt_num(one.app_cpu_us_per_request)} / {fmt_num(two.app_cpu_us_per_request)}",
                f"{fmt_num(one.pg_cpu_us_per_request)} / {fmt_num(two.pg_cpu_us_per_request)}",
            ]
        )
    return markdown_table(
        [
            "scenario",
            f"req/s {GENERATED}",
            f"req/s {other}",
            "ratio",
            "p99 ms",
            "app CPU % of one CPU",
            "app CPU us/req",
            "PG CPU us/req",
        ],
        rows,
    )


def workers_section(config: Config, extra: Sequence[Sample]) -> list[str]:
    label = workers_label(config.workers)
    if not any(s.phase == "workers" for s in extra):
        return []
    return [
        f"## Workers: one worker against WORKERS={config.workers}",
        "",
        f"`{GENERATED}` is one worker pinned to CPU {config.app_cpu}; `{label}` is "
        f"{config.workers} workers free to use CPUs {config.app_cpu} and {config.wrk_cpu}, "
        f"with DB_POOL_SIZE={max(1, config.pool_size // config.workers)} each (the same "
        "connections in total). Cells with a slash: one worker / N workers. What limits the "
        "second worker on a 2-CPU machine: the CPUs themselves. wrk is pinned to the second "
        "CPU and PostgreSQL's backends run on both, so the second worker gets only what they "
        "leave; the app CPU % column shows how much more than one CPU the workers got, and the "
        "PG column what the database took of the same CPUs. So here the second worker cannot "
        "double the req/s; the ratio is what it adds on this machine, not per CPU.",
        "",
        _pair_table(extra, "workers", config.extra_scenarios, label),
    ]


def stack_section(config: Config, extra: Sequence[Sample], default_stack: str) -> list[str]:
    if not any(s.phase == "stack" for s in extra):
        return []
    return [
        "## Server stack: uvicorn's default against asyncio/h11",
        "",
        f"`{GENERATED}` runs as `make serve` does (uvicorn picks {default_stack}); "
        f"`{STACK_LABEL}` is the same app with `--loop asyncio --http h11`, uvicorn without "
        "its `[standard]` extras. Cells with a slash: default / asyncio-h11.",
        "",
        _pair_table(extra, "stack", config.extra_scenarios, STACK_LABEL),
    ]


def extra_sections(
    config: Config, compare: Sequence[Sample], extra: Sequence[Sample], default_stack: str
) -> list[str]:
    """Every section above that has rounds, each followed by a blank line."""
    parts: list[str] = []
    for section in (
        decomposition_section(config, extra, compare),
        workers_section(config, extra),
        stack_section(config, extra, default_stack),
    ):
        if section:
            parts += [*section, ""]
    return parts
