"""Prometheus metrics at `/metrics`: requests, latency, the database pool, database errors.

Each app has its own registry (not prometheus-client's global one), so several apps in one
process (tests) never share or clash over series. Every label has a bounded set of values:
routes are templates (`/api/{user_id}/tasks/{id}`, or `unmatched`), methods outside HTTP's
standard ones are `other`, and error kinds are the fixed `DB_ERROR_KINDS`.

Each worker process counts its own requests; see docs/operating.md for what a scrape of
several workers sees.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from app.db import Database

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
DB_ERROR_KINDS = (
    "unavailable",  # connection refused or lost, server shutting down or overloaded
    "timeout",  # a statement or a connection attempt ran out of time
    "pool_timeout",  # no pooled connection came free in DB_POOL_TIMEOUT
    "unique_violation",
    "integrity",  # another constraint the request's validation did not catch
    "data",  # a value the database refused to store
    "schema",  # a table or column is missing: the database needs `make migrate`
    "other",
)
# The `*_created` series (a timestamp per label set) double a scrape for nothing Prometheus's
# text format needs. A process-wide switch: the app's registries are the only ones it serves.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Request latency buckets, in seconds: 1 ms up to the 5 s statement timeout and beyond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _PoolCollector:
    """Reads the pool at scrape time, so requests pay nothing for these gauges."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def collect(self) -> Iterable[Metric]:
        checkedout = getattr(self._database.engine.pool, "checkedout", None)
        in_use = checkedout() if callable(checkedout) else 0
        yield GaugeMetricFamily(
            "db_pool_connections_in_use", "Pooled connections checked out now.", value=in_use
        )
        yield GaugeMetricFamily(
            "db_pool_requests_waiting",
            "Requests waiting for a database connection (a free pooled one or a new one).",
            value=self._database.waiting,
        )


class Metrics:
    """The app's collectors; `observe` is called once per request by the middleware."""

    def __init__(self, database: Database) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._db_errors = Counter(
            "db_errors", "Database errors, by kind.", ["kind"], registry=self.registry
        )
        for kind in DB_ERROR_KINDS:
            self._db_errors.labels(kind)  # every kind is scraped from the start, at 0
        self.registry.register(_PoolCollector(database))
        ProcessCollector(registry=self.registry)
        # prometheus-client's `labels()` validates and locks on every call: the children of
        # the label sets seen so far are kept here, so a request costs one dict lookup.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else "other", status)
        children = self._children.get(key)
        if children is None:
            children = (
                self._requests.labels(route, key[1], str(status)),
                self._latency.labels(route, key[1]),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def database_error(self, kind: str) -> None:
        self._db_errors.labels(kind if kind in DB_ERROR_KINDS else "other").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def record_database_error(request: Request, kind: str) -> None:
    """Count a database error of `kind` when the app serves metrics."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.database_error(kind)


def metrics_router(metrics: Metrics) -> APIRouter:
    """`GET /metrics` in Prometheus's text format; kept out of the OpenAPI document."""
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    async def scrape() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router
