"""Prometheus metrics: the services' `Counters` (read at scrape time, so the use cases
never touch a metrics library), queue depth, messages held for each connector, and the
HTTP latency histogram `http.FixedPaths` fills. Each app gets its own registry.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.native.openapi import Operation, Reply
from smsgate.services.counters import Counters

# Sub-millisecond buckets matter: most API requests take 0.2-5 ms.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class CountersCollector:
    """Reads `Counters` on every scrape; `queue_depth` and `held` are refreshed by the
    endpoint first."""

    def __init__(self, stats: Counters) -> None:
        self._stats = stats
        self.queue_depth = 0
        self.held: Mapping[str, int] = {}

    def collect(self) -> Iterable[Metric]:
        stats = self._stats
        yield CounterMetricFamily(
            "smsgate_messages_accepted",
            "Messages stored and charged (one per recipient).",
            value=stats.accepted,
        )
        yield CounterMetricFamily(
            "smsgate_messages_sent", "Messages an upstream accepted.", value=stats.sent
        )
        yield CounterMetricFamily(
            "smsgate_messages_retried", "Temporary upstream failures retried.", value=stats.retried
        )
        yield CounterMetricFamily(
            "smsgate_receipts", "Delivery receipts applied.", value=stats.receipts
        )
        inbound = CounterMetricFamily(
            "smsgate_inbound", "MO stored, routed to an account or not.", labels=["routed"]
        )
        inbound.add_metric(["true"], stats.total("inbound_routed"))
        inbound.add_metric(["false"], stats.total("inbound_unrouted"))
        yield inbound
        final = CounterMetricFamily(
            "smsgate_messages_final", "Messages that reached a final status.", labels=["status"]
        )
        for status, count in sorted(stats.final.items()):
            final.add_metric([status], count)
        yield final
        yield CounterMetricFamily(
            "smsgate_sqlite_writes",
            "Write transactions on SQLite (none on PostgreSQL).",
            value=stats.total("sqlite_writes"),
        )
        yield CounterMetricFamily(
            "smsgate_sqlite_write_seconds",
            "Seconds SQLite's one write lock was held: per second, how busy the writer is.",
            value=stats.total("sqlite_write_us") / 1_000_000,
        )
        yield CounterMetricFamily(
            "smsgate_sqlite_write_wait_seconds",
            "Seconds writers waited for SQLite's write lock.",
            value=stats.total("sqlite_wait_us") / 1_000_000,
        )
        yield CounterMetricFamily(
            "smsgate_postgres_writes",
            "Write transactions committed on PostgreSQL (none on SQLite).",
            value=stats.total("postgres_writes"),
        )
        yield CounterMetricFamily(
            "smsgate_postgres_write_seconds",
            "Seconds of PostgreSQL's committed write transactions, from connection to COMMIT.",
            value=stats.total("postgres_write_us") / 1_000_000,
        )
        yield GaugeMetricFamily(
            "smsgate_queue_depth", "Messages waiting to be sent.", value=self.queue_depth
        )
        held = GaugeMetricFamily(
            "smsgate_held_messages",
            "Queued messages waiting for the connector to bind.",
            labels=["connector"],
        )
        for connector, count in sorted(self.held.items()):
            held.add_metric([connector], count)
        yield held

    def describe(self) -> Iterable[Metric]:
        return self.collect()


class Metrics:
    """The registry of one app, its /metrics endpoint and its latency histogram."""

    def __init__(
        self,
        stats: Counters,
        queue_depth: Callable[[], Awaitable[int]],
        held: Callable[[], Awaitable[Mapping[str, int]]],
    ) -> None:
        self.registry = CollectorRegistry()
        self._collector = CountersCollector(stats)
        self.registry.register(self._collector)
        self._queue_depth = queue_depth
        self._held = held
        self.latency = Histogram(
            "smsgate_http_request_duration_seconds",
            "HTTP request latency by method, route template and status class.",
            ["method", "route", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._latency_children: dict[tuple[str, str, int], Any] = {}

    def observe(self, method: str, route: str, status: int, started: float) -> None:
        """Count one request that began at `started` (a `time.perf_counter()` reading)."""
        key = (method, route, status // 100)
        child = self._latency_children.get(key)
        if child is None:
            child = self._latency_children[key] = self.latency.labels(
                method, route, f"{status // 100}xx"
            )
        child.observe(time.perf_counter() - started)

    async def get_metrics(self, request: Request) -> Response:
        self._collector.queue_depth = await self._queue_depth()
        self._collector.held = await self._held()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    def operations(self) -> list[Operation]:
        text = Reply("Prometheus text format", media_type="text/plain")
        return [
            Operation(
                "GET",
                "/metrics",
                self.get_metrics,
                "Prometheus metrics",
                {200: text},
                "operations",
                auth=False,
            )
        ]
