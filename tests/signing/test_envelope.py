"""Envelopes: stable ids, seal/open round trips, leaf bytes, and every way to tamper with them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.canonical import canonicalize
from signing.envelope import ENVELOPE_TYP, digest, envelope_id, open_envelope, open_leaf, seal
from signing.errors import SignatureError
from signing.jws import sign_detached
from signing.keys import Keyring, SigningKey, TrustedKey, b64url_decode

VECTOR_FILE = Path(__file__).parent / "vectors" / "envelopes.json"
ENVELOPE_VECTORS = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
INVALID = "signature.invalid"


def code_of(action: Callable[[], Any]) -> str:
    with pytest.raises(SignatureError) as caught:
        action()
    return caught.value.code


class TestEnvelopeId:
    def test_is_the_sha256_of_the_jcs_array(self) -> None:
        material = rfc8785.dumps(["tender.award", "530621", ["E1", "标段1"], "v2"])
        expected = hashlib.sha256(material).hexdigest()[:32]
        assert envelope_id("tender.award", "530621", ("E1", "标段1"), "v2") == expected

    def test_same_inputs_same_id_and_each_part_matters(self) -> None:
        base = ("tender.award", "530621", ["E1", "S1"], "2026-11-20T09:30:00+08:00")
        assert envelope_id(*base) == envelope_id(*base)
        variants = [("tender.bid", *base[1:]), (base[0], "530600", *base[2:]),
                    (*base[:2], ["E1", "S2"], base[3]), (*base[:2], ["E1S1"], base[3]),
                    (*base[:3], "2026-11-21T09:30:00+08:00")]
        ids = {envelope_id(*variant) for variant in variants}  # type: ignore[arg-type]
        assert len(ids) == len(variants)
        assert envelope_id(*base) not in ids

    @pytest.mark.parametrize("args", [
        ("t", "j", "E1", "v"), ("t", "j", ["E1", 2], "v"), (1, "j", ["E1"], "v"), ("t", None, ["E1"], "v"),
        ("t", "j", ["E1"], 3), ("t", "j", ["bad\ud800"], "v"),
    ])
    def test_refuses_non_strings(self, args: tuple[Any, ...]) -> None:
        assert code_of(lambda: envelope_id(*args)) == "canonical.unsupported_value"


class TestSeal:
    def test_returns_the_envelope_and_its_leaf(self, record: dict[str, Any], ed_key: SigningKey) -> None:
        envelope, leaf = seal(record, ed_key)
        assert leaf == rfc8785.dumps(envelope)
        assert {name: value for name, value in envelope.items() if name != "sig"} == record
        assert envelope["sig"]["alg"] == "EdDSA"
        assert envelope["sig"]["kid"] == ed_key.kid
        protected, payload_segment, _ = envelope["sig"]["jws"].split(".")
        assert payload_segment == ""
        assert json.loads(b64url_decode(protected))["typ"] == ENVELOPE_TYP

    def test_ed25519_seal_is_deterministic(self, record: dict[str, Any], ed_key: SigningKey) -> None:
        assert seal(record, ed_key)[1] == seal(record, ed_key)[1]

    def test_envelope_does_not_share_state_with_the_input(self, record: dict[str, Any], ed_key: SigningKey
                                                          ) -> None:
        envelope, leaf = seal(record, ed_key)
        record["payload"]["bid_price"] = "1.00"
        assert envelope["payload"]["bid_price"] == "12345678.90"
        assert rfc8785.dumps(envelope) == leaf

    def test_floats_take_the_slow_path_and_stay_canonical(self, record: dict[str, Any], ed_key: SigningKey,
                                                          keyring: Keyring) -> None:
        record["payload"]["scores"] = [85.5, 90.0, -0.0, 1e21]
        envelope, leaf = seal(record, ed_key)
        assert b'"scores":[85.5,90,0,1e+21]' in leaf
        assert leaf == rfc8785.dumps(envelope)
        assert open_leaf(leaf, keyring)["payload"]["scores"] == [85.5, 90, 0, 1e21]

    @pytest.mark.parametrize(("change", "pointer"), [
        ({"v": 2}, "/v"), ({"v": True}, "/v"), ({"v": "1"}, "/v"), ({"payload": []}, "/payload"),
        ({"source": "x"}, "/source"), ({"issued_at": None}, "/issued_at"), ({"extra": 1}, "/extra"),
        ({"id": 42}, "/id"),
    ])
    def test_refuses_what_is_not_a_v1_envelope(self, record: dict[str, Any], ed_key: SigningKey,
                                                change: dict[str, Any], pointer: str) -> None:
        with pytest.raises(SignatureError) as caught:
            seal({**record, **change}, ed_key)
        assert caught.value.code == "envelope.invalid"
        assert pointer in [detail["pointer"] for detail in caught.value.details]

    def test_reports_every_missing_member(self, ed_key: SigningKey) -> None:
        with pytest.raises(SignatureError) as caught:
            seal({"v": 1}, ed_key)
        assert {d["pointer"] for d in caught.value.details} == {
            "/id", "/type", "/schema", "/jurisdiction", "/origin", "/source", "/issued_at", "/payload"}

    def test_refuses_a_signed_envelope_and_non_objects(self, record: dict[str, Any], ed_key: SigningKey
                                                       ) -> None:
        envelope, _ = seal(record, ed_key)
        assert code_of(lambda: seal(envelope, ed_key)) == "envelope.invalid"
        assert code_of(lambda: seal([record], ed_key)) == "envelope.invalid"  # type: ignore[arg-type]

    def test_refuses_values_without_canonical_form(self, record: dict[str, Any], ed_key: SigningKey) -> None:
        record["payload"]["amount"] = 2**60
        assert code_of(lambda: seal(record, ed_key)) == "canonical.unsupported_value"


class TestOpenEnvelope:
    @pytest.mark.parametrize("key_name", ["ed_key", "sm2_key"])
    def test_round_trip(self, record: dict[str, Any], keyring: Keyring, key_name: str,
                        request: pytest.FixtureRequest) -> None:
        envelope, _ = seal(record, request.getfixturevalue(key_name))
        opened = open_envelope(envelope, keyring)
        assert opened == record
        assert "sig" not in opened

    def test_result_is_built_from_the_verified_bytes(self, record: dict[str, Any], ed_key: SigningKey,
                                                     keyring: Keyring) -> None:
        envelope, _ = seal(record, ed_key)
        opened = open_envelope(envelope, keyring)
        opened["payload"]["quality"] = "changed"
        assert envelope["payload"]["quality"] == "合格"

    @pytest.mark.parametrize(("path", "value"), [
        (("payload", "winner", "name"), "另一家公司"), (("payload", "duration_days"), 366),
        (("id",), "0" * 32),
        (("issued_at",), "2026-11-22T10:00:01+08:00"), (("source", "ref"), "x"), (("payload", "remarks"), ""),
    ])
    def test_any_change_breaks_the_signature(self, record: dict[str, Any], ed_key: SigningKey,
                                             keyring: Keyring, path: tuple[str, ...], value: Any) -> None:
        envelope, _ = seal(record, ed_key)
        target = envelope
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        assert code_of(lambda: open_envelope(envelope, keyring)) == INVALID

    def test_added_member_breaks_the_signature(self, record: dict[str, Any], ed_key: SigningKey,
                                               keyring: Keyring) -> None:
        envelope, _ = seal(record, ed_key)
        envelope["payload"]["injected"] = True
        assert code_of(lambda: open_envelope(envelope, keyring)) == INVALID

    @pytest.mark.parametrize("sig", [
        None, "x", {"alg": "EdDSA", "kid": "k"}, {"alg": 1, "kid": "k", "jws": "j"},
        {"alg": "EdDSA", "kid": "k", "jws": "j", "extra": "e"},
    ])
    def test_sig_must_be_well_formed(self, record: dict[str, Any], keyring: Keyring, sig: Any) -> None:
        assert code_of(lambda: open_envelope({**record, "sig": sig}, keyring)) == INVALID

    def test_sig_alg_and_kid_must_agree_with_the_header(self, record: dict[str, Any], ed_key: SigningKey,
                                                        keyring: Keyring) -> None:
        envelope, _ = seal(record, ed_key)
        for member, value in (("alg", "SM2"), ("kid", "another")):
            altered = {**envelope, "sig": {**envelope["sig"], member: value}}
            with pytest.raises(SignatureError) as caught:
                open_envelope(altered, keyring)
            assert caught.value.code == INVALID

    def test_a_signature_made_for_another_typ_is_refused(self, record: dict[str, Any], ed_key: SigningKey,
                                                         keyring: Keyring) -> None:
        jws = sign_detached(canonicalize(record), ed_key, typ="JWT")
        forged = {**record, "sig": {"alg": "EdDSA", "kid": ed_key.kid, "jws": jws}}
        assert code_of(lambda: open_envelope(forged, keyring)) == INVALID

    def test_key_window_is_checked_at_the_given_instant(self, record: dict[str, Any], ed_key: SigningKey
                                                        ) -> None:
        envelope, _ = seal(record, ed_key)
        rotated_out = datetime(2026, 11, 1, tzinfo=UTC)
        ring = Keyring([TrustedKey(ed_key.public, not_after=rotated_out)])
        assert open_envelope(envelope, ring, at=datetime(2026, 10, 1, tzinfo=UTC)) == record
        assert code_of(lambda: open_envelope(envelope, ring, at=rotated_out)) == "signature.unknown_key"

    def test_refuses_non_objects(self, keyring: Keyring) -> None:
        assert code_of(lambda: open_envelope("{}", keyring)) == "envelope.invalid"  # type: ignore[arg-type]


class TestOpenLeaf:
    def test_round_trip(self, record: dict[str, Any], ed_key: SigningKey, keyring: Keyring) -> None:
        _, leaf = seal(record, ed_key)
        assert open_leaf(leaf, keyring) == record

    @pytest.mark.parametrize("rewrite", [
        lambda envelope: json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode(),
        lambda envelope: json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode(),  # \\u escapes
        lambda envelope: json.dumps(dict(reversed(envelope.items())), ensure_ascii=False,
                                    separators=(",", ":")).encode(),
        lambda envelope: rfc8785.dumps(envelope) + b"\n",
        lambda envelope: rfc8785.dumps(envelope).replace(b'{"id"', b'{"id":"dup","id"', 1),
    ])
    def test_refuses_other_spellings_of_a_valid_envelope(self, record: dict[str, Any], ed_key: SigningKey,
                                                         keyring: Keyring, rewrite: Callable[[Any], bytes]
                                                         ) -> None:
        envelope, leaf = seal(record, ed_key)
        respelled = rewrite(envelope)
        assert respelled != leaf
        with pytest.raises(SignatureError) as caught:
            open_leaf(respelled, keyring)
        assert caught.value.code == INVALID
        assert "canonical" in caught.value.message

    @pytest.mark.parametrize("leaf", [b"", b"not json", b"[1]", b'"x"', b"\xff"])
    def test_refuses_what_is_not_an_envelope(self, keyring: Keyring, leaf: bytes) -> None:
        assert code_of(lambda: open_leaf(leaf, keyring)) in (INVALID, "envelope.invalid")

    @pytest.mark.parametrize("case", ENVELOPE_VECTORS, ids=[case["name"] for case in ENVELOPE_VECTORS])
    def test_vector(self, case: dict[str, Any], vector_keys: dict[str, SigningKey]) -> None:
        ring = Keyring([vector_keys[spec["key"]].public for spec in case["keyring"]], revoked=case["revoked"])
        if "error" in case["expect"]:
            with pytest.raises(SignatureError) as caught:
                open_leaf(case["leaf"].encode(), ring)
            assert caught.value.code == case["expect"]["error"]
        else:
            assert open_leaf(case["leaf"].encode(), ring)["id"] == case["expect"]["id"]

    def test_ed25519_vector_is_reproduced_exactly(self, vector_keys: dict[str, SigningKey]) -> None:
        case = next(case for case in ENVELOPE_VECTORS if case["name"] == "ed25519 envelope")
        unsigned = {name: value for name, value in json.loads(case["leaf"]).items() if name != "sig"}
        assert seal(unsigned, vector_keys["ed25519-a"])[1] == case["leaf"].encode()

    @settings(max_examples=50, deadline=None)
    @given(st.dictionaries(st.text(max_size=6), st.one_of(st.text(max_size=20), st.integers(-10**6, 10**6),
                                                            st.none(), st.booleans()), max_size=6))
    def test_any_payload_round_trips(self, payload: dict[str, Any]) -> None:
        key = SigningKey.from_secret("EdDSA", b"\x07" * 32)
        unsigned = {"v": 1, "id": "i", "type": "t", "schema": "t/1", "jurisdiction": "530000",
                    "origin": "530000", "source": {}, "issued_at": "2026-01-01T00:00:00+08:00",
                    "payload": payload}
        envelope, leaf = seal(unsigned, key)
        assert open_leaf(leaf, Keyring([key.public])) == unsigned
        assert leaf == rfc8785.dumps(envelope)


class TestDigest:
    def test_is_prefixed_sha256_hex(self) -> None:
        assert digest(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        assert digest(b"leaf") == "sha256:" + hashlib.sha256(b"leaf").hexdigest()
