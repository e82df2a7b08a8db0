"""Rounds and their medians (pure): what one measured round holds and how rounds are reduced."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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
