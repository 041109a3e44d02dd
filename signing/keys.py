"""Node keys: Ed25519 (JWS "EdDSA") by default, SM2 with SM3 (JWS "SM2") for national-crypto nodes.

A key id is the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key, so it is derived,
never assigned. The algorithm belongs to the key: a verifier looks the key up by id and uses that
key's algorithm, whatever a header claims. A `Keyring` answers "which key may verify this, at that
instant": unknown, revoked and out-of-window keys are refused with the reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing import sm2
from signing.canonical import canonicalize
from signing.errors import SignatureError, UnknownKeyError

ALG_EDDSA = "EdDSA"
ALG_SM2 = "SM2"
ALGORITHMS = (ALG_EDDSA, ALG_SM2)

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END \1-----\s*")
_PEM_LINE = 64


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2): one spelling per byte string, nothing else."""
    if not isinstance(text, str) or _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise SignatureError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise SignatureError("base64url with non-zero padding bits")
    return data


class _Verifier(Protocol):
    def verify(self, signature: bytes, data: bytes) -> None: ...


class _EdDSAVerifier:
    __slots__ = ("_key",)

    def __init__(self, raw: bytes) -> None:
        try:
            self._key = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError as exc:
            raise SignatureError("an Ed25519 public key is 32 bytes") from exc

    def verify(self, signature: bytes, data: bytes) -> None:
        try:
            self._key.verify(signature, data)
        except InvalidSignature as exc:
            raise SignatureError("Ed25519 signature does not verify") from exc


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A public key and the one algorithm it verifies. `raw`: Ed25519 32 bytes, SM2 0x04‖x‖y."""

    alg: str
    raw: bytes
    kid: str = field(init=False)
    _verifier: _Verifier = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes):
            raise SignatureError("raw public key must be bytes")
        if self.alg == ALG_EDDSA:
            verifier: _Verifier = _EdDSAVerifier(self.raw)
        elif self.alg == ALG_SM2:
            verifier = sm2.SM2PublicKey(self.raw)
        else:
            raise SignatureError(f"unsupported key algorithm {self.alg!r}")
        object.__setattr__(self, "_verifier", verifier)
        thumbprint = hashlib.sha256(canonicalize(self._required_members())).digest()
        object.__setattr__(self, "kid", b64url_encode(thumbprint))

    def verify(self, signature: bytes, data: bytes) -> None:
        self._verifier.verify(signature, data)

    def _required_members(self) -> dict[str, str]:
        # RFC 7638 §3.2 / RFC 8037 §2: only the required members enter the thumbprint.
        if self.alg == ALG_EDDSA:
            return {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self.raw)}
        x, y = self.raw[1:33], self.raw[33:]
        return {"crv": "SM2", "kty": "EC", "x": b64url_encode(x), "y": b64url_encode(y)}

    def to_jwk(self) -> dict[str, str]:
        return {**self._required_members(), "kid": self.kid, "alg": self.alg, "use": "sig"}

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """The key a JWK describes. Its algorithm follows from kty/crv; alg, kid, use must agree."""
        if not isinstance(jwk, Mapping):
            raise SignatureError("a JWK is a JSON object")
        if "d" in jwk:
            raise SignatureError("refusing a JWK that carries private key material")
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "OKP" and crv == "Ed25519":
            key = cls(ALG_EDDSA, _jwk_member(jwk, "x", 32))
        elif kty == "EC" and crv == "SM2":
            key = cls(ALG_SM2, b"\x04" + _jwk_member(jwk, "x", 32) + _jwk_member(jwk, "y", 32))
        else:
            raise SignatureError(f"unsupported JWK key type kty={kty!r} crv={crv!r}")
        for member, expected in (("alg", key.alg), ("kid", key.kid), ("use", "sig")):
            if member in jwk and jwk[member] != expected:
                raise SignatureError(f"JWK {member} {jwk[member]!r} does not match the key ({expected!r})")
        return key


def _jwk_member(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    encoded = jwk.get(name)
    if not isinstance(encoded, str):
        raise SignatureError(f"JWK member {name} is a base64url string")
    value = b64url_decode(encoded)
    if len(value) != size:
        raise SignatureError(f"JWK member {name} must hold {size} bytes")
    return value


class SigningKey:
    """A node's private key. It never leaves the process except through `to_pem`."""

    __slots__ = ("_private", "public")

    def __init__(self, private: Ed25519PrivateKey | sm2.SM2PrivateKey) -> None:
        self._private = private
        if isinstance(private, Ed25519PrivateKey):
            self.public = PublicKey(ALG_EDDSA, private.public_key().public_bytes_raw())
        else:
            self.public = PublicKey(ALG_SM2, private.public.point)

    @property
    def alg(self) -> str:
        return self.public.alg

    @property
    def kid(self) -> str:
        return self.public.kid

    def __repr__(self) -> str:
        return f"SigningKey(alg={self.alg!r}, kid={self.kid!r})"

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    @classmethod
    def generate(cls, alg: str = ALG_EDDSA) -> SigningKey:
        if alg == ALG_EDDSA:
            return cls(Ed25519PrivateKey.generate())
        if alg == ALG_SM2:
            return cls(sm2.SM2PrivateKey.generate())
        raise SignatureError(f"unsupported key algorithm {alg!r}")

    @classmethod
    def from_secret(cls, alg: str, secret: bytes) -> SigningKey:
        """A key from its raw secret: the Ed25519 seed or the SM2 scalar d (32 bytes each)."""
        if alg == ALG_EDDSA:
            try:
                return cls(Ed25519PrivateKey.from_private_bytes(secret))
            except ValueError as exc:
                raise SignatureError("an Ed25519 private key is a 32-byte seed") from exc
        if alg == ALG_SM2:
            return cls(sm2.SM2PrivateKey.from_bytes(secret))
        raise SignatureError(f"unsupported key algorithm {alg!r}")

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted when a passphrase is given.

        Ed25519 uses the best encryption `cryptography` offers (PBES2, AES-256-CBC). SM2 uses GmSSL's
        PBES2 with PBKDF2-HMAC-SM3 and SM4-CBC, which OpenSSL 3.0 cannot read; its unencrypted form
        is the standard one.
        """
        if isinstance(self._private, sm2.SM2PrivateKey):
            label = "PRIVATE KEY" if passphrase is None else "ENCRYPTED PRIVATE KEY"
            return _pem_armor(label, self._private.to_pkcs8(passphrase))
        if passphrase is None:
            encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
        else:
            if not passphrase:
                raise SignatureError("a key passphrase is non-empty")
            encryption = serialization.BestAvailableEncryption(passphrase)
        return self._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           encryption)

    @classmethod
    def from_pem(cls, data: bytes, passphrase: bytes | None = None) -> SigningKey:
        match = _PEM.fullmatch(data.strip() + b"\n") if isinstance(data, bytes) else None
        if match is None or match.group(1) not in (b"PRIVATE KEY", b"ENCRYPTED PRIVATE KEY"):
            raise SignatureError("expected one PKCS#8 PEM block (PRIVATE KEY or ENCRYPTED PRIVATE KEY)")
        encrypted = match.group(1) == b"ENCRYPTED PRIVATE KEY"
        if encrypted != (passphrase is not None):
            raise SignatureError("the key is encrypted: a passphrase is needed" if encrypted
                                 else "the key is not encrypted, yet a passphrase was given")
        try:
            der = base64.b64decode(match.group(2), validate=False)
        except binascii.Error as exc:
            raise SignatureError("PEM body is not base64") from exc
        # SM2 keys, and keys encrypted with SM4, are GmSSL's to read; the rest is cryptography's.
        if any(marker in der for marker in sm2.PKCS8_MARKERS):
            return cls(sm2.SM2PrivateKey.from_pkcs8(der, passphrase))
        try:
            private = serialization.load_der_private_key(der, passphrase)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise SignatureError("cannot read the private key (wrong passphrase, or damaged)") from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise SignatureError(f"unsupported private key type {type(private).__name__}")
        return cls(private)


def _pem_armor(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + _PEM_LINE] for i in range(0, len(body), _PEM_LINE)]
    return b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode(), b""])


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A key with its validity window: valid for not_before <= at < not_after (None: unbounded)."""

    key: PublicKey
    not_before: datetime | None = None
    not_after: datetime | None = None

    def __post_init__(self) -> None:
        for bound in (self.not_before, self.not_after):
            if bound is not None and bound.utcoffset() is None:
                raise SignatureError("key validity bounds must be timezone-aware datetimes")
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise SignatureError(f"key {self.key.kid} has an empty validity window")


class Keyring:
    """The keys a verifier trusts, by kid. Pure: the instant to check is passed in, never read."""

    __slots__ = ("_entries", "_revoked")

    def __init__(self, keys: Iterable[PublicKey | TrustedKey] = (), *, revoked: Iterable[str] = ()) -> None:
        self._entries: dict[str, TrustedKey] = {}
        for item in keys:
            entry = item if isinstance(item, TrustedKey) else TrustedKey(item)
            known = self._entries.get(entry.key.kid)
            if known is not None and known != entry:
                raise SignatureError(f"key {entry.key.kid} is listed twice with different validity")
            self._entries[entry.key.kid] = entry
        self._revoked = frozenset(revoked)

    def get(self, kid: str, at: datetime | None = None) -> PublicKey:
        """The key `kid` if it may verify at `at`. With `at` None the validity window is not checked."""
        if kid in self._revoked:
            raise UnknownKeyError(f"key {kid} is revoked")
        entry = self._entries.get(kid)
        if entry is None:
            raise UnknownKeyError(f"key {kid} is not in the keyring")
        if at is not None:
            if at.utcoffset() is None:
                raise SignatureError("the verification instant must be a timezone-aware datetime")
            if entry.not_before is not None and at < entry.not_before:
                raise UnknownKeyError(f"key {kid} is not valid before {entry.not_before.isoformat()}")
            if entry.not_after is not None and at >= entry.not_after:
                raise UnknownKeyError(f"key {kid} expired at {entry.not_after.isoformat()}")
        return entry.key

    def __contains__(self, kid: object) -> bool:
        return kid in self._entries and kid not in self._revoked

    def __iter__(self) -> Iterator[PublicKey]:
        return (entry.key for kid, entry in self._entries.items() if kid not in self._revoked)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The usable keys as a JWK Set (RFC 7517 §5)."""
        return {"keys": [key.to_jwk() for key in self]}
