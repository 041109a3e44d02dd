"""The exchange end to end: three nodes as separate processes on loopback, each with its own database.

Records ingested at the county reach the city and the province verified, as the county signed them;
every node's log passes `ggzy verify`. Faults: a receiver down for a while gets everything once when
it returns (by push, and by pull); the same batch delivered twice gets byte-identical receipts; a
forged signature, a replayed token and a revoked key are refused, recorded and alerted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from gateway.services.peer_auth import issue_peer_token
from gateway.store.models import LogLeaf
from signing.envelope import open_leaf, seal
from signing.keys import Keyring, PublicKey
from signing.receipt import verify_receipt
from tests.gateway.conftest import EXAMPLES, award
from tests.gateway.test_exchange_api import body_of
from tests.gateway.test_inbox import envelope_of
from tests.integration.federation import (
    CITY,
    COUNTY,
    PROVINCE,
    REDIS_ENV,
    Federation,
    peer_identity,
    running_federation,
    wait_for,
)

pytestmark = pytest.mark.slow
ARRIVAL = 60.0  # seconds a record may take to travel county → city → province on a busy machine


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with running_federation(tmp_path_factory.mktemp("federation")) as running:
        yield running


def awards(start: int, count: int) -> list[dict[str, Any]]:
    return [award(n) for n in range(start, start + count)]


def examples() -> list[dict[str, Any]]:
    """One record of every standard type, as a county source system would send it."""
    items = []
    for path in sorted(EXAMPLES.glob("*.json")):
        record_type = path.name.removesuffix(".json")
        payload = json.loads(path.read_text("utf-8"))
        items.append({"type": record_type, "jurisdiction": COUNTY, "payload": payload})
    return items


def accepted_ids(result: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in result["results"] if r["status"] == "accepted"}


def holds_all(federation: Federation, node_id: str, ids: set[str]) -> bool:
    held = {row[1] for row in federation[node_id].leaves(LogLeaf.envelope_id.in_(sorted(ids)))}
    return ids <= held


def wait_until_held(federation: Federation, ids: set[str], *nodes: str, timeout: float = ARRIVAL) -> None:
    for node_id in nodes:
        wait_for(lambda node_id=node_id: holds_all(federation, node_id, ids), timeout=timeout,  # type: ignore[misc]
                 what=f"{len(ids)} records at {node_id}", interval=0.3)


def keyring(federation: Federation) -> Keyring:
    keys = orjson.loads(federation.keys_file().read_bytes())["keys"]
    return Keyring([PublicKey.from_jwk(jwk) for jwk in keys])


class TestRecordsTravel:
    def test_county_records_reach_city_and_province_verified(self, federation: Federation) -> None:
        items = [*examples(), *awards(0, 20)]
        result = federation[COUNTY].ingest(items)
        ids = accepted_ids(result)
        local = {r["id"] for r in result["results"] if items[r["position"]]["type"] == "access.event"}
        travelling = set(ids) - local
        assert len(travelling) >= 40
        wait_until_held(federation, travelling, CITY, PROVINCE)
        for node in federation.nodes.values():  # with a broker, the workers carried it: still alive
            assert node.worker is None or node.worker.poll() is None
            assert (node.worker is not None) == (REDIS_ENV in node.env)
        county = {row[1]: row[4] for row in federation[COUNTY].leaves(LogLeaf.envelope_id.in_(sorted(ids)))}
        ring = keyring(federation)
        for node_id in (CITY, PROVINCE):
            rows = federation[node_id].leaves(LogLeaf.envelope_id.in_(sorted(ids)))
            assert {row[1] for row in rows} == travelling  # access events stay at the county
            for _, envelope_id, _, origin, leaf in rows:
                assert leaf == county[envelope_id]  # as the county signed it, byte for byte
                assert origin == COUNTY
                assert open_leaf(leaf, ring)["origin"] == COUNTY

    def test_every_log_verifies(self, federation: Federation) -> None:
        federation[COUNTY].ingest(awards(100, 5))
        time.sleep(1)
        for node_id in (COUNTY, CITY, PROVINCE):
            done = federation.verify(node_id)
            assert done.returncode == 0, (node_id, done.stdout, done.stderr)
            assert "OK" in done.stdout


class TestReceiverDown:
    def test_everything_arrives_once_when_it_returns(self, federation: Federation) -> None:
        city = federation[CITY]
        city.stop()
        try:
            ids = set(accepted_ids(federation[COUNTY].ingest(awards(200, 30))))
            time.sleep(3)  # several failed attempts meanwhile
            assert not holds_all(federation, CITY, ids)
        finally:
            city.start()
        wait_until_held(federation, ids, CITY, PROVINCE)
        for node_id in (CITY, PROVINCE):
            held = [row[1] for row in federation[node_id].leaves(LogLeaf.envelope_id.in_(sorted(ids)))]
            assert sorted(held) == sorted(ids)  # once each

    def test_pull_catches_up_and_push_then_finds_duplicates(self, federation: Federation) -> None:
        city, county = federation[CITY], federation[COUNTY]
        city.stop()
        try:
            ids = set(accepted_ids(county.ingest(awards(300, 25))))
            pulled = city.ggzy("pull", "--from", county.base)
            counts = orjson.loads(pulled.stdout.strip().splitlines()[-1])
            assert counts["accepted"] >= len(ids)
            assert holds_all(federation, CITY, ids)
        finally:
            city.start()
        wait_until_held(federation, ids, PROVINCE)  # the city forwards what it pulled
        again = orjson.loads(city.ggzy("pull", "--from", county.base).stdout.strip().splitlines()[-1])
        assert again.get("accepted", 0) == 0
        held = [row[1] for row in city.leaves(LogLeaf.envelope_id.in_(sorted(ids)))]
        assert sorted(held) == sorted(ids)


def fresh_envelopes(federation: Federation, start: int, count: int) -> list[bytes]:
    """Envelopes signed with the county's key that nobody holds yet."""
    key = federation[COUNTY].identity().key
    return [seal(envelope_of(award(n)), key)[1] for n in range(start, start + count)]


class TestDuplicateDelivery:
    def test_same_batch_twice_gets_byte_identical_receipts(self, federation: Federation) -> None:
        city, county = federation[CITY], federation[COUNTY]
        body = body_of(fresh_envelopes(federation, 400, 5), stream="e2e-duplicates")
        first = city.post_envelopes(county.identity(), body)
        second = city.post_envelopes(county.identity(), body)
        assert first.status_code == second.status_code == 200
        assert second.content == first.content
        receipts = orjson.loads(first.content)["receipts"]
        city_keys = Keyring([city.identity().key.public])
        assert [verify_receipt(r, city_keys)["status"] for r in receipts] == ["accepted"] * 5


class TestRefusals:
    def test_forged_signature(self, federation: Federation) -> None:
        city, county = federation[CITY], federation[COUNTY]
        (genuine,) = fresh_envelopes(federation, 500, 1)
        forged = genuine.replace(b"40126800.00", b"126800.00")
        answer = city.post_envelopes(county.identity(), body_of([forged], stream="e2e-forged"))
        (receipt,) = orjson.loads(answer.content)["receipts"]
        fields = verify_receipt(receipt, Keyring([city.identity().key.public]))
        assert (fields["status"], fields["code"]) == ("refused", "exchange.bad_signature")
        eid = orjson.loads(genuine)["id"]
        assert (COUNTY, "exchange.bad_signature", eid) in city.refusals()
        assert not city.leaves(LogLeaf.envelope_id == eid)
        (alert,) = [a for a in city.alerts("exchange.envelope_refused") if eid in a["payload"]["subject_ids"]]
        wait_until_held(federation, {alert["id"]}, PROVINCE)  # the alert travels up like any record

    def test_replayed_token(self, federation: Federation) -> None:
        city, county = federation[CITY], federation[COUNTY]
        token = issue_peer_token(county.identity(), audience=CITY, now=datetime.now(UTC))
        body = body_of(fresh_envelopes(federation, 600, 1), stream="e2e-replay")
        assert city.post_envelopes(county.identity(), body, token=token).status_code == 200
        replay = city.post_envelopes(county.identity(), body, token=token)
        assert (replay.status_code, replay.json()["code"]) == (401, "peer.replayed_token")
        assert (COUNTY, "peer.replayed_token", "") in city.refusals()
        assert any(a["payload"]["details"]["code"] == "peer.replayed_token"
                   for a in city.alerts("exchange.peer_refused"))

    def test_revoked_key(self, federation: Federation) -> None:
        city, county = federation[CITY], federation[COUNTY]
        revoked = peer_identity(county, federation.revoked_key)
        body = body_of(fresh_envelopes(federation, 700, 1), stream="e2e-revoked")
        answer = city.post_envelopes(revoked, body)
        assert (answer.status_code, answer.json()["code"]) == (401, "peer.revoked_key")
        signed_with_revoked = seal(envelope_of(award(701)), federation.revoked_key)[1]
        answer = city.post_envelopes(county.identity(), body_of([signed_with_revoked], stream="e2e-revoked"))
        (receipt,) = orjson.loads(answer.content)["receipts"]
        assert receipt["code"] == "exchange.revoked_key"
        codes = {code for _, code, _ in city.refusals()}
        assert {"peer.revoked_key", "exchange.revoked_key"} <= codes
        alerted = {a["payload"]["details"].get("code") for a in city.alerts("exchange.peer_refused")}
        assert "peer.revoked_key" in alerted
        assert any("exchange.revoked_key" in a["payload"]["details"]["codes"]
                   for a in city.alerts("exchange.envelope_refused"))
