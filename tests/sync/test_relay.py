"""The in-process relay of the embedded default: same delivery code, woken by commits, on a real node."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.app import create_app
from gateway.services.auth import issue_token
from gateway.services.identity import NodeIdentity
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models.exchange import DELIVERED, PENDING
from signing.directory import Directory
from signing.keys import SigningKey
from sync import publish
from sync.context import DirectoryFiles, ExchangeContext
from sync.relay import Relay
from sync.routing import RoutingRules
from tests.gateway.conftest import award
from tests.gateway.live import free_port
from tests.sync.conftest import CITY, COUNTY, PROVINCE, MakeDirectory, deliveries
from tests.sync.fake_receiver import FakeReceiver
from tests.sync.servers import hold_directory, served

Ingest = Callable[..., list[str]]


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def factory(db_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def relay(settings: Settings, factory: Callable[[], Session], keys: dict[str, SigningKey],
          directory: Directory, city: FakeReceiver) -> Iterator[Relay]:
    context = ExchangeContext.build(settings, session_factory=factory, node_id=COUNTY,  # type: ignore[arg-type]
                                    key=keys[COUNTY], directory=lambda now: directory, transport=city)
    made = Relay(context, clock=lambda: datetime.now(UTC))
    yield made
    made.stop()


class TestRelay:
    def test_run_once_drains_every_due_stream(self, relay: Relay, factory: Callable[[], Session],
                                              ingest: Ingest, city: FakeReceiver) -> None:
        with factory() as db:
            ids = ingest(db, 5)
            db.commit()
        reports = relay.run_once()
        assert [r.delivered for r in reports] == [5]
        assert city.appended == ids
        assert relay.run_once() == []

    def test_file_only_peers_are_left_to_files(self, relay: Relay, factory: Callable[[], Session],
                                               ingest: Ingest, city: FakeReceiver) -> None:
        relay.context.settings = relay.context.settings.model_copy(update={
            "sync": relay.context.settings.sync.model_copy(update={"file_only_peers": [CITY]})})
        with factory() as db:
            ingest(db, 1)
            db.commit()
        assert relay.run_once() == []
        assert city.batches == []

    def test_the_thread_is_woken_by_a_commit(self, relay: Relay, factory: Callable[[], Session],
                                             ingest: Ingest, city: FakeReceiver, directory: Directory,
                                             rules: RoutingRules) -> None:
        relay.start()
        publish.configure(publisher=relay, directory=lambda now: directory, rules=rules)
        with factory() as db:
            ids = ingest(db, 3)
            db.commit()
        wait_for(lambda: len(city.appended) == 3)
        assert city.appended == ids


@dataclass
class CountyNode:
    client: TestClient
    city: FakeReceiver
    city_app: object  # the city's inbox, to serve on `port` when the test wants the city up
    port: int
    factory: Callable[[], Session]

    def ingest(self, county: NodeIdentity, start: int, count: int) -> list[str]:
        token = issue_token(county, role="source", subject="test", jurisdiction=None, scopes=None,
                            ttl=timedelta(hours=1), now=datetime.now(UTC))
        answer = self.client.post("/api/v1/ingest/standard", headers={"Authorization": f"Bearer {token}"},
                                  json=[award(start + i, jurisdiction=COUNTY) for i in range(count)])
        assert answer.status_code == 201, answer.text
        return [result["id"] for result in answer.json()["results"]]

    def statuses(self) -> list[tuple[str, int]]:
        with self.factory() as db:
            return [(row.status, row.attempts) for row in deliveries(db)]


class TestEmbeddedNode:
    """A county node app with its relay delivering over HTTP to a city inbox on loopback."""

    @pytest.fixture
    def node(self, db_url: str, tmp_path: Path, county: NodeIdentity, keys: dict[str, SigningKey],
             make_directory: MakeDirectory, factory: Callable[[], Session]) -> Iterator[CountyNode]:
        port = free_port()
        now = datetime.now(UTC)
        directory = make_directory({CITY: f"http://127.0.0.1:{port}"}, now=now)
        settings = Settings(env="test", data_dir=tmp_path / "county", node={"id": COUNTY}, db={"url": db_url},
                            sync={"backoff_base": timedelta(milliseconds=100),
                                  "sweep_interval": timedelta(seconds=1)})
        hold_directory(settings.data_dir, directory, keys[PROVINCE].public)
        assert DirectoryFiles(settings).current(now) is not None
        city = FakeReceiver(CITY, keys[CITY])
        with TestClient(create_app(settings, identity=county)) as client:
            yield CountyNode(client, city, city.asgi(directory), port, factory)

    def test_ingested_records_reach_the_city_once(self, node: CountyNode, county: NodeIdentity) -> None:
        with served(node.city_app, port=node.port):
            ids = node.ingest(county, 0, 30)
            wait_for(lambda: len(node.city.appended) == 30)
        assert node.city.appended == ids
        assert set(node.city.received.values()) == {1}

    def test_a_city_that_was_down_gets_everything_once_back(self, node: CountyNode,
                                                            county: NodeIdentity) -> None:
        ids = node.ingest(county, 0, 10)
        # Down: the relay keeps trying, backing off, and nothing is lost.
        wait_for(lambda: all(status == PENDING and attempts >= 2 for status, attempts in node.statuses()))
        with served(node.city_app, port=node.port):
            ids += node.ingest(county, 10, 5)
            wait_for(lambda: [status for status, _ in node.statuses()] == [DELIVERED] * 15)
        assert node.city.appended == ids
        assert set(node.city.received.values()) == {1}
