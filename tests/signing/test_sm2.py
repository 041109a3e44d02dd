"""SM2 with SM3 through GmSSL: the GB/T 32918 example, and agreement with independent implementations
(pure-Python gmalg and gmssl, and the OpenSSL command line when it is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import gmalg
import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from gmssl import sm2 as pure_sm2

from signing import sm2
from signing.errors import SignatureError
from signing.keys import ALG_SM2, PublicKey, SigningKey

# GB/T 32918.2-2016 (GM/T 0003.2) worked example on the recommended curve.
D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
X = bytes.fromhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020")
Y = bytes.fromhex("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
MESSAGE = b"message digest"
K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
Z_A = bytes.fromhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
R = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
S = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
POINT = b"\x04" + X + Y
N = sm2.CURVE_ORDER
INVALID = "signature.invalid"
MESSAGES = [b"", b"x", MESSAGE, "招标公告：昭通市鲁甸县".encode(), bytes(range(256)) * 9]


def refused(action: object) -> str:
    with pytest.raises(SignatureError) as caught:
        action()  # type: ignore[operator]
    return caught.value.code


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1:]


def gmalg_signer(secret: bytes, point: bytes, user_id: bytes = sm2.DEFAULT_USER_ID) -> gmalg.SM2:
    return gmalg.SM2(secret, user_id, point)


class TestStandardExample:
    def test_public_key_from_d(self) -> None:
        assert sm2.SM2PrivateKey.from_bytes(D).public.point == POINT

    def test_z_and_e(self) -> None:
        public = sm2.SM2PublicKey(POINT)
        assert public.z(sm2.DEFAULT_USER_ID) == Z_A
        assert public.digest(MESSAGE) == E
        assert sm2.sm3(Z_A + MESSAGE) == E

    def test_published_signature_verifies(self) -> None:
        PublicKey(ALG_SM2, POINT).verify(R + S, MESSAGE)
        sm2.SM2PublicKey(POINT).verify(R + S, MESSAGE)

    @pytest.mark.parametrize("index", [0, 31, 32, 63])
    def test_published_signature_with_a_flipped_bit_fails(self, index: int) -> None:
        assert refused(lambda: sm2.SM2PublicKey(POINT).verify(flip(R + S, index), MESSAGE)) == INVALID

    def test_published_signature_over_another_message_fails(self) -> None:
        assert refused(lambda: sm2.SM2PublicKey(POINT).verify(R + S, b"message digesT")) == INVALID

    def test_independent_implementations_reproduce_r_s_from_k(self) -> None:
        r, s = gmalg.SM2(D, sm2.DEFAULT_USER_ID, POINT, rnd_fn=lambda _: K).sign(MESSAGE)
        assert (r.rjust(32, b"\x00"), s.rjust(32, b"\x00")) == (R, S)
        pure = pure_sm2.CryptSM2(private_key=D.hex(), public_key=(X + Y).hex())
        assert pure.sign_with_sm3(MESSAGE, f"{K:064x}") == (R + S).hex()


class TestCrossImplementation:
    @pytest.mark.parametrize("message", MESSAGES, ids=lambda m: f"{len(m)} bytes")
    def test_gmssl_signs_gmalg_verifies(self, message: bytes) -> None:
        key = sm2.SM2PrivateKey.generate()
        signature = key.sign(message)
        other = gmalg_signer(key.secret_bytes(), key.public.point)
        assert other.verify(message, signature[:32], signature[32:])

    @pytest.mark.parametrize("message", MESSAGES, ids=lambda m: f"{len(m)} bytes")
    def test_gmalg_signs_gmssl_verifies(self, message: bytes) -> None:
        secret, point = gmalg.SM2().generate_keypair()
        r, s = gmalg_signer(secret, point).sign(message)
        sm2.SM2PublicKey(point).verify(r.rjust(32, b"\x00") + s.rjust(32, b"\x00"), message)

    def test_pure_python_gmssl_verifies_ours(self) -> None:
        key = sm2.SM2PrivateKey.from_bytes(D)  # x does not start with "04": that library strips it
        pure = pure_sm2.CryptSM2(private_key=D.hex(), public_key=(X + Y).hex())
        assert pure.verify_with_sm3(key.sign(MESSAGE).hex(), MESSAGE)

    def test_other_user_id_both_ways(self) -> None:
        user_id = b"ALICE123@YAHOO.COM"
        key = sm2.SM2PrivateKey.generate()
        other = gmalg_signer(key.secret_bytes(), key.public.point, user_id)
        signature = key.sign(MESSAGE, user_id)
        assert other.verify(MESSAGE, signature[:32], signature[32:])
        r, s = other.sign(MESSAGE)
        key.public.verify(r.rjust(32, b"\x00") + s.rjust(32, b"\x00"), MESSAGE, user_id)
        assert refused(lambda: key.public.verify(signature, MESSAGE)) == INVALID  # default id

    @pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command line")
    def test_openssl_command_line_both_ways(self, tmp_path: Path) -> None:
        key = SigningKey.from_secret(ALG_SM2, D)
        private, public, message = tmp_path / "key.pem", tmp_path / "pub.pem", tmp_path / "message"
        private.write_bytes(key.to_pem())
        message.write_bytes(MESSAGE)
        sm3_options = ["-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{sm2.DEFAULT_USER_ID.decode()}"]
        run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
        run("pkey", "-in", str(private), "-pubout", "-out", str(public))
        signed = run("pkeyutl", "-sign", "-inkey", str(private), "-in", str(message), *sm3_options)
        openssl_signature = signed.stdout
        r, s = decode_dss_signature(openssl_signature)
        key.public.verify(r.to_bytes(32, "big") + s.to_bytes(32, "big"), MESSAGE)
        ours = key.sign(MESSAGE)
        der = tmp_path / "ours.der"
        r_ours, s_ours = int.from_bytes(ours[:32], "big"), int.from_bytes(ours[32:], "big")
        der.write_bytes(encode_dss_signature(r_ours, s_ours))
        verified = run("pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-in", str(message),
                       "-sigfile", str(der), *sm3_options)
        assert b"Signature Verified Successfully" in verified.stdout


class TestKeysAndSignatures:
    @pytest.mark.parametrize("point", [
        POINT[:-1], b"\x02" + X, b"\x03" + X + Y, b"\x04" + (sm2.FIELD_PRIME + 1).to_bytes(32, "big") + Y,
        b"\x04" + X + flip(Y, 31), b"\x04" + bytes(64),
    ])
    def test_public_key_must_be_an_uncompressed_curve_point(self, point: bytes) -> None:
        assert refused(lambda: sm2.SM2PublicKey(point)) == INVALID

    @pytest.mark.parametrize("secret", [D[:-1], bytes(32), (N - 1).to_bytes(32, "big"),
                                        N.to_bytes(32, "big")])
    def test_private_key_range(self, secret: bytes) -> None:
        assert refused(lambda: sm2.SM2PrivateKey.from_bytes(secret)) == INVALID

    def test_largest_private_key(self) -> None:
        key = sm2.SM2PrivateKey.from_bytes((N - 2).to_bytes(32, "big"))
        key.public.verify(key.sign(MESSAGE), MESSAGE)
        assert key.secret_bytes() == (N - 2).to_bytes(32, "big")

    @pytest.mark.parametrize("signature", [
        R + S[:-1], R + S + b"\x00", bytes(32) + S, R + bytes(32), N.to_bytes(32, "big") + S,
        R + N.to_bytes(32, "big"),
    ])
    def test_signature_shape_and_range(self, signature: bytes) -> None:
        assert refused(lambda: sm2.SM2PublicKey(POINT).verify(signature, MESSAGE)) == INVALID

    @pytest.mark.parametrize("user_id", [b"", b"a\x00b", b"x" * 8192])
    def test_user_id_limits(self, user_id: bytes) -> None:
        assert refused(lambda: sm2.SM2PublicKey(POINT).z(user_id)) == INVALID

    def test_signatures_are_randomized(self) -> None:
        key = sm2.SM2PrivateKey.from_bytes(D)
        first, second = key.sign(MESSAGE), key.sign(MESSAGE)
        assert first != second
        key.public.verify(first, MESSAGE)
        key.public.verify(second, MESSAGE)

    @pytest.mark.parametrize("passphrase", [None, b"pass"])
    def test_pkcs8_round_trip(self, passphrase: bytes | None) -> None:
        der = sm2.SM2PrivateKey.from_bytes(D).to_pkcs8(passphrase)
        assert sm2.SM2PrivateKey.from_pkcs8(der, passphrase).secret_bytes() == D
        assert any(marker in der for marker in sm2.PKCS8_MARKERS)

    def test_pkcs8_refusals(self) -> None:
        der = sm2.SM2PrivateKey.from_bytes(D).to_pkcs8(None)
        assert refused(lambda: sm2.SM2PrivateKey.from_pkcs8(b"", None)) == INVALID
        assert refused(lambda: sm2.SM2PrivateKey.from_pkcs8(b"\x30" * 2000, None)) == INVALID
        assert refused(lambda: sm2.SM2PrivateKey.from_pkcs8(der + b"\x00", None)) == INVALID
        assert refused(lambda: sm2.SM2PrivateKey.from_pkcs8(der, b"pass")) == INVALID
        assert refused(lambda: sm2.SM2PrivateKey.from_bytes(D).to_pkcs8(b"")) == INVALID


class TestLibraryLoading:
    def test_missing_library_is_a_signature_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sm2, "_EASY_GMSSL_LIBRARY", Path("nowhere") / "libgmssl.so.3.1")
        monkeypatch.setattr(sm2, "_SYSTEM_LIBRARIES", ("libgmssl-absent.so.0",))
        sm2._library.cache_clear()
        try:
            with pytest.raises(SignatureError, match=r"GmSSL 3\.1 library"):
                sm2.sm3(b"abc")
        finally:
            sm2._library.cache_clear()

    def test_other_gmssl_versions_are_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sm2, "_SUPPORTED_VERSIONS", range(0))
        sm2._library.cache_clear()
        try:
            with pytest.raises(SignatureError, match="not supported"):
                sm2.sm3(b"abc")
        finally:
            sm2._library.cache_clear()

    def test_sm3_standard_example(self) -> None:
        # GB/T 32905-2016 appendix A.1.
        assert sm2.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
