"""DESIGN.md §4.2 promises that anyone can check an envelope with the node's public key, an RFC 8785
implementation and an Ed25519 verifier. `independent_verify` does exactly that and nothing more:
it uses `cryptography`, the reference `rfc8785` package and the standard library, never project code.
Project code only makes the envelope under test.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signing.envelope import seal
from signing.keys import SigningKey


class NotVerified(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:
        raise NotVerified("not canonical base64url")
    return data


def independent_verify(envelope: dict[str, Any], public_key: bytes) -> dict[str, Any]:
    """Check `envelope` against a raw Ed25519 public key; return it without `sig`, or raise NotVerified."""
    # The key id is the RFC 7638 thumbprint of the key's JWK.
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(public_key)}, separators=(",", ":"),
                     sort_keys=True)
    kid = b64url(hashlib.sha256(jwk.encode()).digest())
    sig = envelope["sig"]
    protected, payload_segment, signature = sig["jws"].split(".")
    header = json.loads(unb64url(protected))
    expected_header = {"alg": "EdDSA", "kid": kid, "typ": "ggzy-envelope+jcs"}
    if header != expected_header or sig["alg"] != "EdDSA" or sig["kid"] != kid or payload_segment != "":
        raise NotVerified(f"header {header} / sig {sig['alg']} {sig['kid']} do not name this key")
    body = {name: value for name, value in envelope.items() if name != "sig"}
    signing_input = protected.encode() + b"." + b64url(rfc8785.dumps(body)).encode()
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(unb64url(signature), signing_input)
    except InvalidSignature as exc:
        raise NotVerified("bad signature") from exc
    return body


def change_char(text: str, index: int) -> str:
    replacement = "x" if text[index] != "x" else "y"
    return text[:index] + replacement + text[index + 1:]


def set_in(envelope: dict[str, Any], path: tuple[str, ...], edit: Callable[[str], str]) -> None:
    target = envelope
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = edit(target[path[-1]])


class TestIndependentVerifier:
    def test_verifies_a_sealed_envelope(self, record: dict[str, Any], ed_key: SigningKey) -> None:
        envelope, leaf = seal(record, ed_key)
        assert independent_verify(envelope, ed_key.public.raw) == record
        assert independent_verify(json.loads(leaf), ed_key.public.raw) == record

    def test_refuses_another_key(self, record: dict[str, Any], ed_key: SigningKey, ed_other: SigningKey
                                 ) -> None:
        envelope, _ = seal(record, ed_key)
        with pytest.raises(NotVerified):
            independent_verify(envelope, ed_other.public.raw)

    @pytest.mark.parametrize(("path", "edit"), [
        (("payload", "project_name"), lambda value: "曲" + value[1:]),  # one character of Chinese text
        (("payload", "bid_price"), lambda value: change_char(value, 3)),
        (("id",), lambda value: change_char(value, 10)),
        (("issued_at",), lambda value: value.replace("10:00:00", "10:00:01")),
        (("sig", "kid"), lambda value: change_char(value, 5)),
        (("sig", "jws"), lambda value: change_char(value, len(value) - 20)),  # inside the signature
        (("sig", "jws"), lambda value: change_char(value, 8)),  # inside the protected header
    ], ids=["payload string", "payload price", "id", "issued_at", "sig.kid", "jws signature", "jws header"])
    def test_one_changed_field_fails(self, record: dict[str, Any], ed_key: SigningKey,
                                     path: tuple[str, ...], edit: Callable[[str], str]) -> None:
        envelope, _ = seal(record, ed_key)
        tampered = copy.deepcopy(envelope)
        set_in(tampered, path, edit)
        assert tampered != envelope
        # A damaged header may not even parse (ValueError): refused all the same.
        with pytest.raises((NotVerified, ValueError)):
            independent_verify(tampered, ed_key.public.raw)
