"""The inbox: checked, deduplicated, logged as received, receipted; refusals recorded and alerted."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.inbox import (
    MAX_BATCH,
    ExchangeGapError,
    ExchangeRequestError,
    receive_envelopes,
)
from gateway.services.ingest import ingest_standard
from gateway.store.models import InboxReceipt, InboxRefusal, LogLeaf, RecordHead
from gateway.store.models.exchange import Delivery
from gateway.store.repositories.inbox import InboxRepository
from gateway.store.repositories.log import LogRepository
from schemas.errors import GatewayError
from schemas.registry import business_key, schema_name
from signing.audit import LogAuditor
from signing.canonical import canonicalize
from signing.directory import Directory, rfc3339, sign_directory, verify_directory
from signing.envelope import envelope_id, seal
from signing.keys import Keyring, PublicKey, SigningKey
from signing.note import NoteVerifier
from signing.receipt import verify_receipt
from tests.conftest import FIXED_NOW
from tests.gateway.conftest import award

PROVINCE, CITY, COUNTY, OTHER_COUNTY = "530000", "530600", "530621", "530622"
ROOT_KEY = SigningKey.generate()
COUNTY_KEY = SigningKey.generate()
OTHER_COUNTY_KEY = SigningKey.generate()
REVOKED_KEY = SigningKey.generate()


def build_directory(city: PublicKey, *, extra_nodes: Sequence[dict[str, Any]] = ()) -> Directory:
    """Province (root) ← city (the receiving `node`) ← two counties; the first county also lists a
    revoked key."""
    year, day = timedelta(days=365), timedelta(days=1)

    def item(key: PublicKey) -> dict[str, Any]:
        return {"jwk": key.to_jwk(), "not_before": rfc3339(FIXED_NOW - year),
                "not_after": rfc3339(FIXED_NOW + year)}

    def entry(node_id: str, parent: str | None, *keys: PublicKey) -> dict[str, Any]:
        return {"id": node_id, "parent": parent, "name": node_id, "endpoint": f"http://{node_id}.test",
                "keys": [item(key) for key in keys]}

    body = {
        "v": 1, "federation": "云南", "root": PROVINCE, "serial": 1,
        "issued_at": rfc3339(FIXED_NOW - day), "expires_at": rfc3339(FIXED_NOW + 30 * day),
        "nodes": [entry(PROVINCE, None, ROOT_KEY.public), entry(CITY, PROVINCE, city),
                  entry(COUNTY, CITY, COUNTY_KEY.public, REVOKED_KEY.public),
                  entry(OTHER_COUNTY, CITY, OTHER_COUNTY_KEY.public), *extra_nodes],
        "revoked_keys": [{"kid": REVOKED_KEY.kid, "revoked_at": rfc3339(FIXED_NOW - day), "reason": "泄露"}],
        "departments": [],
    }
    return verify_directory(sign_directory(body, ROOT_KEY), ROOT_KEY.public, now=FIXED_NOW)


def envelope_of(item: dict[str, Any], origin: str = COUNTY) -> dict[str, Any]:
    """The unsigned envelope the standard ingest at `origin` makes of a {type, jurisdiction, payload}."""
    record_type, payload = item["type"], item["payload"]
    return {
        "v": 1,
        "id": envelope_id(record_type, item["jurisdiction"], business_key(record_type, payload),
                          payload["data_timestamp"]),
        "type": record_type, "schema": schema_name(record_type), "jurisdiction": item["jurisdiction"],
        "origin": origin, "source": {"system": "test", "ref": "", "adapter": "standard@1"},
        "issued_at": "2026-11-22T10:00:00+08:00", "payload": item["payload"],
    }


def leaf(n: int = 0, *, key: SigningKey = COUNTY_KEY, origin: str = COUNTY, **award_args: Any) -> bytes:
    return seal(envelope_of(award(n, **award_args), origin), key)[1]


def leaves(count: int, start: int = 0) -> list[bytes]:
    return [leaf(n) for n in range(start, start + count)]


def opened(receipts: Sequence[bytes], node: NodeIdentity) -> list[dict[str, Any]]:
    return [verify_receipt(receipt, node.keyring) for receipt in receipts]


def digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def count(db: Session, model: Any, *where: Any) -> int:
    return int(db.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def alerts_of(db: Session, kind: str) -> list[dict[str, Any]]:
    rows = db.execute(select(LogLeaf.leaf).where(LogLeaf.record_type == "alert")).scalars()
    return [envelope for envelope in map(orjson.loads, rows) if envelope["payload"]["kind"] == kind]


@pytest.fixture(scope="module")
def directory(node_key: SigningKey) -> Directory:
    return build_directory(node_key.public)


@pytest.fixture
def receive(db: Session, node: NodeIdentity, directory: Directory):
    def run(envelopes: Sequence[bytes], first_seq: int = 0, *, sender: str = COUNTY, stream: str = "records",
            now: datetime = FIXED_NOW) -> tuple[list[bytes], int]:
        return receive_envelopes(db, node=node, directory=directory, sender=sender, stream=stream,
                                 first_seq=first_seq, envelopes=list(envelopes), now=now)

    return run


class TestAccept:
    def test_receipts_are_signed_by_the_receiver_and_name_the_log_index(
            self, receive: Any, node: NodeIdentity, db: Session) -> None:
        batch = leaves(3)
        receipts, next_seq = receive(batch)
        assert next_seq == 3
        fields = opened(receipts, node)
        assert [f["status"] for f in fields] == ["accepted"] * 3
        assert [f["log_index"] for f in fields] == [0, 1, 2]
        assert {(f["sender"], f["receiver"], f["origin"]) for f in fields} == {(COUNTY, CITY, COUNTY)}
        assert [f["digest"] for f in fields] == [digest(raw) for raw in batch]
        assert [f["envelope_id"] for f in fields] == [orjson.loads(raw)["id"] for raw in batch]
        latest = LogRepository(db).latest_checkpoint()
        assert latest is not None
        assert fields[0]["checkpoint"]["size"] == latest.size == 3

    def test_the_log_holds_the_origin_bytes_and_origin(self, receive: Any, db: Session) -> None:
        batch = leaves(2)
        receive(batch)
        rows = db.execute(select(LogLeaf.leaf, LogLeaf.origin).order_by(LogLeaf.idx)).all()
        assert [row.leaf for row in rows] == batch
        assert {row.origin for row in rows} == {COUNTY}

    def test_the_log_verifies_with_the_origin_keys(self, receive: Any, db: Session, node: NodeIdentity
                                                   ) -> None:
        receive(leaves(5))
        ingest_standard(db, items=[award(100)], node=node, source_system="test", now=FIXED_NOW)
        note = LogRepository(db).latest_checkpoint()
        assert note is not None
        auditor = LogAuditor(Keyring([COUNTY_KEY.public, node.key.public]), checkpoint_note=note.note,
                             note_verifiers=[NoteVerifier(node.origin, node.key.public)])
        for index, data in LogRepository(db).list_leaves(start=0, limit=100):
            auditor.add(index, data)
        report = auditor.finish()
        assert report.ok, report.findings
        assert report.records == 6

    def test_record_heads_follow_the_newest_version(self, receive: Any, db: Session) -> None:
        newer = leaf(0, version="2024-11-23T10:00:00+08:00")
        older = leaf(0, version="2024-11-22T10:00:00+08:00")
        receive([newer, older])
        assert count(db, LogLeaf) == 2  # the late older version is logged all the same
        head = db.execute(select(RecordHead)).scalar_one()
        assert head.envelope_id == orjson.loads(newer)["id"]

    def test_what_was_taken_is_forwarded_up_never_back(self, receive: Any, db: Session) -> None:
        batch = leaves(2)
        receive(batch)
        rows = db.execute(select(Delivery.envelope_id, Delivery.target_node, Delivery.seq)
                          .order_by(Delivery.seq)).all()
        assert [(row.envelope_id, row.target_node, row.seq) for row in rows] == [
            (orjson.loads(raw)["id"], PROVINCE, n) for n, raw in enumerate(batch)]

    def test_nothing_forwarded_twice(self, receive: Any, db: Session) -> None:
        batch = leaves(1)
        receive(batch)
        receive(batch, sender=OTHER_COUNTY)
        assert count(db, Delivery) == 1

    def test_empty_batch(self, receive: Any) -> None:
        assert receive([]) == ([], 0)


class TestSequence:
    def test_gap_names_the_expected_position(self, receive: Any, db: Session) -> None:
        receive(leaves(2))
        with pytest.raises(ExchangeGapError) as caught:
            receive(leaves(1, start=5), first_seq=4)
        assert caught.value.code == "exchange.gap"
        assert caught.value.extra == {"expected_seq": 2}

    def test_first_batch_starts_at_zero(self, receive: Any) -> None:
        with pytest.raises(ExchangeGapError) as caught:
            receive(leaves(1), first_seq=1)
        assert caught.value.expected_seq == 0

    def test_streams_and_senders_are_counted_apart(self, receive: Any, db: Session) -> None:
        receive(leaves(2))
        _, next_seq = receive([leaf(10, key=OTHER_COUNTY_KEY, origin=OTHER_COUNTY)], sender=OTHER_COUNTY)
        assert next_seq == 1
        _, next_seq = receive(leaves(1, start=20), stream="complaints")
        assert next_seq == 1
        assert InboxRepository(db).next_seq(COUNTY, "records") == 2

    def test_overlapping_resend_takes_only_the_new_part(self, receive: Any, node: NodeIdentity, db: Session
                                                        ) -> None:
        batch = leaves(4)
        first, _ = receive(batch[:2])
        again, next_seq = receive(batch, first_seq=0)
        assert again[:2] == first
        assert [f["status"] for f in opened(again[2:], node)] == ["accepted", "accepted"]
        assert next_seq == 4
        assert count(db, LogLeaf) == 4

    def test_resend_of_an_old_position_does_not_move_back(self, receive: Any) -> None:
        batch = leaves(3)
        receive(batch)
        _, next_seq = receive(batch[:1], first_seq=0)
        assert next_seq == 3

    @pytest.mark.parametrize(("first_seq", "stream"), [(-1, "records"), (0, ""), (0, "s" * 65)])
    def test_bad_requests(self, receive: Any, first_seq: int, stream: str) -> None:
        with pytest.raises(ExchangeRequestError) as caught:
            receive(leaves(1), first_seq, stream=stream)
        assert caught.value.code == "exchange.bad_request"

    def test_batch_size_is_bounded(self, receive: Any) -> None:
        with pytest.raises(ExchangeRequestError):
            receive([b"{}"] * (MAX_BATCH + 1))


class TestDuplicates:
    def test_same_batch_again_gets_byte_identical_receipts(self, receive: Any, db: Session) -> None:
        batch = [*leaves(3), leaf(0, key=OTHER_COUNTY_KEY)]  # the last one is refused
        first, _ = receive(batch)
        again, _ = receive(batch, first_seq=0, now=FIXED_NOW + timedelta(minutes=5))
        assert again == first
        assert count(db, LogLeaf, LogLeaf.record_type == "tender.award") == 3
        assert count(db, InboxRefusal) == 1

    def test_another_sender_gets_a_stable_duplicate_receipt(self, receive: Any, node: NodeIdentity,
                                                            db: Session) -> None:
        batch = leaves(2)
        original, _ = receive(batch)
        relayed, _ = receive(batch, sender=PROVINCE, now=FIXED_NOW + timedelta(minutes=1))
        again, _ = receive(batch, sender=PROVINCE, now=FIXED_NOW + timedelta(minutes=2))
        assert again == relayed
        fields = opened(relayed, node)
        assert [f["status"] for f in fields] == ["duplicate", "duplicate"]
        assert [f["log_index"] for f in fields] == [f["log_index"] for f in opened(original, node)]
        assert {f["sender"] for f in fields} == {PROVINCE}
        assert count(db, LogLeaf) == 2

    def test_repeat_within_a_batch_gets_the_same_receipt(self, receive: Any, db: Session) -> None:
        one = leaf(0)
        receipts, _ = receive([one, one])
        assert receipts[0] == receipts[1]
        assert count(db, LogLeaf) == 1

    def test_own_record_coming_back_is_a_duplicate(self, receive: Any, node: NodeIdentity, db: Session
                                                   ) -> None:
        (outcome,) = ingest_standard(db, items=[award(7)], node=node, source_system="test", now=FIXED_NOW)
        own = LogRepository(db).get_by_index(outcome.index or 0)
        assert own is not None
        receipts, _ = receive([own.leaf], sender=PROVINCE)
        (fields,) = opened(receipts, node)
        assert fields["status"] == "duplicate"
        assert fields["origin"] == CITY
        assert fields["log_index"] == outcome.index
        assert count(db, LogLeaf) == 1

    def test_same_record_version_from_another_origin(self, receive: Any, node: NodeIdentity, db: Session
                                                     ) -> None:
        receive([leaf(0)])
        same = leaf(0, key=OTHER_COUNTY_KEY, origin=OTHER_COUNTY)
        (fields,) = opened(receive([same], sender=OTHER_COUNTY)[0], node)
        assert (fields["status"], fields["log_index"]) == ("duplicate", 0)
        changed = award(0)
        changed["payload"]["notice_name"] = "另一个公告"
        other = seal(envelope_of(changed, OTHER_COUNTY), OTHER_COUNTY_KEY)[1]
        (fields,) = opened(receive([other], 1, sender=OTHER_COUNTY)[0], node)
        assert (fields["status"], fields["code"]) == ("refused", "exchange.conflicting_record")


class TestConflictingDuplicate:
    def altered(self, n: int = 0) -> bytes:
        item = award(n)
        item["payload"]["notice_name"] = "被篡改的公告名称"
        return seal(envelope_of(item), COUNTY_KEY)[1]

    def test_is_refused_recorded_and_alerted(self, receive: Any, node: NodeIdentity, db: Session) -> None:
        original = leaf(0)
        receive([original])
        receipts, _ = receive([self.altered()], first_seq=1)
        (fields,) = opened(receipts, node)
        assert fields["status"] == "refused"
        assert fields["code"] == "exchange.conflicting_duplicate"
        assert fields["envelope_id"] == orjson.loads(original)["id"]
        refusal = db.execute(select(InboxRefusal)).scalar_one()
        assert (refusal.code, refusal.seq, refusal.sender) == ("exchange.conflicting_duplicate", 1, COUNTY)
        (alert,) = alerts_of(db, "exchange.conflicting_duplicate")
        assert alert["payload"]["subject_ids"] == [fields["envelope_id"]]
        assert alert["payload"]["details"]["held_digest"] == digest(original)
        assert alert["origin"] == CITY
        assert count(db, LogLeaf, LogLeaf.record_type == "tender.award") == 1

    def test_within_one_batch(self, receive: Any, node: NodeIdentity, db: Session) -> None:
        receipts, _ = receive([leaf(0), self.altered()])
        assert [f["status"] for f in opened(receipts, node)] == ["accepted", "refused"]
        assert len(alerts_of(db, "exchange.conflicting_duplicate")) == 1

    def test_original_receipt_survives(self, receive: Any, db: Session) -> None:
        original = leaf(0)
        first, _ = receive([original])
        receive([self.altered()], first_seq=1)
        again, _ = receive([original], first_seq=0)
        assert again == first
        stored = db.execute(select(InboxReceipt.receipt)).scalar_one()
        assert stored == first[0]


class TestRefusals:
    def refusal_of(self, receive: Any, node: NodeIdentity, raw: bytes) -> dict[str, Any]:
        (fields,) = opened(receive([raw])[0], node)
        assert fields["status"] == "refused"
        assert "log_index" not in fields
        assert fields["digest"] == digest(raw)
        return fields

    def test_forged_signature(self, receive: Any, node: NodeIdentity, db: Session) -> None:
        raw = leaf(0).replace(b"40126800.00", b"40126900.00")
        assert self.refusal_of(receive, node, raw)["code"] == "exchange.bad_signature"
        (alert,) = alerts_of(db, "exchange.envelope_refused")
        assert alert["payload"]["details"]["codes"] == ["exchange.bad_signature"]
        assert count(db, LogLeaf, LogLeaf.record_type == "tender.award") == 0

    def test_key_of_another_node(self, receive: Any, node: NodeIdentity) -> None:
        raw = leaf(0, key=OTHER_COUNTY_KEY, origin=COUNTY)
        assert self.refusal_of(receive, node, raw)["code"] == "exchange.unknown_key"

    def test_revoked_key(self, receive: Any, node: NodeIdentity, db: Session) -> None:
        raw = leaf(0, key=REVOKED_KEY)
        assert self.refusal_of(receive, node, raw)["code"] == "exchange.revoked_key"
        refusal = db.execute(select(InboxRefusal)).scalar_one()
        assert "revoked" in refusal.message

    def test_key_used_outside_its_window(self, receive: Any, node: NodeIdentity) -> None:
        (fields,) = opened(receive([leaf(0)], now=FIXED_NOW + timedelta(days=400))[0], node)
        assert fields["code"] == "exchange.unknown_key"

    def test_unknown_origin(self, receive: Any, node: NodeIdentity) -> None:
        raw = leaf(0, origin="530623")
        assert self.refusal_of(receive, node, raw)["code"] == "exchange.unknown_origin"

    def test_invalid_payload_although_signed(self, receive: Any, node: NodeIdentity, db: Session) -> None:
        item = award(0)
        envelope = envelope_of(item)
        envelope["payload"] = {**item["payload"], "data_timestamp": "yesterday"}
        raw = seal(envelope, COUNTY_KEY)[1]
        assert self.refusal_of(receive, node, raw)["code"] == "exchange.invalid_payload"
        assert alerts_of(db, "exchange.envelope_refused") == []  # the origin's own mistake, not a forgery

    def test_wrong_schema_name(self, receive: Any, node: NodeIdentity) -> None:
        envelope = {**envelope_of(award(0)), "schema": "tender.award/2"}
        raw = seal(envelope, COUNTY_KEY)[1]
        assert self.refusal_of(receive, node, raw)["code"] == "exchange.invalid_payload"

    @pytest.mark.parametrize(
        "raw",
        [b"not json", b"[1,2]", b'{"v":1}', b'{ "v": 1 }', b"\xff\xfe"],
    )
    def test_malformed(self, receive: Any, node: NodeIdentity, raw: bytes) -> None:
        fields = self.refusal_of(receive, node, raw)
        assert fields["code"] in ("exchange.malformed_envelope", "exchange.unknown_origin")

    def test_non_canonical_bytes_are_refused(self, receive: Any, node: NodeIdentity) -> None:
        spaced = orjson.dumps(orjson.loads(leaf(0)), option=orjson.OPT_INDENT_2)
        assert self.refusal_of(receive, node, spaced)["code"] == "exchange.malformed_envelope"

    def test_refusals_do_not_stop_the_batch(self, receive: Any, node: NodeIdentity, db: Session) -> None:
        batch = [leaf(0), b"junk", leaf(1)]
        fields = opened(receive(batch)[0], node)
        assert [f["status"] for f in fields] == ["accepted", "refused", "accepted"]
        assert count(db, LogLeaf, LogLeaf.record_type == "tender.award") == 2

    def test_one_alert_per_batch(self, receive: Any, db: Session) -> None:
        forged = [leaf(n).replace(b"40126800.00", b"1.00") for n in range(3)]
        receive(forged)
        (alert,) = alerts_of(db, "exchange.envelope_refused")
        assert alert["payload"]["details"]["count"] == 3
        assert len(alert["payload"]["subject_ids"]) == 3


class TestRecordKey:
    def test_matches_the_standard_ingest(self, receive: Any, db: Session, node: NodeIdentity) -> None:
        """A record received and a later version ingested here are one business record."""
        receive([leaf(0, version="2024-11-22T10:00:00+08:00")])
        newer = award(0, version="2024-11-25T10:00:00+08:00")
        (outcome,) = ingest_standard(db, items=[newer], node=node, source_system="test", now=FIXED_NOW)
        assert outcome.new_version is True
        older = award(0, version="2024-11-20T10:00:00+08:00")
        (stale,) = ingest_standard(db, items=[copy.deepcopy(older)], node=node, source_system="test",
                                   now=FIXED_NOW)
        assert stale.status == "stale"

    def test_canonical_digest_is_over_the_bytes(self) -> None:
        raw = leaf(0)
        assert canonicalize(orjson.loads(raw)) == raw


class TestErrorsAreGatewayErrors:
    def test_codes(self) -> None:
        assert issubclass(ExchangeGapError, GatewayError)
        assert ExchangeGapError(3, 5).status == 409
        assert ExchangeRequestError("x").status == 422

