"""JWS (RFC 7515) compact serialization, detached (appendix F) for envelopes and attached for JWTs.

The protected header is always exactly {"alg", "kid", "typ"} in RFC 8785 form, so signing is
deterministic and a header has one spelling. Verification is strict: the key comes from the
keyring by kid, the header's alg must be that key's alg (so "none", HS256 with the public key as
secret, or an alg of another key type cannot confuse it), typ must be the expected one, and any
other header member, `crit` included, is refused. Every failure is a SignatureError.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from signing.canonical import canonicalize
from signing.errors import SignatureError
from signing.keys import ALGORITHMS, Keyring, PublicKey, SigningKey, b64url_decode, b64url_encode

_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})


def sign_detached(payload: bytes, key: SigningKey, *, typ: str) -> str:
    """`<protected>..<signature>` over `payload`, which travels separately."""
    protected = _protected_header(key.alg, key.kid, typ)
    signature = key.sign(_signing_input(protected, b64url_encode(payload)))
    return f"{protected}..{b64url_encode(signature)}"


def verify_detached(jws: str, payload: bytes, keyring: Keyring, *, typ: str, at: datetime | None = None
                    ) -> dict[str, str]:
    """The protected header, once `jws` is proven a valid signature over `payload`."""
    protected, embedded, signature = _segments(jws)
    if embedded:
        raise SignatureError("a detached JWS has an empty payload segment")
    header, key = _trusted_header(protected, keyring, typ, at)
    _verify(key, signature, _signing_input(protected, b64url_encode(payload)))
    return header


def sign_compact(claims: Mapping[str, Any], key: SigningKey, *, typ: str = "JWT") -> str:
    """A JWT (or any JWS with a JSON object payload): `<protected>.<claims>.<signature>`."""
    if not isinstance(claims, Mapping):
        raise SignatureError("JWT claims are a JSON object")
    protected = _protected_header(key.alg, key.kid, typ)
    body = b64url_encode(canonicalize(dict(claims)))
    signature = key.sign(_signing_input(protected, body))
    return f"{protected}.{body}.{b64url_encode(signature)}"


def verify_compact(token: str, keyring: Keyring, *, typ: str = "JWT", at: datetime | None = None
                   ) -> dict[str, Any]:
    """The claims, once the signature is verified. exp, nbf and aud are the caller's to check."""
    protected, body, signature = _segments(token)
    if not body:
        raise SignatureError("a compact JWS carries its payload")
    _, key = _trusted_header(protected, keyring, typ, at)
    _verify(key, signature, _signing_input(protected, body))
    try:
        claims = orjson.loads(b64url_decode(body))
    except orjson.JSONDecodeError as exc:
        raise SignatureError("JWT claims are not JSON") from exc
    if not isinstance(claims, dict):
        raise SignatureError("JWT claims are a JSON object")
    return claims


def _protected_header(alg: str, kid: str, typ: str) -> str:
    if not isinstance(typ, str) or not typ:
        raise SignatureError("typ is a non-empty string")
    return _encoded_header(alg, kid, typ)


@functools.lru_cache(maxsize=64)
def _encoded_header(alg: str, kid: str, typ: str) -> str:
    # Hot path: the same few (key, typ) pairs sign every record.
    return b64url_encode(canonicalize({"alg": alg, "kid": kid, "typ": typ}))


def _signing_input(protected: str, payload_segment: str) -> bytes:
    return f"{protected}.{payload_segment}".encode("ascii")


def _segments(jws: str) -> tuple[str, str, str]:
    if not isinstance(jws, str):
        raise SignatureError("a JWS is a string")
    parts = jws.split(".")
    if len(parts) != 3:
        raise SignatureError(f"a compact JWS has 3 segments, not {len(parts)}")
    return parts[0], parts[1], parts[2]


def _trusted_header(protected: str, keyring: Keyring, typ: str, at: datetime | None
                    ) -> tuple[dict[str, str], PublicKey]:
    raw = b64url_decode(protected)
    try:
        header = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SignatureError("the protected header is not JSON") from exc
    if not isinstance(header, dict):
        raise SignatureError("the protected header is a JSON object")
    if "crit" in header:
        raise SignatureError(f"critical header parameters are not supported: {header['crit']!r}")
    if header.keys() != _HEADER_MEMBERS:
        extra, missing = sorted(header.keys() - _HEADER_MEMBERS), sorted(_HEADER_MEMBERS - header.keys())
        raise SignatureError(f"the header holds exactly alg, kid, typ: extra {extra}, missing {missing}")
    if not all(isinstance(value, str) for value in header.values()):
        raise SignatureError("alg, kid and typ are strings")
    if header["typ"] != typ:
        raise SignatureError(f"typ {header['typ']!r} where {typ!r} was expected")
    if header["alg"] not in ALGORITHMS:
        raise SignatureError(f"alg {header['alg']!r} is not accepted")
    if canonicalize(header) != raw:
        # One spelling per header: no duplicate members, whitespace or reordering.
        raise SignatureError("the protected header is not in RFC 8785 canonical form")
    key = keyring.get(header["kid"], at)
    if header["alg"] != key.alg:
        raise SignatureError(f"alg {header['alg']!r} does not match key {key.kid} ({key.alg})")
    return header, key


def _verify(key: PublicKey, signature_segment: str, signing_input: bytes) -> None:
    key.verify(b64url_decode(signature_segment), signing_input)
