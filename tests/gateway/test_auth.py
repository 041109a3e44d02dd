"""Bearer tokens: who may do what, and every way a token can be wrong."""

from __future__ import annotations

import base64
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.services.auth import (
    ROLE_SCOPES,
    AuthError,
    ExpiredTokenError,
    TokenRequestError,
    WrongAudienceError,
    authenticate,
    issue_token,
)
from gateway.services.identity import NodeIdentity
from signing.jws import sign_compact
from signing.keys import Keyring, SigningKey
from tests.conftest import FIXED_NOW


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(node: NodeIdentity, **over: object) -> dict[str, object]:
    now = int(FIXED_NOW.timestamp())
    base: dict[str, object] = {
        "iss": node.node_id,
        "aud": node.node_id,
        "sub": "x",
        "role": "auditor",
        "scope": "records:read",
        "jur": "530600",
        "iat": now,
        "exp": now + 300,
        "jti": "j1",
    }
    base.update(over)
    return base


class TestIssue:
    def test_defaults_exclude_personal_data(self, node: NodeIdentity) -> None:
        token = issue_token(
            node,
            role="auditor",
            subject="审计局",
            jurisdiction="530600",
            scopes=None,
            ttl=timedelta(hours=1),
            now=FIXED_NOW,
        )
        principal = authenticate(node, token, now=FIXED_NOW)
        assert principal.role == "auditor"
        assert "pii:read" not in principal.scopes
        assert principal.jurisdiction == "530600"

    @pytest.mark.parametrize("role", ["auditor", "discipline"])
    def test_read_only_roles_cannot_be_given_write_scopes(self, node: NodeIdentity, role: str) -> None:
        with pytest.raises(TokenRequestError):
            issue_token(
                node,
                role=role,
                subject="x",
                jurisdiction=None,
                scopes=["records:write"],
                ttl=timedelta(hours=1),
                now=FIXED_NOW,
            )

    def test_read_only_roles_hold_no_write_scope(self) -> None:
        for role in ("auditor", "discipline"):
            assert not any(s.endswith(":write") or s == "admin" for s in ROLE_SCOPES[role])

    def test_unknown_role_and_bad_jurisdiction(self, node: NodeIdentity) -> None:
        with pytest.raises(TokenRequestError):
            issue_token(
                node,
                role="root",
                subject="x",
                jurisdiction=None,
                scopes=None,
                ttl=timedelta(1),
                now=FIXED_NOW,
            )
        with pytest.raises(TokenRequestError):
            issue_token(
                node,
                role="auditor",
                subject="x",
                jurisdiction="99999",
                scopes=None,
                ttl=timedelta(1),
                now=FIXED_NOW,
            )


class TestAuthenticate:
    def test_expired(self, node: NodeIdentity) -> None:
        token = sign_compact(claims(node, exp=int(FIXED_NOW.timestamp()) - 60), node.key)
        with pytest.raises(ExpiredTokenError):
            authenticate(node, token, now=FIXED_NOW)

    def test_wrong_audience(self, node: NodeIdentity) -> None:
        with pytest.raises(WrongAudienceError):
            authenticate(node, sign_compact(claims(node, aud="530621"), node.key), now=FIXED_NOW)

    def test_signed_by_another_key(self, node: NodeIdentity) -> None:
        with pytest.raises(AuthError):
            authenticate(node, sign_compact(claims(node), SigningKey.generate()), now=FIXED_NOW)

    def test_alg_none(self, node: NodeIdentity) -> None:
        header = b64(orjson.dumps({"alg": "none", "typ": "JWT", "kid": node.key.kid}))
        token = f"{header}.{b64(orjson.dumps(claims(node)))}."
        with pytest.raises(AuthError):
            authenticate(node, token, now=FIXED_NOW)

    def test_tampered_claims(self, node: NodeIdentity) -> None:
        header, _, sig = sign_compact(claims(node), node.key).split(".")
        forged = b64(orjson.dumps(claims(node, role="admin", scope="admin records:write")))
        with pytest.raises(AuthError):
            authenticate(node, f"{header}.{forged}.{sig}", now=FIXED_NOW)

    def test_scopes_beyond_role_are_refused_even_if_signed(self, node: NodeIdentity) -> None:
        token = sign_compact(claims(node, scope="records:read records:write"), node.key)
        with pytest.raises(AuthError, match="exceed"):
            authenticate(node, token, now=FIXED_NOW)

    def test_other_issuer(self, node: NodeIdentity) -> None:
        with pytest.raises(AuthError):
            authenticate(node, sign_compact(claims(node, iss="530621"), node.key), now=FIXED_NOW)

    def test_garbage(self, node: NodeIdentity) -> None:
        for token in ("abc", "a.b.c", "....", ""):
            with pytest.raises(AuthError):
                authenticate(node, token, now=FIXED_NOW)

    def test_key_from_another_node_keyring(self, node: NodeIdentity) -> None:
        other = NodeIdentity("530621", "x", "", SigningKey.generate(), Keyring([]))
        token = issue_token(
            other,
            role="admin",
            subject="x",
            jurisdiction=None,
            scopes=None,
            ttl=timedelta(hours=1),
            now=FIXED_NOW,
        )
        with pytest.raises(AuthError):
            authenticate(node, token, now=FIXED_NOW)


class TestOverHttp:
    def test_expired_token_is_401_problem(self, client: TestClient, token) -> None:
        resp = client.get("/api/v1/feed", headers=token("auditor", ttl=timedelta(seconds=-120)))
        assert resp.status_code == 401
        assert resp.json()["code"] == "auth.expired"
        assert resp.headers["www-authenticate"] == "Bearer"

    def test_source_token_cannot_read(self, client: TestClient, token) -> None:
        resp = client.get("/api/v1/feed", headers=token("source"))
        assert resp.status_code == 403
        assert resp.json()["code"] == "auth.forbidden"
