"""The workflow tick on one node: copy duties met by the receipts the relay stored with its deliveries.

The host concludes an investigation about a 昆明 expert and copies the result; the copy envelope is
routed as the relay would (to the province, which relays it, and straight to the 昆明 node); the tests
then store the receivers' signed receipts on those delivery rows, as the relay does, and run
`fulfil_from_receipts`. Only the creditor's node's receipt (accepted, or a duplicate after a relay
brought it first) meets the duty, dated by its `received_at`, late from the due time on.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from config.settings import SyncSettings
from gateway.services.identity import NodeIdentity
from gateway.services.workflow_records import stamp
from gateway.services.workflow_tick import fulfil_from_receipts
from gateway.store.models.exchange import DELIVERED, FAILED
from gateway.store.models.remote_evaluation import ObligationRow
from gateway.store.repositories.exchange import ExchangeRepository
from gateway.store.repositories.remote_evaluation import ObligationRepository
from signing.directory import Directory, rfc3339, sign_directory, verify_directory
from signing.keys import Keyring, SigningKey
from signing.receipt import sign_receipt
from sync.outbox import enqueue_deliveries
from sync.routing import load_rules
from tests.conftest import FIXED_NOW
from tests.gateway.test_remote_evaluation import DALI, HOST, KUNMING, KUNMING_DEPT, Steps, at

PROVINCE = "530000"
ROOT_KEY, KUNMING_KEY, DALI_KEY = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
COPY_TYPE = "remote_evaluation.event"


def federation(host_key: SigningKey) -> Directory:
    """The province (root) above the host city and the two guest cities, each a node of its own."""
    year = timedelta(days=365)

    def entry(node_id: str, parent: str | None, key: SigningKey) -> dict[str, Any]:
        window = {"not_before": rfc3339(FIXED_NOW - year), "not_after": rfc3339(FIXED_NOW + year)}
        return {"id": node_id, "parent": parent, "name": node_id, "endpoint": f"http://{node_id}.test",
                "keys": [{"jwk": key.public.to_jwk(), **window}]}

    body = {"v": 1, "federation": "云南", "root": PROVINCE, "serial": 1,
            "issued_at": rfc3339(FIXED_NOW - timedelta(days=1)), "expires_at": rfc3339(FIXED_NOW + year),
            "nodes": [entry(PROVINCE, None, ROOT_KEY), entry(HOST, PROVINCE, host_key),
                      entry(KUNMING, PROVINCE, KUNMING_KEY), entry(DALI, PROVINCE, DALI_KEY)],
            "revoked_keys": [], "departments": []}
    return verify_directory(sign_directory(body, ROOT_KEY), ROOT_KEY.public, now=FIXED_NOW)


@pytest.fixture
def host(node_key: SigningKey) -> NodeIdentity:
    return NodeIdentity(node_id=HOST, name="丽江市节点", endpoint="http://127.0.0.1:0", key=node_key,
                        keyring=Keyring([node_key.public]))


@pytest.fixture
def directory(node_key: SigningKey) -> Directory:
    return federation(node_key)


class Copied:
    """A concluded investigation about a 昆明 expert, its copy sent: the duty and the copy envelope."""

    def __init__(self, db: Session, host: NodeIdentity, directory: Directory) -> None:
        self.db, self.host, self.directory = db, host, directory
        steps = Steps(db, host)
        steps.register()
        (self.duty_id,) = steps.conclude_on("2026-11-24").obligations_created
        copy = steps.copy_to(KUNMING_DEPT, "2026-11-25T10:00:00+08:00")
        self.envelope_id, self.sequence = copy.envelope_id, copy.sequence
        enqueue_deliveries(db, node=host, directory=directory, now=steps.tick(),
                           envelopes=[(self.envelope_id, KUNMING, COPY_TYPE, HOST, None, (KUNMING, HOST))],
                           rules=load_rules(SyncSettings().routing_path))

    @property
    def duty(self) -> ObligationRow:
        row = ObligationRepository(self.db).get(self.duty_id)
        assert row is not None
        return row

    def receipted(self, receiver: str, key: SigningKey, received_at: datetime, status: str = "accepted"
                  ) -> None:
        """The receiver's signed receipt stored on the host's delivery to it, as the relay stores it."""
        exchange = ExchangeRepository(self.db)
        delivery = exchange.get_by_envelope(self.envelope_id, receiver)
        assert delivery is not None, f"the copy is not routed to {receiver}"
        fields: dict[str, Any] = {
            "envelope_id": self.envelope_id, "origin": HOST, "sender": HOST, "receiver": receiver,
            "digest": "sha256:" + hashlib.sha256(self.envelope_id.encode()).hexdigest(), "status": status,
            "received_at": stamp(received_at)}
        fields |= {"code": "exchange.bad_signature"} if status == "refused" else {"log_index": 7}
        exchange.apply([{"id": delivery.id, "status": FAILED if status == "refused" else DELIVERED,
                         "receipt": sign_receipt(fields, key), "delivered_at": received_at}])

    def tick(self, now: datetime) -> list[str]:
        return fulfil_from_receipts(self.db, node=self.host, directory=self.directory, now=now)


@pytest.fixture
def copied(db: Session, host: NodeIdentity, directory: Directory) -> Copied:
    return Copied(db, host, directory)


class TestFulfilFromReceipts:
    def test_the_copy_goes_to_the_province_and_to_the_creditor_node(self, copied: Copied) -> None:
        exchange = ExchangeRepository(copied.db)
        assert {target for target in (PROVINCE, KUNMING, DALI)
                if exchange.get_by_envelope(copied.envelope_id, target) is not None} == {PROVINCE, KUNMING}

    def test_the_creditor_nodes_receipt_meets_the_duty_on_time(self, copied: Copied) -> None:
        received = at("2026-11-25T10:00:01.250+08:00")
        copied.receipted(KUNMING, KUNMING_KEY, received)
        assert copied.tick(received + timedelta(minutes=1)) == [copied.duty_id]
        duty = copied.duty
        assert (duty.status, duty.late, duty.fulfilled_at) == ("fulfilled", False, received)
        assert duty.payload["fulfilled_by_sequence"] == copied.sequence
        assert duty.payload["reason"] == f"receipted by node {KUNMING}"
        assert copied.tick(received + timedelta(minutes=2)) == []  # met once

    @pytest.mark.parametrize(("after_due", "late"), [
        (-timedelta(milliseconds=1), False),
        (timedelta(0), True),  # the due time itself is too late
        (timedelta(days=3), True),
    ])
    def test_a_receipt_from_the_due_time_on_meets_it_late(self, copied: Copied, after_due: timedelta,
                                                          late: bool) -> None:
        received = copied.duty.due_at + after_due
        copied.receipted(KUNMING, KUNMING_KEY, received)
        assert copied.tick(received + timedelta(days=1)) == [copied.duty_id]
        duty = copied.duty
        assert (duty.status, duty.late, duty.fulfilled_at) == ("fulfilled", late, received)
        assert duty.payload["late"] is late

    def test_a_duplicate_receipt_dates_the_duty_by_the_first_arrival(self, copied: Copied) -> None:
        """The province relayed the copy before the direct delivery landed: the 昆明 node answers the
        host with a duplicate receipt carrying when it first took the copy in."""
        first_arrival = at("2026-11-25T10:00:00.500+08:00")
        copied.receipted(PROVINCE, ROOT_KEY, at("2026-11-25T10:00:00.200+08:00"))
        copied.receipted(KUNMING, KUNMING_KEY, first_arrival, status="duplicate")
        assert copied.tick(at("2026-11-25T10:05:00+08:00")) == [copied.duty_id]
        assert (copied.duty.late, copied.duty.fulfilled_at) == (False, first_arrival)

    def test_a_relay_receipt_meets_nothing(self, copied: Copied) -> None:
        copied.receipted(PROVINCE, ROOT_KEY, at("2026-11-25T10:00:01+08:00"))
        assert copied.tick(at("2026-11-26T10:00:00+08:00")) == []
        assert (copied.duty.status, copied.duty.fulfilled_at) == ("open", None)

    def test_a_refusal_by_the_creditor_node_meets_nothing(self, copied: Copied) -> None:
        copied.receipted(KUNMING, KUNMING_KEY, at("2026-11-25T10:00:01+08:00"), status="refused")
        assert copied.tick(at("2026-11-26T10:00:00+08:00")) == []
        assert copied.duty.status == "open"

    def test_without_a_directory_nothing_is_met(self, copied: Copied) -> None:
        copied.receipted(KUNMING, KUNMING_KEY, at("2026-11-25T10:00:01+08:00"))
        assert fulfil_from_receipts(copied.db, node=copied.host, directory=None,
                                    now=at("2026-11-26T10:00:00+08:00")) == []
