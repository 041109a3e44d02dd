"""Signed envelopes (DESIGN.md §4.2) and the log leaves made of them (§4.3).

`sig.jws` is a detached JWS whose payload is the RFC 8785 bytes of the envelope without `sig`, and
whose protected header is {"alg", "kid", "typ": ENVELOPE_TYP}. The typ keeps an envelope signature
from ever passing for a JWT, a checkpoint or a directory signed by the same key; "+jcs" says the
signed bytes are JCS. `sig.alg` and `sig.kid` repeat the header for readers and must agree with it.
A leaf is the JCS bytes of the whole envelope, `sig` included, so the log commits to the signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from signing.canonical import canonicalize
from signing.errors import CanonicalizationError, EnvelopeError, SignatureError
from signing.jws import sign_detached, verify_detached
from signing.keys import Keyring, SigningKey

ENVELOPE_TYP = "ggzy-envelope+jcs"
ENVELOPE_VERSION = 1

# Member → JSON type of a version-1 envelope without `sig`; nothing else may appear.
_MEMBERS: dict[str, type] = {
    "v": int, "id": str, "type": str, "schema": str, "jurisdiction": str, "origin": str,
    "source": dict, "issued_at": str, "payload": dict,
}
_SIG_MEMBERS = frozenset({"alg", "kid", "jws"})


def envelope_id(record_type: str, jurisdiction: str, business_key: Sequence[str], version: str) -> str:
    """Same business record and version ⇒ same id: 32 hex digits of SHA-256 over their JCS array."""
    if isinstance(business_key, str) or not all(isinstance(part, str) for part in business_key):
        raise CanonicalizationError("a business key is a sequence of strings")
    for name, value in (("record type", record_type), ("jurisdiction", jurisdiction), ("version", version)):
        if not isinstance(value, str):
            raise CanonicalizationError(f"the {name} is a string")
    material = canonicalize([record_type, jurisdiction, list(business_key), version])
    return hashlib.sha256(material).hexdigest()[:32]


def record_key(record_type: str, jurisdiction: str, business_key: Sequence[str]) -> str:
    """One business record across its versions: 32 hex of SHA-256 over JCS [type, jurisdiction, key]."""
    return hashlib.sha256(canonicalize([record_type, jurisdiction, list(business_key)])).hexdigest()[:32]


def seal(unsigned: Mapping[str, Any], key: SigningKey) -> tuple[dict[str, Any], bytes]:
    """Sign an envelope: (the envelope with `sig`, its leaf bytes). The envelope is the leaf, parsed."""
    leaf = seal_leaf(unsigned, key)
    return orjson.loads(leaf), leaf


def seal_leaf(unsigned: Mapping[str, Any], key: SigningKey, *, payload_bytes: bytes | None = None) -> bytes:
    """The leaf bytes of the signed envelope, for callers that keep their own copy of the fields.

    Every top-level member name is ASCII, so RFC 8785's member order is plain sorting and the
    canonical envelope is the sorted concatenation of each member's own canonical bytes: the payload
    is canonicalized once for both the signed bytes and the leaf (tests compare with the reference).
    `payload_bytes`, when given, is `canonicalize(unsigned["payload"])` already computed by the
    caller (for the payload digest), so it is not computed twice.
    """
    if not isinstance(unsigned, Mapping):
        raise EnvelopeError("an envelope is a JSON object")
    if "sig" in unsigned:
        raise EnvelopeError("the envelope is already signed")
    _check_shape(unsigned)
    members = {name: canonicalize(value) for name, value in unsigned.items()
               if name != "payload" or payload_bytes is None}
    if payload_bytes is not None:
        members["payload"] = payload_bytes
    jws = sign_detached(_join(members), key, typ=ENVELOPE_TYP)
    members["sig"] = canonicalize({"alg": key.alg, "kid": key.kid, "jws": jws})
    return _join(members)


def _join(members: Mapping[str, bytes]) -> bytes:
    return b"{" + b",".join(b'"%s":%s' % (name.encode(), members[name]) for name in sorted(members)) + b"}"


def open_envelope(envelope: Mapping[str, Any], keyring: Keyring, at: datetime | None = None
                  ) -> dict[str, Any]:
    """The envelope without `sig`, once its signature is verified; built from the verified bytes."""
    if not isinstance(envelope, Mapping):
        raise EnvelopeError("an envelope is a JSON object")
    sig = envelope.get("sig")
    if not (isinstance(sig, dict) and sig.keys() == _SIG_MEMBERS
            and all(isinstance(value, str) for value in sig.values())):
        raise SignatureError("sig must be an object of exactly the strings alg, kid, jws")
    signed = canonicalize({name: value for name, value in envelope.items() if name != "sig"})
    header = verify_detached(sig["jws"], signed, keyring, typ=ENVELOPE_TYP, at=at)
    if header["alg"] != sig["alg"] or header["kid"] != sig["kid"]:
        raise SignatureError("sig.alg and sig.kid disagree with the signed header")
    opened: dict[str, Any] = orjson.loads(signed)
    _check_shape(opened)
    return opened


def open_leaf(leaf: bytes, keyring: Keyring, at: datetime | None = None) -> dict[str, Any]:
    """`open_envelope` of a log leaf, which must be the canonical bytes of what it holds."""
    try:
        parsed = orjson.loads(leaf)
    except orjson.JSONDecodeError as exc:
        raise SignatureError("the leaf is not JSON") from exc
    if not isinstance(parsed, dict):
        raise EnvelopeError("an envelope is a JSON object")
    if canonicalize(parsed) != leaf:
        raise SignatureError("the leaf bytes are not in RFC 8785 canonical form")
    return open_envelope(parsed, keyring, at)


def digest(leaf: bytes) -> str:
    return "sha256:" + hashlib.sha256(leaf).hexdigest()


def _check_shape(body: Mapping[str, Any]) -> None:
    problems = [(f"/{name}", f"unexpected member {name!r}") for name in body if name not in _MEMBERS]
    for name, kind in _MEMBERS.items():
        value = body.get(name)
        # bool is an int to Python, not to JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append((f"/{name}", f"{name} must be a JSON {_JSON_NAMES[kind]}"))
    if not problems and body["v"] != ENVELOPE_VERSION:
        problems.append(("/v", f"unsupported envelope version {body['v']!r}"))
    if problems:
        raise EnvelopeError("not a version-1 envelope: " + "; ".join(message for _, message in problems),
                            details=[{"pointer": pointer, "code": EnvelopeError.code, "message": message}
                                     for pointer, message in problems])


_JSON_NAMES = {int: "integer", str: "string", dict: "object"}
