"""Detached and compact JWS: round trips, the committed vectors, JWT interop and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.canonical import canonicalize
from signing.envelope import ENVELOPE_TYP
from signing.errors import SignatureError
from signing.jws import sign_compact, sign_detached, verify_compact, verify_detached
from signing.keys import Keyring, SigningKey, TrustedKey, b64url_decode, b64url_encode

JWS_VECTORS = json.loads((Path(__file__).parent / "vectors" / "jws.json").read_text(encoding="utf-8"))
PAYLOAD = "公告 payload".encode()
INVALID = "signature.invalid"
RFC8037_SEED = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
CLAIMS: dict[str, Any] = {"sub": "department:住建局", "scope": ["records:read"], "n": 3, "ratio": 0.5}


def code_of(action: Callable[[], Any]) -> str:
    with pytest.raises(SignatureError) as caught:
        action()
    return caught.value.code


def detached_code(token: Any, keyring: Keyring, payload: bytes = PAYLOAD) -> str:
    return code_of(lambda: verify_detached(token, payload, keyring, typ=ENVELOPE_TYP))


def instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def vector_keyring(case: dict[str, Any], keys: dict[str, SigningKey]) -> Keyring:
    entries = [TrustedKey(keys[spec["key"]].public, instant(spec.get("not_before")),
                          instant(spec.get("not_after"))) for spec in case["keyring"]]
    return Keyring(entries, revoked=case["revoked"])


def run_vector(case: dict[str, Any], keys: dict[str, SigningKey]) -> dict[str, Any]:
    ring, at = vector_keyring(case, keys), instant(case["at"])
    if case["form"] == "detached":
        return verify_detached(case["token"], case["payload"].encode(), ring, typ=case["typ"], at=at)
    return verify_compact(case["token"], ring, typ=case["typ"], at=at)


def edit_header(token: str, **changes: Any) -> str:
    protected, rest = token.split(".", 1)
    header = {**json.loads(b64url_decode(protected)), **changes}
    return b64url_encode(canonicalize({k: v for k, v in header.items() if v is not None})) + "." + rest


class TestVectors:
    @pytest.mark.parametrize("case", JWS_VECTORS, ids=[case["name"] for case in JWS_VECTORS])
    def test_vector(self, case: dict[str, Any], vector_keys: dict[str, SigningKey]) -> None:
        expect = case["expect"]
        if "error" in expect:
            with pytest.raises(SignatureError) as caught:
                run_vector(case, vector_keys)
            assert caught.value.code == expect["error"]
        else:
            result = run_vector(case, vector_keys)
            assert result == expect.get("header", expect.get("claims"))

    def test_ed25519_vectors_are_reproduced_exactly(self, vector_keys: dict[str, SigningKey]) -> None:
        by_name = {case["name"]: case for case in JWS_VECTORS}
        detached, compact = by_name["ed25519 detached"], by_name["ed25519 jwt"]
        key = vector_keys["ed25519-a"]
        assert sign_detached(detached["payload"].encode(), key, typ=detached["typ"]) == detached["token"]
        assert sign_compact(compact["expect"]["claims"], key) == compact["token"]

    def test_every_negative_vector_names_a_code(self) -> None:
        negatives = [case for case in JWS_VECTORS if "error" in case["expect"]]
        assert len(negatives) >= 15
        assert {case["expect"]["error"] for case in negatives} == {INVALID, "signature.unknown_key"}


class TestSignDetached:
    def test_shape_and_header(self, ed_key: SigningKey) -> None:
        token = sign_detached(PAYLOAD, ed_key, typ=ENVELOPE_TYP)
        protected, payload_segment, signature = token.split(".")
        assert payload_segment == ""
        header = {"alg": "EdDSA", "kid": ed_key.kid, "typ": ENVELOPE_TYP}
        assert b64url_decode(protected) == canonicalize(header)
        assert len(b64url_decode(signature)) == 64

    def test_ed25519_is_deterministic(self, ed_key: SigningKey) -> None:
        assert sign_detached(PAYLOAD, ed_key, typ="t") == sign_detached(PAYLOAD, ed_key, typ="t")

    @pytest.mark.parametrize("typ", ["", None, 7])
    def test_typ_is_required(self, ed_key: SigningKey, typ: Any) -> None:
        assert code_of(lambda: sign_detached(PAYLOAD, ed_key, typ=typ)) == INVALID


class TestVerifyDetached:
    @pytest.mark.parametrize("key_name", ["ed_key", "sm2_key"])
    def test_round_trip_returns_the_header(self, key_name: str, keyring: Keyring,
                                           request: pytest.FixtureRequest) -> None:
        key: SigningKey = request.getfixturevalue(key_name)
        token = sign_detached(PAYLOAD, key, typ=ENVELOPE_TYP)
        header = verify_detached(token, PAYLOAD, keyring, typ=ENVELOPE_TYP)
        assert header == {"alg": key.alg, "kid": key.kid, "typ": ENVELOPE_TYP}

    def test_wraps_the_library_error(self, ed_key: SigningKey, keyring: Keyring) -> None:
        token = sign_detached(PAYLOAD, ed_key, typ=ENVELOPE_TYP)
        with pytest.raises(SignatureError) as caught:
            verify_detached(token, PAYLOAD + b" ", keyring, typ=ENVELOPE_TYP)
        assert isinstance(caught.value.__cause__, InvalidSignature)

    def test_sm2_signature_bit_flip(self, sm2_key: SigningKey, keyring: Keyring) -> None:
        protected, _, signature = sign_detached(PAYLOAD, sm2_key, typ=ENVELOPE_TYP).split(".")
        raw = bytearray(b64url_decode(signature))
        raw[10] ^= 0x01
        assert detached_code(f"{protected}..{b64url_encode(bytes(raw))}", keyring) == INVALID

    @pytest.mark.parametrize("changes", [
        {"alg": "ES256"}, {"alg": "RS256"}, {"alg": "EDDSA"}, {"kid": None}, {"typ": None}, {"jku": "https://x"},
        {"jwk": {"kty": "OKP"}}, {"x5u": "https://x"}, {"kid": 7}, {"typ": ["t"]},
    ])
    def test_header_members_are_checked(self, ed_key: SigningKey, keyring: Keyring, changes: dict[str, Any]
                                        ) -> None:
        token = edit_header(sign_detached(PAYLOAD, ed_key, typ=ENVELOPE_TYP), **changes)
        assert detached_code(token, keyring) == INVALID

    @pytest.mark.parametrize("protected", [b"not json", b"[]", b'"alg"', b"\xff"])
    def test_header_must_be_a_json_object(self, keyring: Keyring, protected: bytes) -> None:
        assert detached_code(f"{b64url_encode(protected)}..AAAA", keyring) == INVALID

    def test_header_with_duplicate_members_is_refused(self, ed_key: SigningKey, keyring: Keyring) -> None:
        protected, _, signature = sign_detached(PAYLOAD, ed_key, typ=ENVELOPE_TYP).split(".")
        raw = b64url_decode(protected).decode()
        doubled = raw[:-1] + ',"alg":"EdDSA"}'  # same value twice: parsers keep one, the bytes differ
        assert detached_code(f"{b64url_encode(doubled.encode())}..{signature}", keyring) == INVALID

    @pytest.mark.parametrize("token", [None, 42, b"a..b", "", "...", "a.b.c.d"])
    def test_malformed_tokens(self, keyring: Keyring, token: Any) -> None:
        assert detached_code(token, keyring) == INVALID

    def test_naive_instant_is_refused(self, ed_key: SigningKey, keyring: Keyring) -> None:
        token = sign_detached(PAYLOAD, ed_key, typ=ENVELOPE_TYP)
        naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
        at_naive = lambda: verify_detached(token, PAYLOAD, keyring, typ=ENVELOPE_TYP, at=naive)  # noqa: E731
        assert code_of(at_naive) == INVALID

    def test_an_envelope_signature_is_not_a_jwt(self, ed_key: SigningKey, keyring: Keyring) -> None:
        claims = b'{"sub":"x"}'
        protected, _, signature = sign_detached(claims, ed_key, typ=ENVELOPE_TYP).split(".")
        as_jwt = f"{protected}.{b64url_encode(claims)}.{signature}"
        assert code_of(lambda: verify_compact(as_jwt, keyring)) == INVALID


class TestCompact:
    @pytest.mark.parametrize("key_name", ["ed_key", "sm2_key"])
    def test_round_trip(self, key_name: str, keyring: Keyring, request: pytest.FixtureRequest) -> None:
        key: SigningKey = request.getfixturevalue(key_name)
        token = sign_compact(CLAIMS, key)
        assert verify_compact(token, keyring) == CLAIMS
        header = json.loads(b64url_decode(token.split(".")[0]))
        assert header == {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def test_custom_typ(self, ed_key: SigningKey, keyring: Keyring) -> None:
        token = sign_compact(CLAIMS, ed_key, typ="ggzy-receipt+jwt")
        assert verify_compact(token, keyring, typ="ggzy-receipt+jwt") == CLAIMS
        assert code_of(lambda: verify_compact(token, keyring)) == INVALID

    def test_pyjwt_verifies_our_tokens(self, ed_key: SigningKey) -> None:
        seed = b64url_decode(RFC8037_SEED)
        public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        assert jwt.decode(sign_compact(CLAIMS, ed_key), public, algorithms=["EdDSA"]) == CLAIMS

    def test_we_verify_pyjwt_tokens(self, ed_key: SigningKey, keyring: Keyring) -> None:
        seed = b64url_decode(RFC8037_SEED)
        token = jwt.encode(CLAIMS, Ed25519PrivateKey.from_private_bytes(seed), algorithm="EdDSA",
                           headers={"kid": ed_key.kid})
        assert verify_compact(token, keyring) == CLAIMS

    def test_pyjwt_forgeries_are_refused(self, ed_key: SigningKey, keyring: Keyring) -> None:
        none = jwt.encode(CLAIMS, None, algorithm="none", headers={"kid": ed_key.kid})  # type: ignore[arg-type]
        hs256 = jwt.encode(CLAIMS, ed_key.public.raw, algorithm="HS256", headers={"kid": ed_key.kid})
        assert code_of(lambda: verify_compact(none, keyring)) == INVALID
        assert code_of(lambda: verify_compact(hs256, keyring)) == INVALID

    @pytest.mark.parametrize("body", [b"[1,2]", b"not json", b'"text"'])
    def test_claims_must_be_a_json_object(self, ed_key: SigningKey, keyring: Keyring, body: bytes) -> None:
        protected = sign_compact({}, ed_key).split(".")[0]
        body_segment = b64url_encode(body)
        signature = b64url_encode(ed_key.sign(f"{protected}.{body_segment}".encode()))
        token = f"{protected}.{body_segment}.{signature}"
        assert code_of(lambda: verify_compact(token, keyring)) == INVALID

    def test_empty_payload_segment_is_refused(self, ed_key: SigningKey, keyring: Keyring) -> None:
        protected, _, signature = sign_detached(b"", ed_key, typ="JWT").split(".")
        assert code_of(lambda: verify_compact(f"{protected}..{signature}", keyring)) == INVALID

    def test_claims_must_be_a_mapping(self, ed_key: SigningKey) -> None:
        assert code_of(lambda: sign_compact([("sub", "x")], ed_key)) == INVALID  # type: ignore[arg-type]

    def test_unknown_key(self, ed_other: SigningKey, keyring: Keyring) -> None:
        assert code_of(lambda: verify_compact(sign_compact(CLAIMS, ed_other), keyring)) == (
            "signature.unknown_key")
