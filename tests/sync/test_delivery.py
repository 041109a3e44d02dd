"""`deliver()` with a fake receiver and a frozen clock: batches, receipts, retries, failures, gaps, locks."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.services.ingest import ingest_standard
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models import LogLeaf
from gateway.store.models.exchange import DELIVERED, FAILED, PENDING, DeliveryAttempt
from gateway.store.repositories.exchange import ExchangeRepository
from signing.directory import Directory
from signing.keys import Keyring, SigningKey
from signing.receipt import sign_receipt, verify_receipt
from sync.alert import DeliveryAlerts
from sync.delivery import Claim, DeliveryReport, Failure, RetryPolicy, claim, deliver, record, send
from sync.routing import RoutingRules
from sync.transport import Answer, TransportError
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import award
from tests.sync.conftest import CITY, COUNTY, RecordingPublisher, deliveries
from tests.sync.fake_receiver import FakeReceiver, problem

POLICY = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(minutes=10), batch_size=4)
Ingest = Callable[..., list[str]]


class RecordingAlerts:
    def __init__(self) -> None:
        self.failures: list[Failure] = []

    def __call__(self, db: Session, *, failures: list[Failure], now: object) -> None:
        self.failures.extend(failures)


def outbox_of(db: Session) -> int:
    return deliveries(db)[0].outbox_id


def run(db: Session, city: FakeReceiver, directory: Directory, *, now=FIXED_NOW, outbox_id: int | None = None,
        alerts: object = None, policy: RetryPolicy = POLICY) -> DeliveryReport:
    return deliver(db, outbox_id=outbox_id or outbox_of(db), transport=city, directory=directory,
                   node_id=COUNTY, now=now, policy=policy, rng=random.Random(4), alerts=alerts)  # type: ignore[arg-type]


def attempts(db: Session) -> list[DeliveryAttempt]:
    return list(db.execute(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).scalars())


class TestDeliver:
    def test_batches_in_order_with_receipts_kept(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                 directory: Directory, keys: dict[str, SigningKey]) -> None:
        ids = ingest(db, 10)
        reports = [run(db, city, directory) for _ in range(4)]
        assert [r.sent for r in reports] == [4, 4, 2, 0]
        assert [r.more for r in reports[:3]] == [True, True, False]
        assert reports[3].outcome == "idle"
        assert city.batches == [("records", 0, 4), ("records", 4, 4), ("records", 8, 2)]
        assert city.appended == ids  # log order, each once
        rows = deliveries(db)
        assert [r.status for r in rows] == [DELIVERED] * 10
        leaves = dict(db.execute(select(LogLeaf.envelope_id, LogLeaf.leaf)).all())
        for row in rows:
            receipt = verify_receipt(row.receipt or b"", Keyring([keys[CITY].public]))
            assert row.receipt == city.held[(COUNTY, row.envelope_id)][1]  # byte for byte
            assert receipt["digest"] == "sha256:" + hashlib.sha256(leaves[row.envelope_id]).hexdigest()
            assert row.attempts == 1
            assert row.delivered_at == FIXED_NOW
        assert [a.outcome for a in attempts(db)] == ["delivered"] * 10

    def test_network_failure_backs_off_from_stored_attempts(self, db: Session, ingest: Ingest,
                                                            city: FakeReceiver, directory: Directory) -> None:
        ingest(db, 3)
        city.script = [TransportError(why) for why in ("connection refused", "timeout", "reset")]
        now = FIXED_NOW
        waits = []
        for attempt in (1, 2, 3):
            report = run(db, city, directory, now=now)
            assert report.outcome == "sent"
            assert report.retrying == 3
            assert report.retry_at is not None
            wait = report.retry_at - now
            step = POLICY.base * 2 ** (attempt - 1)
            assert step / 2 <= wait <= step, (attempt, wait)
            assert all(r.status == PENDING and r.attempts == attempt for r in deliveries(db))
            early = run(db, city, directory, now=report.retry_at - timedelta(milliseconds=1))
            assert early.outcome == "waiting"
            assert early.sent == 0
            waits.append(wait)
            now = report.retry_at
        assert run(db, city, directory, now=now).delivered == 3
        assert [r.attempts for r in deliveries(db)] == [4, 4, 4]
        outcomes = [a.outcome for a in attempts(db)]
        assert outcomes == ["transient"] * 9 + ["delivered"] * 3
        assert "exchange.unreachable" in (attempts(db)[0].error or "")

    @pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
    def test_server_errors_and_throttling_are_transient(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                         directory: Directory, status: int) -> None:
        ingest(db, 2)
        city.script = [problem(status, "server.busy")]
        report = run(db, city, directory)
        assert report.retrying == 2
        assert report.failed == 0
        assert all(r.status == PENDING and f"http.{status}" in (r.last_error or "") for r in deliveries(db))
        assert all(a.http_status == status for a in attempts(db))

    def test_retry_after_is_honoured_within_the_cap(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                    directory: Directory) -> None:
        ingest(db, 1)
        city.script = [Answer(429, b"{}", retry_after=120.0)]
        report = run(db, city, directory)
        assert report.retry_at == FIXED_NOW + timedelta(seconds=120)
        city.script = [Answer(503, b"{}", retry_after=86400.0)]
        report = run(db, city, directory, now=FIXED_NOW + timedelta(seconds=120))
        assert report.retry_at == FIXED_NOW + timedelta(seconds=120) + POLICY.cap

    def test_backoff_is_capped(self) -> None:
        policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(minutes=10))
        rng = random.Random(1)
        delays = [policy.delay(n, rng) for n in (10, 40, 500)]
        assert all(timedelta(minutes=5) <= delay <= timedelta(minutes=10) for delay in delays)

    @pytest.mark.parametrize(("status", "code"), [(403, "peer.unknown_key"), (401, "peer.replayed_token"),
                                                  (422, "exchange.bad_request"), (404, "http.404")])
    def test_client_errors_fail_for_good_and_alert(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                   directory: Directory, status: int, code: str) -> None:
        ids = ingest(db, 3)
        city.script = [problem(status, code) if code != "http.404" else Answer(404, b"not found")]
        alerts = RecordingAlerts()
        report = run(db, city, directory, alerts=alerts)
        assert report.failed == 3
        assert all(r.status == FAILED and (r.last_error or "").startswith(code) for r in deliveries(db))
        assert [a.outcome for a in attempts(db)] == ["permanent"] * 3
        assert [(f.target, f.code, f.envelope_ids, f.http_status) for f in alerts.failures] == [
            (CITY, code, tuple(ids), status)]
        assert run(db, city, directory).outcome == "idle"  # nothing is tried again by itself

    def test_a_refused_envelope_fails_the_others_are_delivered(
            self, db: Session, ingest: Ingest, city: FakeReceiver, directory: Directory) -> None:
        ids = ingest(db, 3)
        city.refuse[ids[1]] = "exchange.invalid_payload"
        alerts = RecordingAlerts()
        report = run(db, city, directory, alerts=alerts)
        assert (report.delivered, report.failed) == (2, 1)
        assert [r.status for r in deliveries(db)] == [DELIVERED, FAILED, DELIVERED]
        assert deliveries(db)[1].receipt is None
        assert [(f.envelope_ids, f.code) for f in alerts.failures] == [
            ((ids[1],), "exchange.invalid_payload")]
        assert [a.outcome for a in attempts(db)] == ["delivered", "delivered", "refused"]

    def test_a_receipt_from_another_key_is_not_taken(self, db: Session, ingest: Ingest, directory: Directory,
                                                     keys: dict[str, SigningKey]) -> None:
        ingest(db, 2)
        impostor = FakeReceiver(CITY, SigningKey.generate(), sender=COUNTY)
        report = run(db, impostor, directory)
        assert report.retrying == 2
        assert report.delivered == 0
        assert all("exchange.bad_receipt" in (r.last_error or "") for r in deliveries(db))

    def test_a_receipt_for_other_bytes_fails(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                             directory: Directory, keys: dict[str, SigningKey]) -> None:
        ids = ingest(db, 1)
        receipt = sign_receipt({"envelope_id": ids[0], "origin": COUNTY, "sender": COUNTY, "receiver": CITY,
                                "digest": "sha256:" + "0" * 64, "status": "accepted", "log_index": 0,
                                "received_at": "2026-11-22T10:00:00+08:00"}, keys[CITY])
        city.script = [Answer(200, b'{"receipts":[' + receipt + b'],"next_seq":1}')]
        report = run(db, city, directory, alerts=RecordingAlerts())
        assert report.failed == 1
        assert (deliveries(db)[0].last_error or "").startswith("exchange.receipt_mismatch")

    @pytest.mark.parametrize("body", [b"not json", b'{"receipts": []}', b'{"receipts": 3}', b"[]"])
    def test_an_answer_without_one_receipt_each_is_retried(self, db: Session, ingest: Ingest,
                                                           city: FakeReceiver, directory: Directory,
                                                           body: bytes) -> None:
        ingest(db, 2)
        city.script = [Answer(200, body)]
        assert run(db, city, directory).retrying == 2
        assert all("exchange.bad_answer" in (r.last_error or "") for r in deliveries(db))

    def test_a_receiver_that_lost_its_state_gets_everything_again(
            self, db: Session, ingest: Ingest, city: FakeReceiver, directory: Directory) -> None:
        first = ingest(db, 4)
        run(db, city, directory)
        city.forget()
        later = ingest(db, 2, start=4)
        gap = run(db, city, directory)
        assert gap.retrying == 2
        assert gap.more
        assert [r.status for r in deliveries(db)] == [PENDING] * 6
        run(db, city, directory)
        run(db, city, directory)
        assert city.appended == first + later
        assert [r.status for r in deliveries(db)] == [DELIVERED] * 6
        assert "gap" in [a.outcome for a in attempts(db)]

    def test_a_gap_over_a_failed_delivery_waits_for_the_operator(
            self, db: Session, ingest: Ingest, city: FakeReceiver, directory: Directory) -> None:
        ingest(db, 2)
        city.script = [problem(403, "peer.unknown_key")]
        run(db, city, directory, alerts=RecordingAlerts())
        ingest(db, 1, start=2)
        report = run(db, city, directory)
        assert report.retrying == 1
        third = deliveries(db)[2]
        assert third.status == PENDING
        assert "seq 0 FAILED" in (third.last_error or "")
        assert ExchangeRepository(db).reopen(now=FIXED_NOW + timedelta(hours=1)) == 2
        later = FIXED_NOW + timedelta(hours=1)
        assert run(db, city, directory, now=later).delivered == 3
        assert len(city.appended) == 3

    def test_the_receiver_must_be_in_the_directory(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                   make_directory: Callable[..., Directory]) -> None:
        ingest(db, 1)
        smaller = make_directory(without={CITY, COUNTY})
        report = run(db, city, smaller, alerts=RecordingAlerts())
        assert report.failed == 1
        assert "directory.unknown_node" in (deliveries(db)[0].last_error or "")

    def test_by_delivery_id(self, db: Session, ingest: Ingest, city: FakeReceiver,
                            directory: Directory) -> None:
        ingest(db, 2)
        first = deliveries(db)[0].id
        report = deliver(db, delivery_id=first, transport=city, directory=directory, node_id=COUNTY,
                         now=FIXED_NOW, policy=POLICY)
        assert report.delivered == 2
        again = deliver(db, delivery_id=first, transport=city, directory=directory, node_id=COUNTY,
                        now=FIXED_NOW, policy=POLICY)
        assert again.outcome == "done"
        assert len(city.received) == 2

    def test_exactly_one_of_the_ids(self, db: Session, city: FakeReceiver, directory: Directory) -> None:
        with pytest.raises(ValueError, match="exactly one"):
            deliver(db, transport=city, directory=directory, node_id=COUNTY, now=FIXED_NOW)
        with pytest.raises(ValueError, match="exactly one"):
            deliver(db, outbox_id=1, delivery_id=1, transport=city, directory=directory, node_id=COUNTY,
                    now=FIXED_NOW)


class TestTwoTransactions:
    """Claim, send, record: what the relay does on SQLite, where the claim's transaction ends first."""

    def test_claim_then_record_in_a_later_transaction(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                       directory: Directory) -> None:
        ingest(db, 3)
        claimed = claim(db, outbox_id=outbox_of(db), now=FIXED_NOW)
        assert isinstance(claimed, Claim)
        assert [row.seq for row in claimed.rows] == [0, 1, 2]
        sent = send(claimed, transport=city, directory=directory, now=FIXED_NOW)
        assert attempts(db) == []  # sending writes nothing
        report = record(db, claimed, sent, directory=directory, node_id=COUNTY, now=FIXED_NOW, recheck=True)
        assert report.delivered == 3
        assert [r.status for r in deliveries(db)] == [DELIVERED] * 3

    def test_a_run_recorded_meanwhile_is_left_alone(self, db: Session, ingest: Ingest, city: FakeReceiver,
                                                     directory: Directory) -> None:
        ingest(db, 2)
        claimed = claim(db, outbox_id=outbox_of(db), now=FIXED_NOW)
        assert isinstance(claimed, Claim)
        sent = send(claimed, transport=city, directory=directory, now=FIXED_NOW)
        assert run(db, city, directory).delivered == 2  # another relay got there first
        report = record(db, claimed, sent, directory=directory, node_id=COUNTY, now=FIXED_NOW, recheck=True)
        assert report.outcome == "busy"
        assert [a.outcome for a in attempts(db)] == ["delivered"] * 2

    def test_nothing_to_claim(self, db: Session, ingest: Ingest) -> None:
        ingest(db, 1)
        outbox_id = outbox_of(db)
        waiting = claim(db, outbox_id=outbox_id, now=FIXED_NOW - timedelta(seconds=1))
        assert isinstance(waiting, DeliveryReport)
        assert (waiting.outcome, waiting.retry_at) == ("waiting", FIXED_NOW)
        unknown = claim(db, delivery_id=10**9, now=FIXED_NOW)
        assert isinstance(unknown, DeliveryReport)
        assert unknown.outcome == "busy"


class TestDeliveryAlerts:
    def test_a_failure_becomes_a_logged_and_routed_alert(
            self, db: Session, ingest: Ingest, city: FakeReceiver, directory: Directory, rules: RoutingRules,
            keys: dict[str, SigningKey], county: object, publisher: RecordingPublisher) -> None:
        ids = ingest(db, 2)
        city.script = [problem(403, "peer.unknown_key")]
        sink = DeliveryAlerts(node_id=COUNTY, key=keys[COUNTY], directory=directory, rules=rules)
        run(db, city, directory, alerts=sink)
        alert_rows = db.execute(select(LogLeaf).where(LogLeaf.record_type == "alert")).scalars().all()
        assert len(alert_rows) == 1
        envelope = orjson.loads(alert_rows[0].leaf)
        payload = envelope["payload"]
        assert payload["kind"] == "delivery.failed"
        assert payload["subject_ids"] == ids
        assert payload["details"]["code"] == "peer.unknown_key"
        assert payload["details"]["target"] == CITY
        # The alert travels like any record: it is queued for the city after the two failed ones.
        rows = deliveries(db)
        assert [r.envelope_id for r in rows] == [*ids, envelope["id"]]
        assert rows[2].seq == 2
        # The standard ingest recognises it as the same record (same id and record key).
        again = ingest_standard(db, items=[{"type": "alert", "jurisdiction": COUNTY, "payload": payload}],
                                node=county, source_system="exchange", now=FIXED_NOW)  # type: ignore[arg-type]
        assert again[0].status == "duplicate"
        assert again[0].id == envelope["id"]

    def test_failed_alerts_raise_no_further_alert(self, db: Session, keys: dict[str, SigningKey],
                                                  directory: Directory, rules: RoutingRules) -> None:
        sink = DeliveryAlerts(node_id=COUNTY, key=keys[COUNTY], directory=directory, rules=rules)
        sink(db, failures=[Failure(CITY, "records", (0,), ("a" * 32,), ("alert",), "peer.unknown_key", "x")],
             now=FIXED_NOW)
        assert db.execute(select(func.count()).select_from(LogLeaf)).scalar_one() == 0


class TestSkipLocked:
    def test_two_workers_never_send_the_same_batch(
            self, db_url: str, county: object, keys: dict[str, SigningKey], directory: Directory,
            publisher: RecordingPublisher) -> None:
        if not db_url.startswith("postgresql"):
            pytest.skip("row locks with SKIP LOCKED are a PostgreSQL matter; SQLite has one writer")
        engine = make_engine(db_url)
        factory = make_session_factory(engine)
        try:
            with factory() as db, db.begin():
                ingest_standard(db, items=[award(i, jurisdiction=COUNTY) for i in range(6)], node=county,  # type: ignore[arg-type]
                                source_system="test", now=FIXED_NOW)
            receiver = FakeReceiver(CITY, keys[CITY], sender=COUNTY)
            inside, release = threading.Event(), threading.Event()

            def hold() -> None:
                inside.set()
                assert release.wait(10)

            receiver.on_batch = hold
            reports: list[DeliveryReport] = []

            def first_worker() -> None:
                with factory() as db, db.begin():
                    reports.append(run(db, receiver, directory, outbox_id=_outbox(db),
                                       policy=RetryPolicy(batch_size=4)))

            worker = threading.Thread(target=first_worker)
            worker.start()
            assert inside.wait(10)
            receiver.on_batch = None
            with factory() as db, db.begin():
                second = run(db, receiver, directory, outbox_id=_outbox(db), policy=RetryPolicy(batch_size=4))
                assert second.outcome == "busy"
                assert second.sent == 0
                assert db.execute(select(func.count()).select_from(DeliveryAttempt)).scalar_one() == 0
            release.set()
            worker.join(10)
            assert reports[0].delivered == 4
            assert reports[0].more
            with factory() as db, db.begin():
                assert run(db, receiver, directory, outbox_id=_outbox(db)).delivered == 2
            assert sorted(receiver.received.values()) == [1] * 6
        finally:
            engine.dispose()


def _outbox(db: Session) -> int:
    return deliveries(db)[0].outbox_id

