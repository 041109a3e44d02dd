"""Prometheus metrics: counters kept in-process, gauges read from the database at scrape time.

The store gauges come from `gateway.services.status.store_gauges`, which names them; each scrape
reads them afresh, so a destination or state with nothing to report shows 0 rather than vanishing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


@dataclass(frozen=True, slots=True)
class GaugeReading:
    """One gauge read from the store: a single `value`, or with `label` set one sample per label value."""

    name: str  # exported as ggzy_<name>
    documentation: str
    value: float = 0.0
    label: str | None = None
    samples: Mapping[str, float] = field(default_factory=dict)


StoreGauges = Callable[[], Iterable[GaugeReading]]


class _StoreGauges(Collector):
    def __init__(self, read: StoreGauges) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for reading in self.read():
            name = f"ggzy_{reading.name}"
            if reading.label is None:
                yield GaugeMetricFamily(name, reading.documentation, value=reading.value)
                continue
            family = GaugeMetricFamily(name, reading.documentation, labels=[reading.label])
            for label_value, value in sorted(reading.samples.items()):
                family.add_metric([label_value], value)
            yield family


class Metrics:
    """One registry per app, so that several nodes (and tests) in one process never collide."""

    def __init__(self, store_gauges: StoreGauges) -> None:
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
