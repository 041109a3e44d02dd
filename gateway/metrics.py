"""Prometheus metrics: counters kept in-process, gauges read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _StoreGauges(Collector):
    def __init__(self, read: Callable[[], Mapping[str, float]]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, value in self.read().items():
            yield GaugeMetricFamily(f"ggzy_{name}", name.replace("_", " "), value=value)


class Metrics:
    """One registry per app, so that several nodes (and tests) in one process never collide."""

    def __init__(self, store_gauges: Callable[[], Mapping[str, float]]) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "ggzy_ingest_records", "records by outcome", ["status"], registry=self.registry
        )
        self.requests = Histogram(
            "ggzy_http_request_seconds",
            "request latency",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.registry.register(_StoreGauges(store_gauges))

    def count_ingest(self, counts: Mapping[str, int]) -> None:
        for status, n in counts.items():
            self.ingested.labels(status=status).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
