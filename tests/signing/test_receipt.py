"""Receipts: round trip, byte stability, tampering, wrong and unknown keys, and malformed receipts."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.canonical import canonicalize
from signing.envelope import ENVELOPE_TYP
from signing.errors import SignatureError
from signing.jws import sign_detached
from signing.keys import Keyring, SigningKey, TrustedKey
from signing.receipt import RECEIPT_TYP, ReceiptError, check_receipt, sign_receipt, verify_receipt

INVALID = "receipt.invalid"
ROOT = base64.b64encode(hashlib.sha256(b"root").digest()).decode()


def accepted(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "envelope_id": "3f2a9c0d7e1b4a5f8c6d2e0b9a7f1c3d",
        "origin": "530621",
        "sender": "530621",
        "receiver": "530600",
        "digest": "sha256:" + hashlib.sha256(b"leaf").hexdigest(),
        "status": "accepted",
        "log_index": 41,
        "checkpoint": {"size": 42, "root": ROOT},
        "received_at": "2026-11-22T10:00:00+08:00",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def refused(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"status": "refused", "code": "exchange.bad_signature", "log_index": None,
                            "checkpoint": None}
    return accepted(**{**base, **changes})


def code_of(action: Callable[[], Any]) -> str:
    with pytest.raises(SignatureError) as caught:
        action()
    return caught.value.code


class TestSignReceipt:
    def test_round_trip_returns_the_fields_with_version_and_kind(self, ed_key: SigningKey) -> None:
        data = sign_receipt(accepted(), ed_key)
        opened = verify_receipt(data, Keyring([ed_key.public]))
        assert opened == {"v": 1, "kind": "receipt", **accepted()}

    def test_bytes_are_the_jcs_of_the_receipt_with_its_sig(self, ed_key: SigningKey) -> None:
        data = sign_receipt(accepted(), ed_key)
        parsed = orjson.loads(data)
        assert rfc8785.dumps(parsed) == data
        assert parsed["sig"]["alg"] == "EdDSA"
        assert parsed["sig"]["kid"] == ed_key.kid
        protected = parsed["sig"]["jws"].split(".")[0]
        assert orjson.loads(base64.urlsafe_b64decode(protected + "==")) == {
            "alg": "EdDSA", "kid": ed_key.kid, "typ": RECEIPT_TYP}

    def test_is_byte_stable(self, ed_key: SigningKey) -> None:
        fields = accepted()
        assert sign_receipt(fields, ed_key) == sign_receipt(dict(reversed(list(fields.items()))), ed_key)

    def test_refusal_round_trip(self, ed_key: SigningKey) -> None:
        opened = verify_receipt(sign_receipt(refused(), ed_key), Keyring([ed_key.public]))
        assert opened["status"] == "refused"
        assert opened["code"] == "exchange.bad_signature"
        assert "log_index" not in opened

    def test_sm2_round_trip(self, sm2_key: SigningKey) -> None:
        data = sign_receipt(accepted(status="duplicate"), sm2_key)
        assert verify_receipt(data, Keyring([sm2_key.public]))["status"] == "duplicate"

    def test_refuses_a_signed_receipt(self, ed_key: SigningKey) -> None:
        signed = orjson.loads(sign_receipt(accepted(), ed_key))
        assert code_of(lambda: sign_receipt(signed, ed_key)) == INVALID

    @pytest.mark.parametrize(
        "fields",
        [
            accepted(status="received"),
            accepted(digest="sha256:ABC"),
            accepted(digest="md5:" + "0" * 32),
            accepted(log_index=None),
            accepted(log_index=-1),
            accepted(log_index=True),
            accepted(code="exchange.gap"),
            accepted(checkpoint={"size": 41, "root": ROOT}),
            accepted(checkpoint={"size": 42, "root": "AAAA"}),
            accepted(checkpoint={"size": 42, "root": ROOT, "extra": 1}),
            accepted(checkpoint={"size": 42, "root": "not base64!"}),
            accepted(checkpoint={"size": "42", "root": ROOT}),
            accepted(origin="5" * 201),
            accepted(envelope_id=""),
            accepted(sender=""),
            accepted(received_at="yesterday"),
            accepted(received_at="2026-11-22T10:00:00"),
            accepted(extra="member"),
            accepted(v=2),
            accepted(kind="envelope"),
            refused(code=None),
            refused(code="NotACode"),
            refused(log_index=3),
        ],
    )
    def test_refuses_malformed_receipts(self, fields: dict[str, Any], ed_key: SigningKey) -> None:
        assert code_of(lambda: sign_receipt(fields, ed_key)) == INVALID

    def test_checkpoint_is_optional(self, ed_key: SigningKey) -> None:
        data = sign_receipt(accepted(status="duplicate", checkpoint=None), ed_key)
        assert "checkpoint" not in verify_receipt(data, Keyring([ed_key.public]))

    def test_refusal_may_lack_an_envelope_id(self, ed_key: SigningKey) -> None:
        data = sign_receipt(refused(envelope_id="", origin=""), ed_key)
        assert verify_receipt(data, Keyring([ed_key.public]))["envelope_id"] == ""

    def test_refuses_a_non_object(self, ed_key: SigningKey) -> None:
        assert code_of(lambda: sign_receipt([1], ed_key)) == INVALID  # type: ignore[arg-type]


class TestVerifyReceipt:
    def test_accepts_the_parsed_object(self, ed_key: SigningKey) -> None:
        parsed = orjson.loads(sign_receipt(accepted(), ed_key))
        assert verify_receipt(parsed, Keyring([ed_key.public]))["log_index"] == 41

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            (b'"status":"accepted"', b'"status":"duplicate"'),
            (b'"log_index":41', b'"log_index":40'),
            (b'"receiver":"530600"', b'"receiver":"530000"'),
            (b'"origin":"530621"', b'"origin":"530622"'),
        ],
    )
    def test_tampered_receipt_is_refused(self, old: bytes, new: bytes, ed_key: SigningKey) -> None:
        data = sign_receipt(accepted(), ed_key)
        assert old in data
        tampered = data.replace(old, new, 1)
        assert code_of(lambda: verify_receipt(tampered, Keyring([ed_key.public]))) == INVALID

    def test_tampered_digest_is_refused(self, ed_key: SigningKey) -> None:
        parsed = orjson.loads(sign_receipt(accepted(), ed_key))
        parsed["digest"] = "sha256:" + hashlib.sha256(b"other leaf").hexdigest()
        assert code_of(lambda: verify_receipt(parsed, Keyring([ed_key.public]))) == INVALID

    def test_wrong_key_is_refused(self, ed_key: SigningKey, ed_other: SigningKey) -> None:
        data = sign_receipt(accepted(), ed_key)
        forged = orjson.loads(data)
        forged["sig"]["kid"] = ed_other.kid
        assert code_of(lambda: verify_receipt(data, Keyring([ed_other.public]))) == INVALID
        assert code_of(lambda: verify_receipt(forged, Keyring([ed_other.public]))) == INVALID

    def test_key_outside_its_window_is_refused(self, ed_key: SigningKey) -> None:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        ring = Keyring([TrustedKey(ed_key.public, start, start + timedelta(days=30))])
        data = sign_receipt(accepted(), ed_key)
        assert verify_receipt(data, ring, at=start + timedelta(days=1))["status"] == "accepted"
        assert code_of(lambda: verify_receipt(data, ring, at=start + timedelta(days=31))) == INVALID

    def test_revoked_key_is_refused(self, ed_key: SigningKey) -> None:
        data = sign_receipt(accepted(), ed_key)
        ring = Keyring([ed_key.public], revoked=[ed_key.kid])
        assert code_of(lambda: verify_receipt(data, ring)) == INVALID

    def test_envelope_signature_does_not_pass_for_a_receipt(self, ed_key: SigningKey) -> None:
        body = {"v": 1, "kind": "receipt", **accepted()}
        jws = sign_detached(canonicalize(body), ed_key, typ=ENVELOPE_TYP)
        forged = {**body, "sig": {"alg": ed_key.alg, "kid": ed_key.kid, "jws": jws}}
        assert code_of(lambda: verify_receipt(forged, Keyring([ed_key.public]))) == INVALID

    def test_sig_alg_must_agree_with_the_header(self, ed_key: SigningKey) -> None:
        parsed = orjson.loads(sign_receipt(accepted(), ed_key))
        parsed["sig"]["alg"] = "SM2"
        assert code_of(lambda: verify_receipt(parsed, Keyring([ed_key.public]))) == INVALID

    @pytest.mark.parametrize(
        "data",
        [b"not json", b"[1]", b'{"v":1}'],
    )
    def test_refuses_unreadable_bytes(self, data: bytes, ed_key: SigningKey) -> None:
        assert code_of(lambda: verify_receipt(data, Keyring([ed_key.public]))) == INVALID

    def test_refuses_non_canonical_bytes(self, ed_key: SigningKey) -> None:
        spaced = orjson.dumps(orjson.loads(sign_receipt(accepted(), ed_key)), option=orjson.OPT_INDENT_2)
        assert code_of(lambda: verify_receipt(spaced, Keyring([ed_key.public]))) == INVALID

    def test_refuses_a_receipt_without_sig_members(self, ed_key: SigningKey) -> None:
        parsed = orjson.loads(sign_receipt(accepted(), ed_key))
        del parsed["sig"]["kid"]
        assert code_of(lambda: verify_receipt(parsed, Keyring([ed_key.public]))) == INVALID

    def test_refuses_other_types(self, ed_key: SigningKey) -> None:
        assert code_of(lambda: verify_receipt(42, Keyring([ed_key.public]))) == INVALID  # type: ignore[arg-type]


class TestCheckReceipt:
    def test_error_is_a_signature_error(self) -> None:
        assert issubclass(ReceiptError, SignatureError)
        with pytest.raises(ReceiptError):
            check_receipt({"v": 1})

    @settings(max_examples=100, deadline=None)
    @given(index=st.integers(0, 2**53 - 2), status=st.sampled_from(["accepted", "duplicate"]))
    def test_any_taken_receipt_round_trips(self, index: int, status: str) -> None:
        key = SigningKey.from_secret("EdDSA", bytes(32))
        fields = accepted(log_index=index, status=status, checkpoint={"size": index + 1, "root": ROOT})
        data = sign_receipt(fields, key)
        assert data == sign_receipt(fields, key)
        assert verify_receipt(data, Keyring([key.public]))["log_index"] == index
