"""Checking one envelope a peer delivered, before anything is stored: bytes, origin, key, signature, payload.

The key must belong to the envelope's `origin` node in the held directory and be valid now: a
member's key signing for another member, a revoked key or an expired one is refused, each with its
own code, so the sender and the operator see why. The leaf is the envelope's canonical bytes as
received; bytes in any other form are refused rather than re-serialized, since the log must hold
what the origin signed, byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from schemas.errors import GatewayError
from schemas.identifiers import FORMAT_CHECKERS
from schemas.registry import business_key, schema_name, validate_payload
from signing.canonical import canonicalize
from signing.directory import Directory
from signing.envelope import open_envelope, record_key
from signing.errors import EnvelopeError, SignatureError, UnknownKeyError

MALFORMED = "exchange.malformed_envelope"
UNKNOWN_ORIGIN = "exchange.unknown_origin"
UNKNOWN_KEY = "exchange.unknown_key"
REVOKED_KEY = "exchange.revoked_key"
BAD_SIGNATURE = "exchange.bad_signature"
INVALID_PAYLOAD = "exchange.invalid_payload"
CONFLICTING_DUPLICATE = "exchange.conflicting_duplicate"
CONFLICTING_RECORD = "exchange.conflicting_record"
# Refusals that say the sender or the origin's key cannot be trusted: worth an operator's look.
TRUST_REFUSALS = frozenset({UNKNOWN_ORIGIN, UNKNOWN_KEY, REVOKED_KEY, BAD_SIGNATURE})
_is_region = FORMAT_CHECKERS["region-code"]


class EnvelopeRefused(Exception):
    """Why one envelope is refused; the batch goes on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, slots=True)
class CheckedEnvelope:
    envelope: dict[str, Any]  # verified, without sig
    record_key: str
    payload_digest: bytes


def peek_names(raw: bytes) -> tuple[str, str]:
    """(origin, envelope id) as the bytes claim them, for naming a refused envelope; "" when absent."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "", ""
    if not isinstance(parsed, dict):
        return "", ""
    origin, eid = parsed.get("origin"), parsed.get("id")
    return (origin if isinstance(origin, str) and len(origin) <= 12 else "",
            eid if isinstance(eid, str) and len(eid) <= 64 else "")


def check_envelope(raw: bytes, directory: Directory, *, now: datetime, parsed: dict[str, Any] | None = None
                   ) -> CheckedEnvelope:
    """The verified envelope, or EnvelopeRefused with the code the receipt will carry.

    `parsed`, when given, is the object whose canonical form `raw` was made from (a request body
    already parsed): neither parsed nor canonicalized a second time.
    """
    if parsed is None:
        parsed = _canonical_object(raw)
    origin = parsed.get("origin")
    if not isinstance(origin, str) or origin not in directory:
        raise EnvelopeRefused(UNKNOWN_ORIGIN, f"origin {origin!r} is not a node of the "
                                              f"{directory.federation} directory (serial {directory.serial})")
    envelope = _open(parsed, origin, directory, now)
    record_type, payload = envelope["type"], envelope["payload"]
    try:
        if envelope["schema"] != schema_name(record_type):
            raise EnvelopeRefused(INVALID_PAYLOAD, f"schema {envelope['schema']!r} is not the schema of "
                                                   f"{record_type} ({schema_name(record_type)})")
        if not _is_region(envelope["jurisdiction"]):
            raise EnvelopeRefused(INVALID_PAYLOAD, "jurisdiction is not a GB/T 2260 code")
        validate_payload(record_type, payload)
        key = business_key(record_type, payload)
    except GatewayError as exc:
        reasons = "; ".join(f"{d.get('pointer')}: {d.get('message')}" for d in exc.details[:5])
        raise EnvelopeRefused(INVALID_PAYLOAD, f"{exc.message}{': ' + reasons if reasons else ''}") from exc
    return CheckedEnvelope(envelope, record_key(record_type, envelope["jurisdiction"], key),
                           hashlib.sha256(canonicalize(payload)).digest())


def _canonical_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeRefused(MALFORMED, f"the envelope is not JSON: {exc.msg}") from exc
    if not isinstance(parsed, dict):
        raise EnvelopeRefused(MALFORMED, "an envelope is a JSON object")
    try:
        canonical = canonicalize(parsed) == raw
    except SignatureError:
        canonical = False
    if not canonical:
        raise EnvelopeRefused(MALFORMED, "the envelope bytes are not in RFC 8785 canonical form")
    return parsed


def _open(parsed: dict[str, Any], origin: str, directory: Directory, now: datetime) -> dict[str, Any]:
    sig = parsed.get("sig")
    kid = sig.get("kid") if isinstance(sig, dict) else None
    try:
        return open_envelope(parsed, directory.node_keyring(origin, now), at=now)
    except EnvelopeError as exc:
        raise EnvelopeRefused(MALFORMED, exc.message) from exc
    except UnknownKeyError as exc:
        if isinstance(kid, str) and directory.is_revoked(kid):
            raise EnvelopeRefused(REVOKED_KEY, f"key {kid} is revoked in directory serial "
                                               f"{directory.serial}") from exc
        raise EnvelopeRefused(UNKNOWN_KEY, f"key {kid!r} is not a key of node {origin} valid now: "
                                           f"{exc.message}") from exc
    except SignatureError as exc:
        raise EnvelopeRefused(BAD_SIGNATURE, f"the signature does not verify: {exc.message}") from exc
