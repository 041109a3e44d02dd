"""Keys: derived ids (RFC 7638/8037), JWK, PEM, signing, and the keyring's validity rules."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.keys import (
    ALG_EDDSA,
    ALG_SM2,
    Keyring,
    PublicKey,
    SigningKey,
    TrustedKey,
    b64url_decode,
    b64url_encode,
)

# RFC 8037 appendix A: the Ed25519 key, its thumbprint (A.3) and a JWS over a fixed input (A.4).
RFC8037_SEED = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_SIGNING_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIGNATURE = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
BEIJING = timezone(timedelta(hours=8))


def code_of(action: Callable[[], Any]) -> str:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the code attribute is what is checked
        action()
    return str(getattr(caught.value, "code", type(caught.value).__name__))


class TestBase64url:
    @pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", bytes(range(256))])
    def test_round_trip(self, data: bytes) -> None:
        encoded = b64url_encode(data)
        assert "=" not in encoded
        assert b64url_decode(encoded) == data

    @pytest.mark.parametrize("text", ["AA==", "A", "AB+/", "AB CD", "ÄÄÄÄ", "AB", "AAB"])
    def test_refuses_everything_but_the_one_spelling(self, text: str) -> None:
        # "AB" and "AAB" carry non-zero padding bits: another spelling of the bytes of "AA"/"AAA".
        assert code_of(lambda: b64url_decode(text)) == "signature.invalid"

    def test_refuses_non_strings(self) -> None:
        assert code_of(lambda: b64url_decode(b"AAAA")) == "signature.invalid"  # type: ignore[arg-type]


class TestPublicKey:
    def test_rfc8037_thumbprint_is_the_kid(self, ed_key: SigningKey) -> None:
        assert b64url_encode(ed_key.public.raw) == RFC8037_X
        assert ed_key.kid == RFC8037_THUMBPRINT

    def test_kid_is_derived_from_the_key_alone(self, ed_key: SigningKey, ed_other: SigningKey) -> None:
        assert PublicKey(ALG_EDDSA, ed_key.public.raw).kid == ed_key.kid
        assert ed_other.kid != ed_key.kid

    def test_sm2_kid_is_the_thumbprint_of_crv_kty_x_y(self, sm2_key: SigningKey) -> None:
        jwk = sm2_key.public.to_jwk()
        members = f'{{"crv":"SM2","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'.encode()
        assert sm2_key.kid == b64url_encode(hashlib.sha256(members).digest())

    def test_jwk_shapes(self, ed_key: SigningKey, sm2_key: SigningKey) -> None:
        assert ed_key.public.to_jwk() == {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X,
                                          "kid": RFC8037_THUMBPRINT, "alg": "EdDSA", "use": "sig"}
        jwk = sm2_key.public.to_jwk()
        assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
        assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "SM2", "SM2")
        assert b"\x04" + b64url_decode(jwk["x"]) + b64url_decode(jwk["y"]) == sm2_key.public.raw

    def test_jwk_round_trip(self, ed_key: SigningKey, sm2_key: SigningKey) -> None:
        for key in (ed_key.public, sm2_key.public):
            assert PublicKey.from_jwk(key.to_jwk()) == key
            jwk = key.to_jwk()
            minimal: dict[str, str] = {name: jwk[name] for name in ("kty", "crv", "x", "y") if name in jwk}
            assert PublicKey.from_jwk(minimal) == key

    @pytest.mark.parametrize(("change", "reason"), [
        ({"kid": "not-the-thumbprint"}, "kid"),
        ({"alg": "SM2"}, "alg"),
        ({"alg": "HS256"}, "alg"),
        ({"use": "enc"}, "use"),
        ({"d": RFC8037_SEED}, "private"),
        ({"kty": "RSA"}, "unsupported"),
        ({"crv": "X25519"}, "unsupported"),
        ({"x": RFC8037_X[:-1] + "+"}, "base64url"),
        ({"x": RFC8037_X[:-4]}, "32 bytes"),
        ({"x": 12}, "base64url string"),
    ])
    def test_from_jwk_refuses(self, ed_key: SigningKey, change: dict[str, Any], reason: str) -> None:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - code and message are checked
            PublicKey.from_jwk({**ed_key.public.to_jwk(), **change})
        assert getattr(caught.value, "code", None) == "signature.invalid"
        assert reason in str(caught.value)

    def test_from_jwk_refuses_non_objects(self) -> None:
        assert code_of(lambda: PublicKey.from_jwk(["OKP"])) == "signature.invalid"  # type: ignore[arg-type]

    def test_from_jwk_refuses_an_sm2_point_off_the_curve(self, sm2_key: SigningKey) -> None:
        jwk = sm2_key.public.to_jwk()
        y = bytearray(b64url_decode(jwk["y"]))
        y[-1] ^= 1
        assert code_of(lambda: PublicKey.from_jwk({**jwk, "y": b64url_encode(bytes(y)), "kid": None})) == (
            "signature.invalid")

    @pytest.mark.parametrize(("alg", "raw"), [
        ("EdDSA", b"\x01" * 31), ("SM2", b"\x04" + b"\x01" * 63), ("ES256", b"\x01" * 32), ("EdDSA", "text"),
    ])
    def test_constructor_validates(self, alg: str, raw: Any) -> None:
        assert code_of(lambda: PublicKey(alg, raw)) == "signature.invalid"

    def test_verify_wraps_the_library_error(self, ed_key: SigningKey) -> None:
        signature = ed_key.sign(b"data")
        ed_key.public.verify(signature, b"data")
        with pytest.raises(Exception) as caught:  # noqa: PT011 - code and cause are checked
            ed_key.public.verify(signature, b"date")
        assert getattr(caught.value, "code", None) == "signature.invalid"
        assert isinstance(caught.value.__cause__, InvalidSignature)

    def test_equal_keys_hash_alike(self, ed_key: SigningKey) -> None:
        twin = PublicKey(ALG_EDDSA, ed_key.public.raw)
        assert twin == ed_key.public
        assert len({twin, ed_key.public}) == 1


class TestSigningKey:
    def test_rfc8037_signature(self, ed_key: SigningKey) -> None:
        assert ed_key.sign(RFC8037_SIGNING_INPUT) == b64url_decode(RFC8037_SIGNATURE)

    @pytest.mark.parametrize("alg", [ALG_EDDSA, ALG_SM2])
    def test_generated_keys_sign_and_verify(self, alg: str) -> None:
        key = SigningKey.generate(alg)
        assert (key.alg, key.public.alg) == (alg, alg)
        key.public.verify(key.sign(b"record"), b"record")
        assert SigningKey.generate(alg).kid != key.kid

    @pytest.mark.parametrize("alg", [ALG_EDDSA, ALG_SM2])
    @pytest.mark.parametrize("passphrase", [None, b"correct horse \xe4\xb8\xad"])
    def test_pem_round_trip(self, alg: str, passphrase: bytes | None) -> None:
        key = SigningKey.generate(alg)
        pem = key.to_pem(passphrase)
        label = b"ENCRYPTED PRIVATE KEY" if passphrase else b"PRIVATE KEY"
        assert pem.startswith(b"-----BEGIN " + label + b"-----\n")
        loaded = SigningKey.from_pem(pem, passphrase)
        assert loaded.kid == key.kid
        key.public.verify(loaded.sign(b"x"), b"x")

    def test_pem_default_has_no_passphrase(self, ed_key: SigningKey) -> None:
        assert SigningKey.from_pem(ed_key.to_pem()).kid == ed_key.kid

    def test_ed25519_pem_is_standard_pkcs8(self, ed_key: SigningKey) -> None:
        private = serialization.load_pem_private_key(ed_key.to_pem(b"pw"), b"pw")
        assert private.public_key().public_bytes_raw() == ed_key.public.raw  # type: ignore[union-attr]

    @pytest.mark.parametrize("alg", [ALG_EDDSA, ALG_SM2])
    def test_pem_passphrase_mistakes(self, alg: str) -> None:
        key = SigningKey.generate(alg)
        encrypted, plain = key.to_pem(b"right"), key.to_pem()
        assert code_of(lambda: SigningKey.from_pem(encrypted, b"wrong")) == "signature.invalid"
        assert code_of(lambda: SigningKey.from_pem(encrypted)) == "signature.invalid"
        assert code_of(lambda: SigningKey.from_pem(plain, b"right")) == "signature.invalid"
        assert code_of(lambda: key.to_pem(b"")) == "signature.invalid"

    def test_sm2_passphrase_cannot_hold_nul(self, sm2_key: SigningKey) -> None:
        assert code_of(lambda: sm2_key.to_pem(b"ab\x00cd")) == "signature.invalid"

    @pytest.mark.parametrize("pem", [
        b"", b"not a pem", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    ])
    def test_from_pem_refuses_garbage(self, pem: bytes) -> None:
        assert code_of(lambda: SigningKey.from_pem(pem)) == "signature.invalid"

    def test_from_pem_refuses_non_bytes(self, ed_key: SigningKey) -> None:
        assert code_of(lambda: SigningKey.from_pem(ed_key.to_pem().decode())) == (  # type: ignore[arg-type]
            "signature.invalid")

    def test_from_pem_refuses_a_damaged_sm2_key(self, sm2_key: SigningKey) -> None:
        lines = sm2_key.to_pem().splitlines()
        body = bytearray(base64.b64decode(b"".join(lines[1:-1])))
        body[-1] ^= 0xFF  # a byte of the embedded public key, which GmSSL checks against d
        damaged = b"\n".join([lines[0], base64.b64encode(bytes(body)), lines[-1]])
        assert code_of(lambda: SigningKey.from_pem(damaged)) == "signature.invalid"

    @pytest.mark.parametrize("make", [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: ec.generate_private_key(ec.SECP256R1()),
    ])
    def test_from_pem_refuses_other_key_types(self, make: Callable[[], Any]) -> None:
        pem = make().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
        with pytest.raises(Exception) as caught:  # noqa: PT011 - code and message are checked
            SigningKey.from_pem(pem)
        assert getattr(caught.value, "code", None) == "signature.invalid"
        assert "unsupported private key type" in str(caught.value)

    @pytest.mark.parametrize(("alg", "secret"), [
        ("EdDSA", b"\x01" * 31), ("SM2", b"\x00" * 32), ("SM2", b"\xff" * 32), ("RSA", b"\x01" * 32),
    ])
    def test_from_secret_validates(self, alg: str, secret: bytes) -> None:
        assert code_of(lambda: SigningKey.from_secret(alg, secret)) == "signature.invalid"

    def test_generate_refuses_unknown_algorithms(self) -> None:
        assert code_of(lambda: SigningKey.generate("HS256")) == "signature.invalid"

    def test_repr_shows_no_secret(self, ed_key: SigningKey) -> None:
        assert repr(ed_key) == f"SigningKey(alg='EdDSA', kid='{RFC8037_THUMBPRINT}')"


class TestKeyring:
    def test_get_known_key(self, keyring: Keyring, ed_key: SigningKey, sm2_key: SigningKey) -> None:
        assert keyring.get(ed_key.kid) == ed_key.public
        assert keyring.get(sm2_key.kid, datetime(2030, 1, 1, tzinfo=UTC)) == sm2_key.public

    def test_unknown_key(self, keyring: Keyring, ed_other: SigningKey) -> None:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - code and message are checked
            keyring.get(ed_other.kid)
        assert getattr(caught.value, "code", None) == "signature.unknown_key"
        assert "not in the keyring" in str(caught.value)

    def test_revoked_key_is_refused_at_any_time(self, ed_key: SigningKey) -> None:
        ring = Keyring([ed_key.public], revoked=[ed_key.kid])
        for at in (None, datetime(2026, 1, 1, tzinfo=UTC)):
            with pytest.raises(Exception) as caught:  # noqa: PT011 - code and message are checked
                ring.get(ed_key.kid, at)
            assert getattr(caught.value, "code", None) == "signature.unknown_key"
            assert "revoked" in str(caught.value)
        assert ed_key.kid not in ring
        assert list(ring) == []
        assert len(ring) == 0

    def test_validity_window_is_half_open(self, ed_key: SigningKey) -> None:
        start, end = datetime(2026, 1, 1, tzinfo=BEIJING), datetime(2027, 1, 1, tzinfo=BEIJING)
        ring = Keyring([TrustedKey(ed_key.public, not_before=start, not_after=end)])
        assert ring.get(ed_key.kid, start) == ed_key.public
        assert ring.get(ed_key.kid, end - timedelta(microseconds=1)) == ed_key.public
        assert ring.get(ed_key.kid) == ed_key.public  # no instant, no window check
        for at, reason in ((start - timedelta(seconds=1), "not valid before"), (end, "expired")):
            with pytest.raises(Exception) as caught:  # noqa: PT011 - code and message are checked
                ring.get(ed_key.kid, at)
            assert getattr(caught.value, "code", None) == "signature.unknown_key"
            assert reason in str(caught.value)

    def test_window_compares_instants_across_offsets(self, ed_key: SigningKey) -> None:
        ring = Keyring([TrustedKey(ed_key.public, not_after=datetime(2026, 1, 1, 8, tzinfo=BEIJING))])
        midnight_utc = datetime(2026, 1, 1, 0, tzinfo=UTC)  # 08:00 in Beijing: the first instant outside
        assert code_of(lambda: ring.get(ed_key.kid, midnight_utc)) == "signature.unknown_key"
        assert ring.get(ed_key.kid, datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) == ed_key.public

    def test_naive_datetimes_are_refused(self, ed_key: SigningKey) -> None:
        naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
        assert code_of(lambda: TrustedKey(ed_key.public, not_before=naive)) == "signature.invalid"
        assert code_of(lambda: Keyring([ed_key.public]).get(ed_key.kid, naive)) == "signature.invalid"

    def test_empty_window_is_refused(self, ed_key: SigningKey) -> None:
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        assert code_of(lambda: TrustedKey(ed_key.public, not_before=moment, not_after=moment)) == (
            "signature.invalid")

    def test_duplicates(self, ed_key: SigningKey) -> None:
        assert len(Keyring([ed_key.public, ed_key.public, TrustedKey(ed_key.public)])) == 1
        windowed = TrustedKey(ed_key.public, not_after=datetime(2026, 1, 1, tzinfo=UTC))
        assert code_of(lambda: Keyring([ed_key.public, windowed])) == "signature.invalid"

    def test_membership_iteration_and_jwks(self, keyring: Keyring, ed_key: SigningKey, sm2_key: SigningKey
                                           ) -> None:
        assert ed_key.kid in keyring
        assert "nope" not in keyring
        assert set(keyring) == {ed_key.public, sm2_key.public}
        assert keyring.jwks() == {"keys": [ed_key.public.to_jwk(), sm2_key.public.to_jwk()]}
        rebuilt = Keyring([PublicKey.from_jwk(jwk) for jwk in keyring.jwks()["keys"]])
        assert rebuilt.get(sm2_key.kid) == sm2_key.public
