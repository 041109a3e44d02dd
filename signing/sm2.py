"""SM2 signatures with SM3 (GM/T 0003.2, GB/T 32918.2) through the compiled GmSSL 3.1 library.

The library comes from the `easy-gmssl` distribution, which builds GmSSL 3.1.1 from source when it
is installed and puts `libgmssl` under `~/.gmssl_3.1.1_install/lib` of the installing user. Its own
Python layer reads keys only from files and needs an undeclared dependency, so this module opens the
library itself (that directory first, then the system loader path, where a packaged GmSSL 3.1 can
live) and declares typed prototypes for the few functions it calls. The structure layouts below are
GmSSL 3.1's; other versions are refused.

Signatures are raw r‖s (64 bytes, as JWS wants for EC keys) over SM3(Z_A ‖ message) with the
default user id `1234567812345678`. GmSSL prints a line to stderr whenever it refuses something (it
is compiled with DEBUG on); cheap checks here catch malformed input before it reaches the library.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

from signing.errors import SignatureError

DEFAULT_USER_ID = b"1234567812345678"
PRIVATE_KEY_SIZE = 32
PUBLIC_KEY_SIZE = 65
SIGNATURE_SIZE = 64
CURVE_ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
FIELD_PRIME = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF

# DER of the OIDs that mark a PKCS#8 key as GmSSL's: the SM2 curve 1.2.156.10197.1.301 (in the key's
# AlgorithmIdentifier) and SM4-CBC 1.2.156.10197.1.104.2 (in the PBES2 parameters of an encrypted key).
PKCS8_MARKERS = (bytes.fromhex("06082a811ccf5501822d"), bytes.fromhex("06082a811ccf55016802"))

_EASY_GMSSL_LIBRARY = Path(".gmssl_3.1.1_install") / "lib" / "libgmssl.so.3.1"
_SYSTEM_LIBRARIES = ("libgmssl.so.3.1", "libgmssl.so.3")
_SUPPORTED_VERSIONS = range(30100, 30200)
_DER_BUFFER_SIZE = 1024
_Bytes32 = ctypes.c_uint8 * 32


class _Point(ctypes.Structure):
    _fields_ = (("x", _Bytes32), ("y", _Bytes32))


class _Key(ctypes.Structure):
    _fields_ = (("public_key", _Point), ("private_key", _Bytes32))


class _Signature(ctypes.Structure):
    _fields_ = (("r", _Bytes32), ("s", _Bytes32))


_KeyRef = ctypes.POINTER(_Key)
_BytePtr = ctypes.POINTER(ctypes.c_uint8)
_SizeRef = ctypes.POINTER(ctypes.c_size_t)

_PROTOTYPES: dict[str, list[type]] = {
    "gmssl_version_num": [],
    "sm2_key_generate": [_KeyRef],
    "sm2_key_set_private_key": [_KeyRef, ctypes.c_char_p],
    "sm2_key_set_public_key": [_KeyRef, ctypes.POINTER(_Point)],
    "sm2_compute_z": [ctypes.c_char_p, ctypes.POINTER(_Point), ctypes.c_char_p, ctypes.c_size_t],
    "sm2_do_sign": [_KeyRef, ctypes.c_char_p, ctypes.POINTER(_Signature)],
    "sm2_do_verify": [_KeyRef, ctypes.c_char_p, ctypes.POINTER(_Signature)],
    "sm2_private_key_info_to_der": [_KeyRef, ctypes.POINTER(_BytePtr), _SizeRef],
    "sm2_private_key_info_from_der": [
        _KeyRef, ctypes.POINTER(_BytePtr), _SizeRef, ctypes.POINTER(_BytePtr), _SizeRef],
    "sm2_private_key_info_encrypt_to_der": [_KeyRef, ctypes.c_char_p, ctypes.POINTER(_BytePtr), _SizeRef],
    "sm2_private_key_info_decrypt_from_der": [
        _KeyRef, ctypes.POINTER(_BytePtr), _SizeRef, ctypes.c_char_p, ctypes.POINTER(_BytePtr), _SizeRef],
}


@functools.cache
def _library() -> ctypes.CDLL:
    candidates = [str(Path.home() / _EASY_GMSSL_LIBRARY), *_SYSTEM_LIBRARIES]
    failures = []
    for candidate in candidates:
        try:
            library = ctypes.CDLL(candidate)
        except OSError as exc:
            failures.append(f"{candidate}: {exc}")
            continue
        return _declare(library)
    raise SignatureError("SM2 needs the GmSSL 3.1 library (install easy-gmssl): " + "; ".join(failures))


def _declare(library: ctypes.CDLL) -> ctypes.CDLL:
    for name, argtypes in _PROTOTYPES.items():
        function = getattr(library, name)
        function.argtypes = argtypes
        function.restype = ctypes.c_int
    library.sm3_digest.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
    library.sm3_digest.restype = None
    version = int(library.gmssl_version_num())
    if version not in _SUPPORTED_VERSIONS:
        raise SignatureError(f"GmSSL {version} is not supported: the SM2 bindings follow GmSSL 3.1")
    return library


def _check(result: int, action: str) -> None:
    if result != 1:
        raise SignatureError(f"SM2: {action} failed")


def sm3(data: bytes) -> bytes:
    digest = ctypes.create_string_buffer(32)
    _library().sm3_digest(data, len(data), digest)
    return digest.raw


class SM2PublicKey:
    """A validated point of the SM2 curve; `verify` checks raw r‖s signatures."""

    __slots__ = ("_key", "_z_default", "point")

    def __init__(self, point: bytes) -> None:
        if len(point) != PUBLIC_KEY_SIZE or point[0] != 0x04:
            raise SignatureError("an SM2 public key is an uncompressed point: 0x04 ‖ x ‖ y (65 bytes)")
        if max(int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")) >= FIELD_PRIME:
            raise SignatureError("SM2 public key coordinates must be below the field prime")
        coordinates = _Point.from_buffer_copy(point[1:])
        self._key = _Key()
        _check(_library().sm2_key_set_public_key(ctypes.byref(self._key), ctypes.byref(coordinates)),
               "the public key is not a point of the curve, so loading it")
        self.point = point
        self._z_default = self.z(DEFAULT_USER_ID)

    def z(self, user_id: bytes) -> bytes:
        """Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) of GM/T 0003.2 §5.5."""
        if not 0 < len(user_id) < 8192 or b"\x00" in user_id:
            raise SignatureError("an SM2 user id is 1..8191 bytes without NUL")
        z = ctypes.create_string_buffer(32)
        _check(_library().sm2_compute_z(z, ctypes.byref(self._key.public_key), user_id, len(user_id)),
               "computing Z")
        return z.raw

    def digest(self, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """e = SM3(Z_A ‖ M): the value the signature equation signs."""
        return sm3((self._z_default if user_id == DEFAULT_USER_ID else self.z(user_id)) + data)

    def verify(self, signature: bytes, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> None:
        if len(signature) != SIGNATURE_SIZE:
            raise SignatureError(f"an SM2 signature is r ‖ s ({SIGNATURE_SIZE} bytes), not {len(signature)}")
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < CURVE_ORDER and 0 < s < CURVE_ORDER):
            raise SignatureError("SM2 signature values must lie in [1, n-1]")
        parsed = _Signature.from_buffer_copy(signature)
        e = self.digest(data, user_id)
        if _library().sm2_do_verify(ctypes.byref(self._key), e, ctypes.byref(parsed)) != 1:
            raise SignatureError("SM2 signature does not verify")


class SM2PrivateKey:
    """An SM2 private key d (1 <= d < n-1) with its public key."""

    __slots__ = ("_key", "public")

    def __init__(self, key: _Key) -> None:
        self._key = key
        self.public = SM2PublicKey(b"\x04" + bytes(key.public_key.x) + bytes(key.public_key.y))

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        key = _Key()
        _check(_library().sm2_key_generate(ctypes.byref(key)), "key generation")
        return cls(key)

    @classmethod
    def from_bytes(cls, secret: bytes) -> SM2PrivateKey:
        # GB/T 32918.1 §6.1 wants d in [1, n-2], so that 1 + d is invertible.
        if len(secret) != PRIVATE_KEY_SIZE or not 0 < int.from_bytes(secret, "big") < CURVE_ORDER - 1:
            raise SignatureError("an SM2 private key is 32 bytes holding d with 1 <= d < n-1")
        key = _Key()
        _check(_library().sm2_key_set_private_key(ctypes.byref(key), secret), "loading the private key")
        return cls(key)

    def __del__(self) -> None:
        ctypes.memset(ctypes.addressof(self._key), 0, ctypes.sizeof(self._key))

    def secret_bytes(self) -> bytes:
        return bytes(self._key.private_key)

    def sign(self, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        signature = _Signature()
        _check(_library().sm2_do_sign(ctypes.byref(self._key), self.public.digest(data, user_id),
                                      ctypes.byref(signature)), "signing")
        return bytes(signature.r) + bytes(signature.s)

    def to_pkcs8(self, passphrase: bytes | None) -> bytes:
        """PKCS#8 DER; with a passphrase, EncryptedPrivateKeyInfo (PBES2: PBKDF2-HMAC-SM3, SM4-CBC)."""
        buffer = (ctypes.c_uint8 * _DER_BUFFER_SIZE)()
        cursor = ctypes.cast(buffer, _BytePtr)
        length = ctypes.c_size_t(0)
        library = _library()
        if passphrase is None:
            result = library.sm2_private_key_info_to_der(
                ctypes.byref(self._key), ctypes.byref(cursor), ctypes.byref(length))
        else:
            result = library.sm2_private_key_info_encrypt_to_der(
                ctypes.byref(self._key), _checked_passphrase(passphrase), ctypes.byref(cursor),
                ctypes.byref(length))
        _check(result, "encoding the private key")
        return bytes(buffer[: length.value])

    @classmethod
    def from_pkcs8(cls, der: bytes, passphrase: bytes | None) -> SM2PrivateKey:
        if not 0 < len(der) <= _DER_BUFFER_SIZE:
            raise SignatureError("SM2 private key DER has an implausible size")
        buffer = (ctypes.c_uint8 * len(der)).from_buffer_copy(der)
        cursor = ctypes.cast(buffer, _BytePtr)
        remaining = ctypes.c_size_t(len(der))
        attributes = _BytePtr()
        attributes_length = ctypes.c_size_t(0)
        key = _Key()
        library = _library()
        if passphrase is None:
            result = library.sm2_private_key_info_from_der(
                ctypes.byref(key), ctypes.byref(attributes), ctypes.byref(attributes_length),
                ctypes.byref(cursor), ctypes.byref(remaining))
        else:
            result = library.sm2_private_key_info_decrypt_from_der(
                ctypes.byref(key), ctypes.byref(attributes), ctypes.byref(attributes_length),
                _checked_passphrase(passphrase), ctypes.byref(cursor), ctypes.byref(remaining))
        if result != 1 or remaining.value != 0:
            raise SignatureError("cannot read the SM2 private key (wrong passphrase, or not SM2 PKCS#8)")
        return cls(key)


def _checked_passphrase(passphrase: bytes) -> bytes:
    # GmSSL takes a C string: a NUL would silently cut the passphrase short.
    if not passphrase or b"\x00" in passphrase:
        raise SignatureError("a key passphrase is non-empty and holds no NUL byte")
    return passphrase
