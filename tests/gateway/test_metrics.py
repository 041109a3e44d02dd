"""`/metrics`: the store gauges with their labels, scraped from a running app, on an empty node and on
the busy node of test_status (outbox per destination, obligations and complaints by deadline
state), and again once the outbox is delivered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.app import create_app
from gateway.metrics import GaugeReading, Metrics
from gateway.services.identity import NodeIdentity
from signing.keys import SigningKey
from sync import publish
from tests.gateway.test_status import (
    CITY,
    LAST_INGEST_AT,
    PROVINCE,
    SECOND_TRY_AT,
    STATUS_AT,
    BusyNode,
    build_busy_node,
    drain,
)

STORE_GAUGES = (
    "ggzy_log_size", "ggzy_quarantine_open", "ggzy_checkpoint_size", "ggzy_checkpoint_age_seconds",
    "ggzy_outbox_depth", "ggzy_outbox_retrying", "ggzy_outbox_failed",
    "ggzy_outbox_oldest_undelivered_seconds",
    "ggzy_obligations", "ggzy_complaints",
)
Scrape = dict[str, float]


def store_samples(text: str) -> Scrape:
    """`name{label="value"}` → value for every store gauge in a scrape."""
    found: Scrape = {}
    for family in text_string_to_metric_families(text):
        if family.name not in STORE_GAUGES:
            continue
        assert family.type == "gauge"
        for sample in family.samples:
            labels = ",".join(f'{name}="{value}"' for name, value in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def per_destination(name: str, province: float, city: float) -> Scrape:
    return {f'{name}{{destination="{PROVINCE}"}}': province, f'{name}{{destination="{CITY}"}}': city}


def by_state(name: str, overdue: float, due_soon: float) -> Scrape:
    return {f'{name}{{status="overdue"}}': overdue, f'{name}{{status="due_soon"}}': due_soon}


@contextmanager
def serving(settings: Settings, node: NodeIdentity) -> Iterator[TestClient]:
    """The node's app reading the test database, its clock at STATUS_AT."""
    app = create_app(settings, identity=node, clock=lambda: STATUS_AT)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


@pytest.fixture
def busy(db: Session, node: NodeIdentity, node_key: SigningKey) -> Iterator[BusyNode]:
    try:
        yield build_busy_node(db, node=node, city_key=node_key)
    finally:
        publish.reset()


class TestStoreGaugeCollector:
    def test_plain_and_labelled_gauges_are_rendered(self) -> None:
        readings = [GaugeReading("widgets", "widgets held", 3),
                    GaugeReading("queue_depth", "items waiting per queue", label="queue",
                                 samples={"b": 2, "a": 1.5})]
        text = Metrics(lambda: readings).render().decode()
        assert [line for line in text.splitlines() if "widgets" in line or "queue_depth" in line] == [
            "# HELP ggzy_widgets widgets held", "# TYPE ggzy_widgets gauge", "ggzy_widgets 3.0",
            "# HELP ggzy_queue_depth items waiting per queue", "# TYPE ggzy_queue_depth gauge",
            'ggzy_queue_depth{queue="a"} 1.5', 'ggzy_queue_depth{queue="b"} 2.0',
        ]

    def test_the_store_is_read_at_each_scrape(self) -> None:
        depth = iter([4.0, 0.0])
        metrics = Metrics(lambda: [GaugeReading("depth", "depth", next(depth))])
        assert "ggzy_depth 4.0" in metrics.render().decode()
        assert "ggzy_depth 0.0" in metrics.render().decode()


class TestScrape:
    def test_an_empty_node(self, settings: Settings, node: NodeIdentity) -> None:
        with serving(settings, node) as client:
            text = scrape(client)
        assert store_samples(text) == {
            "ggzy_log_size": 0, "ggzy_quarantine_open": 0,
            **by_state("ggzy_obligations", 0, 0), **by_state("ggzy_complaints", 0, 0),
        }
        # No destination yet: the outbox families are there, with no sample.
        assert "# TYPE ggzy_outbox_depth gauge" in text

    def test_a_busy_node_then_its_outbox_delivered(self, db: Session, busy: BusyNode, settings: Settings,
                                                   node: NodeIdentity) -> None:
        city_age, province_age = ((STATUS_AT - t).total_seconds() for t in (SECOND_TRY_AT, LAST_INGEST_AT))
        common = {
            "ggzy_log_size": busy.log_size, "ggzy_quarantine_open": 1, "ggzy_checkpoint_size": busy.log_size,
            "ggzy_checkpoint_age_seconds": (STATUS_AT - LAST_INGEST_AT).total_seconds(),
            **per_destination("ggzy_outbox_failed", 0, 1),
            **by_state("ggzy_obligations", 1, 1), **by_state("ggzy_complaints", 1, 1),
        }
        with serving(settings, node) as client:
            before = scrape(client)
            drain(db, busy)
            after = scrape(client)
        assert store_samples(before) == {
            **common,
            **per_destination("ggzy_outbox_depth", 2, 3),
            **per_destination("ggzy_outbox_retrying", 0, 2),
            **per_destination("ggzy_outbox_oldest_undelivered_seconds", province_age, city_age),
        }
        assert store_samples(after) == {
            **common,
            **per_destination("ggzy_outbox_depth", 0, 0),
            **per_destination("ggzy_outbox_retrying", 0, 0),
            **per_destination("ggzy_outbox_oldest_undelivered_seconds", 0, 0),
        }
        assert '# HELP ggzy_outbox_depth deliveries waiting to be sent' in before
