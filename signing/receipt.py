"""Signed receipts: what a receiving node says it did with one envelope a peer delivered.

A receipt is the RFC 8785 object
`{"v":1, "kind":"receipt", "envelope_id", "origin", "sender", "receiver", "digest", "status",
"code"?, "log_index"?, "checkpoint"?, "received_at", "sig"}` signed by the receiver's node key with
the envelope scheme: `sig.jws` is a detached JWS over the JCS bytes of the receipt without `sig`,
protected header {"alg", "kid", "typ": RECEIPT_TYP}. The typ keeps a receipt from passing for an
envelope, a token or a directory signed by the same key.

`sign_receipt` returns the exact bytes that are stored and served, so a receipt sent again is the
same bytes. `digest` is "sha256:<hex>" of the envelope's canonical bytes as received, which lets the
sender prove which envelope the receiver took; `log_index` and `checkpoint` (the receiver's tree
after the append) let it ask for an inclusion proof later.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from signing.canonical import canonicalize
from signing.errors import SignatureError
from signing.jws import sign_detached, verify_detached
from signing.keys import Keyring, SigningKey

RECEIPT_TYP = "ggzy-receipt+jcs"
RECEIPT_VERSION = 1
RECEIPT_KIND = "receipt"
STATUSES = frozenset({"accepted", "duplicate", "refused"})

_REQUIRED: dict[str, type] = {
    "v": int, "kind": str, "envelope_id": str, "origin": str, "sender": str, "receiver": str,
    "digest": str, "status": str, "received_at": str,
}
_OPTIONAL: dict[str, type] = {"code": str, "log_index": int, "checkpoint": dict}
_SIG_MEMBERS = frozenset({"alg", "kid", "jws"})
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_MAX_TEXT = 200


class ReceiptError(SignatureError):
    """A receipt that does not have the shape above, or whose signature does not verify."""

    code = "receipt.invalid"


def sign_receipt(fields: Mapping[str, Any], key: SigningKey) -> bytes:
    """The canonical bytes of the signed receipt; `v` and `kind` are filled in when absent."""
    if not isinstance(fields, Mapping):
        raise ReceiptError("a receipt is a JSON object")
    if "sig" in fields:
        raise ReceiptError("the receipt is already signed")
    body = {"v": RECEIPT_VERSION, "kind": RECEIPT_KIND, **fields}
    check_receipt(body)
    jws = sign_detached(canonicalize(body), key, typ=RECEIPT_TYP)
    body["sig"] = {"alg": key.alg, "kid": key.kid, "jws": jws}
    return canonicalize(body)


def verify_receipt(data: bytes | Mapping[str, Any], keyring: Keyring, at: datetime | None = None
                   ) -> dict[str, Any]:
    """The receipt without `sig`, once its signature verifies with `keyring` (at `at`, if given).

    Bytes must be the canonical form `sign_receipt` made: a receipt has one spelling.
    """
    if isinstance(data, bytes | bytearray):
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ReceiptError("the receipt is not JSON") from exc
        if not isinstance(parsed, dict):
            raise ReceiptError("a receipt is a JSON object")
        if canonicalize(parsed) != bytes(data):
            raise ReceiptError("the receipt bytes are not in RFC 8785 canonical form")
        receipt: Mapping[str, Any] = parsed
    elif isinstance(data, Mapping):
        receipt = data
    else:
        raise ReceiptError("a receipt is JSON bytes or an object")
    sig = receipt.get("sig")
    if not (isinstance(sig, dict) and sig.keys() == _SIG_MEMBERS
            and all(isinstance(value, str) for value in sig.values())):
        raise ReceiptError("sig must be an object of exactly the strings alg, kid, jws")
    signed = canonicalize({name: value for name, value in receipt.items() if name != "sig"})
    try:
        header = verify_detached(sig["jws"], signed, keyring, typ=RECEIPT_TYP, at=at)
    except SignatureError as exc:
        raise ReceiptError(f"the receipt signature does not verify: {exc.message}") from exc
    if header["alg"] != sig["alg"] or header["kid"] != sig["kid"]:
        raise ReceiptError("sig.alg and sig.kid disagree with the signed header")
    opened: dict[str, Any] = orjson.loads(signed)
    check_receipt(opened)
    return opened


def check_receipt(body: Mapping[str, Any]) -> None:
    """Raise ReceiptError unless `body` (without `sig`) is a well-formed version-1 receipt."""
    problems = [f"unexpected member {name!r}" for name in body
                if name not in _REQUIRED and name not in _OPTIONAL]
    for name, kind in (*_REQUIRED.items(), *_OPTIONAL.items()):
        if name not in body and name in _OPTIONAL:
            continue
        value = body.get(name)
        # bool is an int to Python, not to JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{name} must be a JSON {_JSON_NAMES[kind]}")
    if problems:
        raise ReceiptError("not a version-1 receipt: " + "; ".join(problems))
    if body["v"] != RECEIPT_VERSION or body["kind"] != RECEIPT_KIND:
        raise ReceiptError(f"not a version-{RECEIPT_VERSION} {RECEIPT_KIND}")
    status = body["status"]
    if status not in STATUSES:
        raise ReceiptError(f"status {status!r} is not one of {sorted(STATUSES)}")
    if _DIGEST.fullmatch(body["digest"]) is None:
        raise ReceiptError("digest is 'sha256:' and 64 lowercase hex digits")
    for name in ("envelope_id", "origin", "sender", "receiver", "received_at"):
        if len(body[name]) > _MAX_TEXT:
            raise ReceiptError(f"{name} is at most {_MAX_TEXT} characters")
    for name in ("sender", "receiver", "received_at"):
        if not body[name]:
            raise ReceiptError(f"{name} is not empty")
    _check_time(body["received_at"])
    if status == "refused":
        if not isinstance(body.get("code"), str) or _CODE.fullmatch(body["code"]) is None:
            raise ReceiptError("a refusal names its dotted code")
        if "log_index" in body or "checkpoint" in body:
            raise ReceiptError("a refused envelope has no log index or checkpoint")
        return
    if "code" in body:
        raise ReceiptError(f"a receipt of status {status!r} carries no refusal code")
    if not body["envelope_id"] or not body["origin"]:
        raise ReceiptError("a taken envelope is named by its id and origin")
    if "log_index" not in body or body["log_index"] < 0:
        raise ReceiptError("a taken envelope has its log index (≥ 0)")
    if "checkpoint" in body:
        _check_checkpoint(body["checkpoint"], body["log_index"])


def _check_checkpoint(checkpoint: Mapping[str, Any], log_index: int) -> None:
    if checkpoint.keys() != {"size", "root"}:
        raise ReceiptError("checkpoint holds exactly size and root")
    size, root = checkpoint["size"], checkpoint["root"]
    if type(size) is not int or size <= log_index:
        raise ReceiptError("checkpoint size is an integer above the log index")
    try:
        raw = base64.b64decode(root, validate=True) if isinstance(root, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        raise ReceiptError("checkpoint root is the base64 of a 32-byte hash")


def _check_time(text: str) -> None:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ReceiptError("received_at is an RFC 3339 time") from exc
    if instant.utcoffset() is None or "T" not in text:
        raise ReceiptError("received_at is an RFC 3339 time with its offset")


_JSON_NAMES = {int: "integer", str: "string", dict: "object"}
