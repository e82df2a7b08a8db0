"""The Markdown report (pure): tables per app, ratios, the scale run and the targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bench.config import BASELINE, GENERATED, NOISE_WARNING_PERCENT, Config
from bench.scenarios import EXPECTED_STATUSES
from bench.stats import Sample, Summary, ratio, round_ratios, summarise

# Targets: issue 15 (req/s and p99 against the baseline), issue 7 (scale and memory).
TARGET_RPS_RATIO = 3.0
TARGET_SCALE_P50_RATIO = 1.2
RSS_GROWTH_TOLERANCE = 0.05


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
    """The targets (issue 15: req/s and p99; issue 7: scale and memory), met or NOT MET."""

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


def rows_label(rows: int) -> str:
    """100000 -> "100k", 1000000 -> "1M", 1500 -> "1500"."""
    if rows >= 1_000_000 and rows % 100_000 == 0:
        return f"{rows / 1_000_000:g}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def build_report(
    config: Config,
    header: Sequence[str],
    samples: Sequence[Sample],
    scale_samples: Sequence[Sample],
    small_label: str,
    large_label: str,
    extra_parts: Sequence[str] = (),
    extra_samples: Sequence[Sample] = (),
) -> str:
    """The Markdown report: settings, per-app table, ratios, scale, targets, raw rounds."""
    app_table, ratio_table, summaries = comparison_tables(samples, config.scenarios)
    parts = ["# make bench: generated Task API vs hand-written baseline", "", *header, ""]
    errors = error_report([*samples, *extra_samples, *scale_samples])
    if errors:
        parts += ["**!!! THE RUN HAD ERRORS: these figures are not valid !!!**", ""]
        parts += [f"- {line}" for line in errors] + [""]
    every = [*samples, *extra_samples, *scale_samples]
    noisy = [s for s in every if s.other_cpu_percent > NOISE_WARNING_PERCENT]
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
    if extra_parts:
        parts += ["", *extra_parts]
    targets = target_lines(summaries, scale_ratios, rss_by_app)
    if targets:
        parts += ["", "## Targets", "", *targets]
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
        for s in every
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
