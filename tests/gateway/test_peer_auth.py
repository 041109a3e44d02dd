"""Peer tokens: a node's own short JWT, trusted only through the directory, accepted once."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.services.auth import issue_token
from gateway.services.identity import NodeIdentity
from gateway.services.peer_auth import (
    MAX_PEER_TOKEN_TTL,
    PEER_JWT_TYP,
    PeerPrincipal,
    authenticate_peer,
    issue_peer_token,
)
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models.federation import SeenToken
from gateway.store.repositories.federation import SeenTokenRepository
from schemas.errors import GatewayError
from signing.directory import Directory, rfc3339, sign_directory, verify_directory
from signing.jws import sign_compact, verify_compact
from signing.keys import Keyring, PublicKey, SigningKey, b64url_decode, b64url_encode
from tests.conftest import FIXED_NOW

PROVINCE, CITY, COUNTY = "530000", "530600", "530621"
NOW = int(FIXED_NOW.timestamp())
Auth = Callable[..., PeerPrincipal]


@pytest.fixture(scope="module")
def root_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def county_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def retired_key() -> SigningKey:
    """A key of the city whose window ended a day ago."""
    return SigningKey.generate()


@pytest.fixture(scope="module")
def revoked_key() -> SigningKey:
    return SigningKey.generate()


def key_item(key: PublicKey, start: datetime, end: datetime) -> dict[str, Any]:
    return {"jwk": key.to_jwk(), "not_before": rfc3339(start), "not_after": rfc3339(end)}


@pytest.fixture(scope="module")
def directory(root_key: SigningKey, node_key: SigningKey, county_key: SigningKey, retired_key: SigningKey,
              revoked_key: SigningKey) -> Directory:
    """Province (root) ← city (the `node` fixture, plus a retired and a revoked key) ← county."""
    year, day = timedelta(days=365), timedelta(days=1)
    current = (FIXED_NOW - year, FIXED_NOW + year)

    def node(node_id: str, parent: str | None, *keys: dict[str, Any]) -> dict[str, Any]:
        return {"id": node_id, "parent": parent, "name": node_id, "endpoint": f"http://{node_id}.test",
                "keys": list(keys)}

    body = {
        "v": 1, "federation": "云南", "root": PROVINCE, "serial": 1, "issued_at": rfc3339(FIXED_NOW - day),
        "expires_at": rfc3339(FIXED_NOW + 30 * day),
        "nodes": [
            node(PROVINCE, None, key_item(root_key.public, *current)),
            node(CITY, PROVINCE, key_item(node_key.public, *current),
                 key_item(retired_key.public, FIXED_NOW - year, FIXED_NOW - day),
                 key_item(revoked_key.public, *current)),
            node(COUNTY, CITY, key_item(county_key.public, *current)),
        ],
        "revoked_keys": [{"kid": revoked_key.kid, "revoked_at": rfc3339(FIXED_NOW - day), "reason": "泄露"}],
        "departments": [],
    }
    return verify_directory(sign_directory(body, root_key), root_key.public, now=FIXED_NOW)


@pytest.fixture
def guard(db: Session) -> SeenTokenRepository:
    return SeenTokenRepository(db)


@pytest.fixture
def authenticate(directory: Directory, guard: SeenTokenRepository) -> Auth:
    def run(token: str | None, *, receiver: str = PROVINCE, now: datetime = FIXED_NOW) -> PeerPrincipal:
        return authenticate_peer(directory, token, receiver_id=receiver, now=now, replay_guard=guard)

    return run


def claims(**changes: Any) -> dict[str, Any]:
    base = {"iss": CITY, "aud": PROVINCE, "role": "peer", "iat": NOW, "exp": NOW + 120, "jti": "jti-1"}
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def peer_token(key: SigningKey, **changes: Any) -> str:
    return sign_compact(claims(**changes), key, typ=PEER_JWT_TYP)


def refused(authenticate: Auth, token: str | None, code: str, **kwargs: Any
            ) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        authenticate(token, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def seen_count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(SeenToken)).scalar_one())


class TestIssuePeerToken:
    def test_claims(self, node: NodeIdentity) -> None:
        token = issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW)
        header_segment, body_segment, _ = token.split(".")
        header, body = orjson.loads(b64url_decode(header_segment)), orjson.loads(b64url_decode(body_segment))
        assert header == {"alg": "EdDSA", "kid": node.key.kid, "typ": "ggzy-peer+jwt"}
        assert {k: body[k] for k in ("iss", "aud", "role", "iat")} == {
            "iss": CITY, "aud": PROVINCE, "role": "peer", "iat": NOW}
        assert body["exp"] - body["iat"] == 120
        assert len(body["jti"]) >= 22

    def test_each_token_has_its_own_jti(self, node: NodeIdentity) -> None:
        tokens = {issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW) for _ in range(20)}
        assert len(tokens) == 20

    @pytest.mark.parametrize("ttl", [MAX_PEER_TOKEN_TTL + timedelta(seconds=1), timedelta(0),
                                     timedelta(hours=8)])
    def test_lifetime_is_bounded(self, node: NodeIdentity, ttl: timedelta) -> None:
        with pytest.raises(GatewayError) as caught:
            issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW, ttl=ttl)
        assert caught.value.code == "peer.bad_request"

    def test_audience_is_required(self, node: NodeIdentity) -> None:
        with pytest.raises(GatewayError) as caught:
            issue_peer_token(node, audience="", now=FIXED_NOW)
        assert caught.value.code == "peer.bad_request"


class TestAuthenticatePeer:
    def test_accepted_and_recorded(self, node: NodeIdentity, authenticate: Auth,
                                   db: Session) -> None:
        token = issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW, ttl=MAX_PEER_TOKEN_TTL)
        principal = authenticate(token)
        assert (principal.node_id, principal.kid) == (CITY, node.key.kid)
        row = db.execute(select(SeenToken)).scalar_one()
        assert (row.jti, row.issuer) == (principal.jti, CITY)
        assert row.expires_at == FIXED_NOW + MAX_PEER_TOKEN_TTL + timedelta(seconds=30)

    def test_any_member_may_call_any_member(self, county_key: SigningKey,
                                            authenticate: Auth) -> None:
        token = peer_token(county_key, iss=COUNTY, aud=[CITY, PROVINCE])
        assert authenticate(token, receiver=CITY).node_id == COUNTY

    def test_missing_token(self, authenticate: Auth) -> None:
        assert refused(authenticate, None, "auth.missing_token").status == 401
        refused(authenticate, "", "auth.missing_token")

    @pytest.mark.parametrize("token", ["abc", "a.b.c", "e30.e30.", "W10.e30.", "eyJraWQiOjF9.e30."])
    def test_not_a_jws_with_a_key_id(self, authenticate: Auth, token: str) -> None:
        assert refused(authenticate, token, "peer.invalid_token").status == 401

    def test_alg_none(self, node: NodeIdentity, authenticate: Auth) -> None:
        header = b64url_encode(orjson.dumps({"alg": "none", "kid": node.key.kid, "typ": PEER_JWT_TYP}))
        token = f"{header}.{b64url_encode(orjson.dumps(claims()))}."
        assert "not accepted" in refused(authenticate, token, "peer.invalid_token").message

    def test_hs256_with_the_public_key_as_secret(self, node: NodeIdentity,
                                                 authenticate: Auth) -> None:
        header = b64url_encode(orjson.dumps({"alg": "HS256", "kid": node.key.kid, "typ": PEER_JWT_TYP}))
        signing_input = f"{header}.{b64url_encode(orjson.dumps(claims()))}"
        mac = hmac.new(node.key.public.raw, signing_input.encode(), hashlib.sha256).digest()
        refused(authenticate, f"{signing_input}.{b64url_encode(mac)}", "peer.invalid_token")

    def test_a_tampered_claim_breaks_the_signature(self, node: NodeIdentity,
                                                   authenticate: Auth) -> None:
        header, _, signature = peer_token(node.key).split(".")
        forged_body = b64url_encode(orjson.dumps(claims(exp=NOW + 3600)))
        refused(authenticate, f"{header}.{forged_body}.{signature}", "peer.invalid_token")

    def test_a_user_token_of_the_same_node_is_not_a_peer_token(self, node: NodeIdentity,
                                                               authenticate: Auth) -> None:
        token = issue_token(node, role="admin", subject="x", jurisdiction=None, scopes=None,
                            ttl=timedelta(minutes=2), now=FIXED_NOW)
        assert "typ" in refused(authenticate, token, "peer.invalid_token").message

    def test_wrong_role(self, node: NodeIdentity, authenticate: Auth) -> None:
        refused(authenticate, peer_token(node.key, role="admin"), "peer.invalid_token")

    @pytest.mark.parametrize("audience", [COUNTY, [COUNTY, CITY], None])
    def test_wrong_audience(self, node: NodeIdentity, authenticate: Auth,
                            audience: Any) -> None:
        refused(authenticate, peer_token(node.key, aud=audience), "auth.wrong_audience")

    def test_expired(self, node: NodeIdentity, authenticate: Auth) -> None:
        token = peer_token(node.key, iat=NOW - 300, exp=NOW - 31)
        assert refused(authenticate, token, "auth.expired").status == 401
        assert authenticate(peer_token(node.key, iat=NOW - 300, exp=NOW - 30, jti="j2")).node_id == CITY

    @pytest.mark.parametrize(("iat", "exp"), [(NOW, NOW + 301), (NOW - 3600, NOW + 60), (NOW, NOW + 86400)])
    def test_lifetime_over_five_minutes(self, node: NodeIdentity, authenticate: Auth,
                                        iat: int, exp: int) -> None:
        refused(authenticate, peer_token(node.key, iat=iat, exp=exp), "peer.token_lifetime")

    @pytest.mark.parametrize(("iat", "exp"), [(NOW, NOW), (NOW + 10, NOW), ("now", NOW + 60), (NOW, None),
                                              (NOW, 1.5e9)])
    def test_malformed_times(self, node: NodeIdentity, authenticate: Auth,
                             iat: Any, exp: Any) -> None:
        refused(authenticate, peer_token(node.key, iat=iat, exp=exp), "peer.invalid_token")

    def test_issued_in_the_future(self, node: NodeIdentity, authenticate: Auth) -> None:
        refused(authenticate, peer_token(node.key, iat=NOW + 31, exp=NOW + 150), "auth.not_yet_valid")
        refused(authenticate, peer_token(node.key, nbf=NOW + 60), "auth.not_yet_valid")
        refused(authenticate, peer_token(node.key, nbf="soon"), "peer.invalid_token")
        assert authenticate(peer_token(node.key, iat=NOW + 30, exp=NOW + 150)).node_id == CITY

    def test_unknown_key(self, authenticate: Auth) -> None:
        stranger = SigningKey.generate()
        assert refused(authenticate, peer_token(stranger), "peer.unknown_key").status == 401

    def test_revoked_key(self, revoked_key: SigningKey, authenticate: Auth) -> None:
        error = refused(authenticate, peer_token(revoked_key), "peer.revoked_key")
        assert "泄露" in error.message

    def test_key_outside_its_window(self, retired_key: SigningKey,
                                    authenticate: Auth) -> None:
        refused(authenticate, peer_token(retired_key), "peer.key_not_valid")

    def test_node_not_in_the_directory(self, node: NodeIdentity,
                                       authenticate: Auth) -> None:
        assert refused(authenticate, peer_token(node.key, iss="530602"), "peer.unknown_node").status == 403
        refused(authenticate, peer_token(node.key, iss=None), "peer.unknown_node")

    def test_key_of_another_member(self, county_key: SigningKey,
                                   authenticate: Auth) -> None:
        error = refused(authenticate, peer_token(county_key, iss=CITY), "peer.key_mismatch")
        assert error.status == 403
        assert COUNTY in error.message

    @pytest.mark.parametrize("jti", [None, "", 7, "x" * 129])
    def test_bad_jti(self, node: NodeIdentity, authenticate: Auth, jti: Any) -> None:
        refused(authenticate, peer_token(node.key, jti=jti), "peer.invalid_token")

    def test_a_verified_token_from_a_directory_without_the_key_is_refused(
            self, node: NodeIdentity, guard: SeenTokenRepository, root_key: SigningKey) -> None:
        # The same token, checked against the signer's keyring alone, would pass: the directory decides.
        token = issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW)
        assert verify_compact(token, Keyring([node.key.public]), typ=PEER_JWT_TYP)["iss"] == CITY
        province: dict[str, Any] = {"id": PROVINCE, "parent": None, "name": "省", "endpoint": "http://p.test",
                                    "keys": []}
        empty = {"v": 1, "federation": "云南", "root": PROVINCE, "serial": 2, "issued_at": rfc3339(FIXED_NOW),
                 "expires_at": rfc3339(FIXED_NOW + timedelta(days=1)), "revoked_keys": [], "departments": [],
                 "nodes": [province]}
        other = verify_directory(sign_directory(empty, root_key), root_key.public, now=FIXED_NOW)
        with pytest.raises(GatewayError) as caught:
            authenticate_peer(other, token, receiver_id=PROVINCE, now=FIXED_NOW, replay_guard=guard)
        assert caught.value.code == "peer.unknown_key"


class TestReplay:
    def test_replay_in_the_same_session(self, node: NodeIdentity, authenticate: Auth,
                                        db: Session) -> None:
        token = issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW)
        authenticate(token)
        assert refused(authenticate, token, "peer.replayed_token").status == 401
        # The refused insert ran in a savepoint: the session goes on and keeps the first row.
        authenticate(issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW))
        db.commit()
        assert seen_count(db) == 2

    def test_replay_across_separate_sessions_and_engines(self, node: NodeIdentity, directory: Directory,
                                                         db_url: str) -> None:
        token = issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW)
        for attempt in range(2):
            # A fresh engine each time stands for another process of the receiving node.
            engine = make_engine(db_url)
            try:
                with make_session_factory(engine)() as session, session.begin():
                    guard = SeenTokenRepository(session)
                    if attempt == 0:
                        authenticate_peer(directory, token, receiver_id=PROVINCE, now=FIXED_NOW,
                                          replay_guard=guard)
                    else:
                        with pytest.raises(GatewayError) as caught:
                            authenticate_peer(directory, token, receiver_id=PROVINCE,
                                              now=FIXED_NOW + timedelta(seconds=20), replay_guard=guard)
                        assert caught.value.code == "peer.replayed_token"
            finally:
                engine.dispose()

    def test_refused_tokens_use_up_no_jti(self, node: NodeIdentity, authenticate: Auth,
                                          db: Session) -> None:
        refused(authenticate, peer_token(node.key, aud=COUNTY), "auth.wrong_audience")
        refused(authenticate, peer_token(node.key, iat=NOW - 400, exp=NOW - 200), "auth.expired")
        assert seen_count(db) == 0
        assert authenticate(peer_token(node.key)).jti == "jti-1"

    def test_a_rolled_back_request_leaves_the_token_usable(self, node: NodeIdentity,
                                                           authenticate: Auth,
                                                           db: Session) -> None:
        token = issue_peer_token(node, audience=PROVINCE, now=FIXED_NOW)
        authenticate(token)
        db.rollback()
        assert authenticate(token).node_id == CITY


class TestSeenTokenRepository:
    @pytest.fixture
    def rows(self, guard: SeenTokenRepository, db: Session) -> SeenTokenRepository:
        for index, minutes in enumerate((-10, -1, 1, 10)):
            expires = FIXED_NOW + timedelta(minutes=minutes)
            assert guard.first_use(f"t{index}", issuer=CITY, expires_at=expires)
        db.commit()
        return guard

    def test_first_use_then_replay(self, rows: SeenTokenRepository) -> None:
        assert not rows.first_use("t2", issuer=COUNTY, expires_at=FIXED_NOW)
        assert rows.first_use("t9", issuer=COUNTY, expires_at=FIXED_NOW)

    def test_purge_forgets_only_expired_ids(self, rows: SeenTokenRepository, db: Session) -> None:
        assert rows.purge_expired(FIXED_NOW) == 2
        db.commit()
        assert sorted(db.execute(select(SeenToken.jti)).scalars()) == ["t2", "t3"]
        assert rows.purge_expired(FIXED_NOW) == 0
        stamp = datetime.fromtimestamp(NOW, UTC)
        assert rows.first_use("t0", issuer=CITY, expires_at=stamp)
