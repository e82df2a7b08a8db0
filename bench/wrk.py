"""wrk's report and the BENCH lines of bench/lua/common.lua parsed (pure, tested on canned text)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
