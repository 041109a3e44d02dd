"""Writing the outbox with the append, and publishing it only after the transaction commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.deps import DbDep
from gateway.services.identity import NodeIdentity
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models.exchange import PENDING, Delivery, Outbox
from schemas.errors import GatewayError
from signing.directory import Directory
from signing.keys import SigningKey
from sync import publish
from sync.outbox import PENDING_OUTBOX_KEY, EnvelopeRoute
from sync.routing import RoutingRules, parse_rules
from tests.conftest import FIXED_NOW
from tests.sync.conftest import CITY, COUNTY, OTHER_COUNTY, PROVINCE, RecordingPublisher, deliveries

Ingest = Callable[..., list[str]]


def route(envelope_id: str, jurisdiction: str = COUNTY, record_type: str = "tender.award",
          origin: str = COUNTY, sender: str | None = None) -> EnvelopeRoute:
    return (envelope_id, jurisdiction, record_type, origin, sender, ())


class TestEnqueue:
    def test_ingest_writes_one_numbered_delivery_per_destination(self, db: Session, ingest: Ingest) -> None:
        first = ingest(db, 3)
        second = ingest(db, 2, start=3)
        rows = deliveries(db)
        assert [(r.envelope_id, r.seq, r.status, r.attempts) for r in rows] == [
            (eid, seq, PENDING, 0) for seq, eid in enumerate(first + second)]
        assert {r.stream for r in rows} == {"records"}
        assert all(r.next_attempt_at == FIXED_NOW for r in rows)
        outbox = db.execute(select(Outbox)).scalar_one()
        assert (outbox.target_node, outbox.stream, outbox.next_seq) == (CITY, "records", 5)

    def test_each_destination_and_stream_is_numbered_on_its_own(self, db: Session, county: NodeIdentity,
                                                                directory: Directory) -> None:
        rules = parse_rules({"v": 1, "types": {"contract": {"stream": "contracts"}}})
        envelopes = [route("a" * 32), route("b" * 32, record_type="contract"), route("c" * 32),
                     route("d" * 32, jurisdiction=OTHER_COUNTY)]
        touched = publish.enqueue_deliveries(db, node=county, directory=directory, envelopes=envelopes,
                                             now=FIXED_NOW, rules=rules)
        assert len(touched) == 3
        got = {(r.envelope_id[0], r.target_node, r.stream, r.seq)
               for r in db.execute(select(Delivery)).scalars()}
        assert got == {("a", CITY, "records", 0), ("c", CITY, "records", 1), ("b", CITY, "contracts", 0),
                       ("d", PROVINCE, "records", 0)}
        assert db.info[PENDING_OUTBOX_KEY] == set(touched)

    def test_enqueueing_again_adds_nothing(self, db: Session, county: NodeIdentity, directory: Directory,
                                           rules: RoutingRules) -> None:
        for _ in range(2):
            publish.enqueue_deliveries(db, node=county, directory=directory, envelopes=[route("a" * 32)],
                                       now=FIXED_NOW, rules=rules)
        assert db.execute(select(func.count()).select_from(Delivery)).scalar_one() == 1

    def test_nothing_without_a_directory_or_a_destination(self, db: Session, county: NodeIdentity,
                                                          directory: Directory, rules: RoutingRules) -> None:
        assert publish.enqueue_deliveries(db, node=county, directory=None, envelopes=[route("a" * 32)],
                                          now=FIXED_NOW, rules=rules) == []
        assert publish.enqueue_deliveries(db, node=county, directory=directory, now=FIXED_NOW, rules=rules,
                                          envelopes=[route("a" * 32, record_type="access.event")]) == []
        assert db.execute(select(func.count()).select_from(Delivery)).scalar_one() == 0
        assert PENDING_OUTBOX_KEY not in db.info

    def test_forwarded_envelopes_never_go_back(self, db: Session, directory: Directory, rules: RoutingRules,
                                               keys: dict[str, SigningKey]) -> None:
        city_node = NodeIdentity(CITY, "city", "", keys[CITY], None)  # type: ignore[arg-type]
        publish.enqueue_deliveries(db, node=city_node, directory=directory, now=FIXED_NOW, rules=rules,
                                   envelopes=[route("a" * 32, sender=COUNTY)])
        assert [(r.target_node, r.seq) for r in db.execute(select(Delivery)).scalars()] == [(PROVINCE, 0)]


@pytest.fixture
def factory(db_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


class TestPublishAfterCommit:
    def test_published_once_committed(self, factory: Callable[[], Session], ingest: Ingest,
                                      publisher: RecordingPublisher) -> None:
        with factory() as db:
            ingest(db, 2)
            assert publisher.published == []  # not before the commit
            db.commit()
        assert len(publisher.published) == 1
        with factory() as db:
            assert publisher.ids == [deliveries(db)[0].outbox_id]

    def test_a_rollback_publishes_nothing(self, factory: Callable[[], Session], ingest: Ingest,
                                          publisher: RecordingPublisher) -> None:
        with factory() as db:
            ingest(db, 2)
            db.rollback()
            db.commit()
        assert publisher.published == []
        with factory() as db:
            assert deliveries(db) == []

    def test_a_savepoint_rolled_back_keeps_the_outer_ids(self, factory: Callable[[], Session], ingest: Ingest,
                                                         publisher: RecordingPublisher) -> None:
        with factory() as db:
            ingest(db, 1)
            with pytest.raises(RuntimeError), db.begin_nested():
                raise RuntimeError("a refused step")
            db.commit()
        assert len(publisher.ids) == 1

    def test_a_failing_publisher_never_fails_the_commit(self, factory: Callable[[], Session], ingest: Ingest,
                                                        directory: Directory, rules: RoutingRules) -> None:
        class Broken:
            def publish(self, outbox_ids: object, *, countdown: float | None = None) -> None:
                raise ConnectionError("broker down")

        publish.configure(publisher=Broken(), directory=lambda now: directory, rules=rules)
        try:
            with factory() as db:
                ingest(db, 1)
                db.commit()
            with factory() as db:
                assert len(deliveries(db)) == 1
        finally:
            publish.reset()


class TestRequestRollback:
    """The request's DB dependency commits; a request that fails after enqueueing publishes nothing."""

    @pytest.fixture
    def client(self, settings: Settings, node: NodeIdentity, directory: Directory, rules: RoutingRules,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, RecordingPublisher]]:
        from gateway.app import create_app

        router = APIRouter()

        @router.post("/test/enqueue/{fail}")
        def enqueue(db: DbDep, fail: bool) -> dict[str, int]:
            ids = publish.enqueue_deliveries(db, node=node, directory=directory, now=FIXED_NOW, rules=rules,
                                             envelopes=[route("e" * 32, jurisdiction=CITY, origin=CITY)])
            if fail:
                raise GatewayError("refused after the outbox was written")
            return {"outbox": ids[0]}

        app: FastAPI = create_app(settings, identity=node, clock=lambda: FIXED_NOW)
        app.include_router(router)
        recording = RecordingPublisher()
        with TestClient(app, raise_server_exceptions=False) as test_client:
            publish.configure(publisher=recording, directory=lambda now: directory, rules=rules)
            yield test_client, recording

    def test_committed_request_publishes(self, client: tuple[TestClient, RecordingPublisher]) -> None:
        test_client, recording = client
        answer = test_client.post("/test/enqueue/false")
        assert answer.status_code == 200
        assert recording.ids == [answer.json()["outbox"]]

    def test_failed_request_publishes_nothing(self, client: tuple[TestClient, RecordingPublisher],
                                              settings: Settings) -> None:
        test_client, recording = client
        answer = test_client.post("/test/enqueue/true")
        assert answer.status_code == 500
        assert recording.published == []
        engine = make_engine(settings.database_url)
        with make_session_factory(engine)() as db:
            assert db.execute(select(func.count()).select_from(Delivery)).scalar_one() == 0
        engine.dispose()

