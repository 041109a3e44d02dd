"""The exchange routes: push with receipts, refused calls recorded and alerted, the routed feed for pull."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.app import create_app
from gateway.services.auth import issue_token
from gateway.services.federation import directory_file, pin_root, write_atomically
from gateway.services.identity import NodeIdentity
from gateway.services.inbox import MAX_BATCH
from gateway.services.peer_auth import issue_peer_token
from gateway.services.peer_replay import DeferredReplayGuard
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models import LogLeaf
from gateway.store.models.federation import SeenToken
from gateway.store.repositories.federation import SeenTokenRepository
from gateway.store.repositories.inbox import InboxRepository
from schemas.errors import GatewayError
from signing.directory import Directory
from signing.keys import Keyring, SigningKey
from signing.receipt import verify_receipt
from tests.conftest import FIXED_NOW
from tests.gateway.test_inbox import (
    CITY,
    COUNTY,
    COUNTY_KEY,
    PROVINCE,
    REVOKED_KEY,
    ROOT_KEY,
    alerts_of,
    build_directory,
    count,
    leaf,
    leaves,
)


def county_identity() -> NodeIdentity:
    return NodeIdentity(COUNTY, "鲁甸县节点", "http://530621.test", COUNTY_KEY, Keyring([COUNTY_KEY.public]))


def province_identity() -> NodeIdentity:
    return NodeIdentity(PROVINCE, "云南省节点", "http://530000.test", ROOT_KEY, Keyring([ROOT_KEY.public]))


def peer_headers(caller: NodeIdentity, *, now: datetime = FIXED_NOW) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_peer_token(caller, audience=CITY, now=now)}",
            "Content-Type": "application/json"}


def body_of(envelopes: Sequence[bytes], first_seq: int = 0, stream: str = "records") -> bytes:
    return (b'{"stream":' + orjson.dumps(stream) + b',"first_seq":' + str(first_seq).encode()
            + b',"envelopes":[' + b",".join(envelopes) + b"]}")


@contextmanager
def serving_city(settings: Settings, node: NodeIdentity, directory: Directory) -> Iterator[TestClient]:
    """The city's app holding the directory, its relay never reaching out (nobody listens at *.test)."""
    pin_root(settings, ROOT_KEY.public.to_jwk())
    write_atomically(directory_file(settings), orjson.dumps(directory.document))
    app = create_app(settings, identity=node, clock=lambda: FIXED_NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def directory(node_key: SigningKey) -> Directory:
    return build_directory(node_key.public)


@pytest.fixture
def peer_client(settings: Settings, node: NodeIdentity, directory: Directory) -> Iterator[TestClient]:
    with serving_city(settings, node, directory) as client:
        yield client


def session_of(client: TestClient) -> Session:
    return client.app.state.session_factory()  # type: ignore[attr-defined, no-any-return]


class TestExchangeRoute:
    def test_answers_receipts_and_next_seq(self, peer_client: TestClient, node: NodeIdentity) -> None:
        batch = leaves(3)
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(batch),
                                headers=peer_headers(county_identity()))
        assert resp.status_code == 200, resp.text
        answer = orjson.loads(resp.content)
        assert answer["next_seq"] == 3
        assert [verify_receipt(r, node.keyring)["status"] for r in answer["receipts"]] == ["accepted"] * 3
        assert resp.content.count(b'"kind":"receipt"') == 3

    def test_same_batch_twice_same_bytes(self, peer_client: TestClient) -> None:
        batch = [*leaves(2), b'{"v":1}']
        first = peer_client.post("/api/v1/exchange/envelopes", content=body_of(batch),
                                 headers=peer_headers(county_identity()))
        again = peer_client.post("/api/v1/exchange/envelopes", content=body_of(batch),
                                 headers=peer_headers(county_identity()))
        assert first.status_code == again.status_code == 200
        assert again.content == first.content

    def test_default_stream(self, peer_client: TestClient) -> None:
        body = b'{"first_seq":0,"envelopes":[' + leaf(0) + b"]}"
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body,
                                headers=peer_headers(county_identity()))
        assert resp.status_code == 200
        with session_of(peer_client) as db:
            assert InboxRepository(db).next_seq(COUNTY, "records") == 1

    def test_gap_is_a_409_naming_the_expected_seq(self, peer_client: TestClient) -> None:
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1), first_seq=7),
                                headers=peer_headers(county_identity()))
        assert resp.status_code == 409
        problem = resp.json()
        assert (problem["code"], problem["expected_seq"]) == ("exchange.gap", 0)
        assert resp.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            (b"{not json", 400, "request.malformed_json"),
            (b"[]", 422, "exchange.bad_request"),
            (b'{"first_seq":"0","envelopes":[]}', 422, "exchange.bad_request"),
            (b'{"first_seq":0,"envelopes":{}}', 422, "exchange.bad_request"),
            (b'{"first_seq":0,"envelopes":[],"extra":1}', 422, "exchange.bad_request"),
            (b'{"first_seq":-1,"envelopes":[]}', 422, "exchange.bad_request"),
            (b'{"stream":"~pull","first_seq":0,"envelopes":[]}', 422, "exchange.bad_request"),
            (b'{"first_seq":0,"envelopes":[' + b",".join([b"{}"] * (MAX_BATCH + 1)) + b"]}", 422,
             "exchange.bad_request"),
        ],
    )
    def test_malformed_bodies(self, peer_client: TestClient, body: bytes, status: int, code: str) -> None:
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body,
                                headers=peer_headers(county_identity()))
        assert (resp.status_code, resp.json()["code"]) == (status, code)

    @pytest.mark.parametrize("role", ["auditor", "discipline", "admin"])
    def test_node_issued_tokens_are_403(self, peer_client: TestClient, node: NodeIdentity, role: str) -> None:
        token = issue_token(node, role=role, subject=role, jurisdiction=None, scopes=None,
                            ttl=timedelta(hours=1), now=FIXED_NOW)
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1)),
                                headers={"Authorization": f"Bearer {token}"})
        assert (resp.status_code, resp.json()["code"]) == (403, "auth.forbidden")
        with session_of(peer_client) as db:
            assert count(db, LogLeaf, LogLeaf.record_type == "tender.award") == 0
            assert InboxRepository(db).count_refusals("auth.forbidden") == 1

    def test_replayed_token_is_refused_recorded_and_alerted(self, peer_client: TestClient) -> None:
        headers = peer_headers(county_identity())
        assert peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1)),
                                headers=headers).status_code == 200
        for _ in range(2):
            replay = peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1, start=1), 1),
                                      headers=headers)
            assert (replay.status_code, replay.json()["code"]) == (401, "peer.replayed_token")
        with session_of(peer_client) as db:
            refusal = InboxRepository(db).list_refusals()[0]
            assert (refusal.sender, refusal.code) == (COUNTY, "peer.replayed_token")
            assert InboxRepository(db).count_refusals() == 2
            (alert,) = alerts_of(db, "exchange.peer_refused")  # one per caller, reason and hour
            assert alert["payload"]["details"]["claimed_node"] == COUNTY
            assert count(db, LogLeaf, LogLeaf.record_type == "tender.award") == 1

    def test_revoked_key_token(self, peer_client: TestClient) -> None:
        revoked = NodeIdentity(COUNTY, "", "", REVOKED_KEY, Keyring([REVOKED_KEY.public]))
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1)),
                                headers=peer_headers(revoked))
        assert (resp.status_code, resp.json()["code"]) == (401, "peer.revoked_key")
        with session_of(peer_client) as db:
            assert InboxRepository(db).count_refusals("peer.revoked_key") == 1
            assert len(alerts_of(db, "exchange.peer_refused")) == 1

    def test_unknown_key_and_no_token(self, peer_client: TestClient) -> None:
        stranger = NodeIdentity(COUNTY, "", "", SigningKey.generate(), Keyring([]))
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1)),
                                headers=peer_headers(stranger))
        assert (resp.status_code, resp.json()["code"]) == (401, "peer.unknown_key")
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(1)))
        assert (resp.status_code, resp.json()["code"]) == (401, "auth.missing_token")

    def test_forged_envelope_inside_a_good_call(self, peer_client: TestClient, node: NodeIdentity) -> None:
        forged = leaf(0).replace(b"40126800.00", b"1.00")
        resp = peer_client.post("/api/v1/exchange/envelopes", content=body_of([forged, leaf(1)]),
                                headers=peer_headers(county_identity()))
        statuses = [verify_receipt(r, node.keyring) for r in orjson.loads(resp.content)["receipts"]]
        assert [(s["status"], s.get("code")) for s in statuses] == [
            ("refused", "exchange.bad_signature"), ("accepted", None)]


class TestRoutedFeed:
    def test_serves_what_push_sends_to_the_caller(self, peer_client: TestClient) -> None:
        batch = leaves(3)
        peer_client.post("/api/v1/exchange/envelopes", content=body_of(batch),
                         headers=peer_headers(county_identity()))
        resp = peer_client.get("/api/v1/exchange/feed", params={"after": -1},
                               headers=peer_headers(province_identity()))
        assert resp.status_code == 200
        expected = b"".join(b'{"index":%d,"envelope":%s}\n' % (i, raw) for i, raw in enumerate(batch))
        assert resp.content == expected
        assert resp.headers["X-Next-After"] == "2"
        assert resp.headers["X-Log-Size"] == "3"
        back = peer_client.get("/api/v1/exchange/feed", headers=peer_headers(county_identity()))
        assert back.content == b""  # never back to the origin
        assert back.headers["X-Next-After"] == "2"

    def test_pages_move_on_over_ranges_with_nothing_for_the_caller(self, peer_client: TestClient) -> None:
        peer_client.post("/api/v1/exchange/envelopes", content=body_of(leaves(4)),
                         headers=peer_headers(county_identity()))
        resp = peer_client.get("/api/v1/exchange/feed", params={"after": 1, "limit": 1},
                               headers=peer_headers(province_identity()))
        assert resp.content.startswith(b'{"index":2,')
        assert resp.headers["X-Next-After"] == "2"

    def test_needs_a_peer_token(self, peer_client: TestClient, node: NodeIdentity) -> None:
        token = issue_token(node, role="auditor", subject="a", jurisdiction=None, scopes=None,
                            ttl=timedelta(hours=1), now=FIXED_NOW)
        resp = peer_client.get("/api/v1/exchange/feed", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 403


class TestDeferredReplayGuard:
    def test_looks_then_records_once(self, db_url: str, db: Session) -> None:
        engine = make_engine(db_url)
        sessions = make_session_factory(engine)
        try:
            guard = DeferredReplayGuard(sessions)
            expires = FIXED_NOW + timedelta(minutes=5)
            assert guard.first_use("jti-a", issuer=COUNTY, expires_at=expires) is True
            assert count(db, SeenToken) == 0  # looking records nothing
            guard.record(db)
            assert count(db, SeenToken) == 1
            with pytest.raises(GatewayError) as caught:
                guard.record(db)
            assert caught.value.code == "peer.replayed_token"
        finally:
            engine.dispose()

    def test_a_recorded_id_is_refused_at_first_sight(self, db_url: str) -> None:
        engine = make_engine(db_url)
        sessions = make_session_factory(engine)
        try:
            with sessions() as session, session.begin():
                SeenTokenRepository(session).first_use("jti-b", issuer=COUNTY, expires_at=FIXED_NOW)
            guard = DeferredReplayGuard(sessions)
            assert guard.first_use("jti-b", issuer=COUNTY, expires_at=FIXED_NOW) is False
        finally:
            engine.dispose()

    def test_record_needs_an_authenticated_token(self, db_url: str, db: Session) -> None:
        engine = make_engine(db_url)
        try:
            with pytest.raises(RuntimeError):
                DeferredReplayGuard(make_session_factory(engine)).record(db)
        finally:
            engine.dispose()
