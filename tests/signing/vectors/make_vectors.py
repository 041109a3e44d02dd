"""Writes keys.json, jws.json and envelopes.json beside this file: `python make_vectors.py`.

The files are committed; the tests only read them. Ed25519 signatures are deterministic, so those
vectors come out the same on every run (a test re-signs them to prove it); SM2 signatures are
randomized, so rerunning changes the SM2 vectors but not their verdicts. Negative cases are made by
hand-editing signed tokens, including tokens that no code path of ours would ever produce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from signing.canonical import canonicalize
from signing.envelope import ENVELOPE_TYP, seal
from signing.jws import sign_compact, sign_detached
from signing.keys import ALG_EDDSA, ALG_SM2, SigningKey, b64url_decode, b64url_encode

HERE = Path(__file__).parent
SECRETS = {
    "ed25519-a": (ALG_EDDSA, b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")),  # RFC 8037 A.1
    "ed25519-b": (ALG_EDDSA, hashlib.sha256(b"ggzy-gateway test key ed25519-b").digest()),
    "ed25519-c": (ALG_EDDSA, hashlib.sha256(b"ggzy-gateway test key ed25519-c").digest()),
    # GB/T 32918.2-2016 example key on the recommended curve.
    "sm2-a": (ALG_SM2, bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")),
    "sm2-b": (ALG_SM2, hashlib.sha256(b"ggzy-gateway test key sm2-b").digest()),
}
KEYS = {name: SigningKey.from_secret(alg, secret) for name, (alg, secret) in SECRETS.items()}
TRUSTED = [{"key": "ed25519-a"}, {"key": "sm2-a"}]
PAYLOAD = canonicalize({"note": "招标公告 №1", "amount": "1000.00"}).decode()
RECORD: dict[str, Any] = {
    "v": 1, "id": "0c6f0a1e5d3b4c2a9e8f7d6c5b4a3928", "type": "tender.notice", "schema": "tender.notice/1",
    "jurisdiction": "530621", "origin": "530600",
    "source": {"system": "县级交易中心", "ref": "notice/2026/17", "adapter": "county_csv@1.0.0"},
    "issued_at": "2026-11-22T10:00:00+08:00",
    "payload": {"title": "鲁甸县某道路工程招标公告", "budget": "3200000.00", "sections": 2},
}


def header_segment(header: dict[str, Any]) -> str:
    return b64url_encode(canonicalize(header))


def resign(name: str, header: dict[str, Any], payload_segment: str, detached: bool) -> str:
    """A token over `header` signed by key `name`, whatever the header says."""
    protected = header_segment(header)
    signature = KEYS[name].sign(f"{protected}.{payload_segment}".encode())
    return f"{protected}.{'' if detached else payload_segment}.{b64url_encode(signature)}"


def jws_cases() -> list[dict[str, Any]]:
    data = PAYLOAD.encode()
    payload_segment = b64url_encode(data)
    good = sign_detached(data, KEYS["ed25519-a"], typ=ENVELOPE_TYP)
    protected, _, signature = good.split(".")
    ed_kid = KEYS["ed25519-a"].kid
    header = {"alg": "EdDSA", "kid": ed_kid, "typ": ENVELOPE_TYP}
    hs256_protected = header_segment({**header, "alg": "HS256"})
    hs256 = hmac.new(KEYS["ed25519-a"].public.raw, f"{hs256_protected}.{payload_segment}".encode(),
                     hashlib.sha256).digest()
    padded = base64.urlsafe_b64encode(b64url_decode(signature)).decode()
    truncated = b64url_encode(b64url_decode(signature)[:-1])
    sm2_header = {"alg": "SM2", "kid": KEYS["sm2-a"].kid, "typ": ENVELOPE_TYP}
    not_yet = [{"key": "ed25519-a", "not_before": "2026-06-01T00:00:00+08:00"}]
    expired = [{"key": "ed25519-a", "not_after": "2026-06-01T00:00:00+08:00"}]

    def detached(name: str, token: str, expect: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"name": name, "form": "detached", "typ": ENVELOPE_TYP, "token": token, "payload": PAYLOAD,
                "keyring": TRUSTED, "revoked": [], "at": None, "expect": expect, **extra}

    def edited(name: str, changes: dict[str, Any]) -> str:
        return resign(name, {**header, **changes}, payload_segment, detached=True)

    invalid, unknown = {"error": "signature.invalid"}, {"error": "signature.unknown_key"}
    claims = {"sub": "source:county-01", "aud": "530600", "scope": ["records:write"], "exp": 1795000000}
    jwt = sign_compact(claims, KEYS["ed25519-a"])
    jwt_protected, jwt_body, jwt_signature = jwt.split(".")
    none_protected = header_segment({"alg": "none", "kid": ed_kid, "typ": "JWT"})
    forged_body = b64url_encode(canonicalize({**claims, "scope": ["admin"]}))

    def compact(name: str, token: str, expect: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "form": "compact", "typ": "JWT", "token": token, "keyring": TRUSTED,
                "revoked": [], "at": None, "expect": expect}

    return [
        detached("ed25519 detached", good, {"header": header}),
        detached("sm2 detached", sign_detached(data, KEYS["sm2-a"], typ=ENVELOPE_TYP),
                 {"header": sm2_header}),
        detached("tampered payload", good, invalid, payload=PAYLOAD.replace("1000.00", "9000.00")),
        detached("signed by another key under this kid", resign("ed25519-b", header, payload_segment, True),
                 invalid),
        detached("unknown kid", sign_detached(data, KEYS["ed25519-c"], typ=ENVELOPE_TYP), unknown),
        detached("revoked kid", good, unknown, revoked=[ed_kid]),
        detached("key not yet valid", good, unknown, at="2026-01-01T00:00:00+08:00",
                 keyring=not_yet),
        detached("key expired", good, unknown, at="2026-06-01T00:00:00+08:00", keyring=expired),
        detached("wrong typ", sign_detached(data, KEYS["ed25519-a"], typ="JWT"), invalid),
        detached("alg none", f"{header_segment({**header, 'alg': 'none'})}..", invalid),
        detached("alg HS256 keyed with the public key", f"{hs256_protected}..{b64url_encode(hs256)}",
                 invalid),
        detached("alg SM2 on an Ed25519 key", edited("ed25519-a", {"alg": "SM2"}), invalid),
        detached("crit header", edited("ed25519-a", {"crit": ["exp"], "exp": 1}), invalid),
        detached("b64 false header", edited("ed25519-a", {"b64": False, "crit": ["b64"]}), invalid),
        detached("header not canonical", f"{b64url_encode(json.dumps(header).encode())}..{signature}",
                 invalid),
        detached("truncated signature", f"{protected}..{truncated}", invalid),
        detached("padded base64", f"{protected}..{padded}", invalid),
        detached("payload segment present", f"{protected}.{payload_segment}.{signature}", invalid),
        detached("two segments", f"{protected}.{signature}", invalid),
        compact("ed25519 jwt", jwt, {"claims": claims}),
        compact("jwt with alg none", f"{none_protected}.{jwt_body}.", invalid),
        compact("jwt with tampered claims", f"{jwt_protected}.{forged_body}.{jwt_signature}", invalid),
    ]


def envelope_cases() -> list[dict[str, Any]]:
    envelope, leaf = seal(RECORD, KEYS["ed25519-a"])
    _, sm2_leaf = seal(RECORD, KEYS["sm2-a"])
    _, unknown_leaf = seal(RECORD, KEYS["ed25519-c"])
    text = leaf.decode()
    other_kid = {**envelope, "sig": {**envelope["sig"], "kid": KEYS["sm2-a"].kid}}
    v2 = {**RECORD, "v": 2}
    v2_jws = sign_detached(canonicalize(v2), KEYS["ed25519-a"], typ=ENVELOPE_TYP)
    v2_leaf = canonicalize({**v2, "sig": {"alg": "EdDSA", "kid": KEYS["ed25519-a"].kid, "jws": v2_jws}})
    tampered_id = text.replace(RECORD["id"], RECORD["id"][:-1] + "9")

    def case(name: str, leaf_text: str, expect: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "leaf": leaf_text, "keyring": TRUSTED, "revoked": [], "at": None,
                "expect": expect}

    invalid = {"error": "signature.invalid"}
    return [
        case("ed25519 envelope", text, {"id": RECORD["id"]}),
        case("sm2 envelope", sm2_leaf.decode(), {"id": RECORD["id"]}),
        case("tampered payload", text.replace("3200000.00", "3900000.00"), invalid),
        case("tampered id", tampered_id, invalid),
        case("leaf not canonical", json.dumps(envelope, ensure_ascii=False, sort_keys=True), invalid),
        case("sig.kid disagrees with the header", canonicalize(other_kid).decode(), invalid),
        case("unknown kid", unknown_leaf.decode(), {"error": "signature.unknown_key"}),
        case("validly signed version 2", v2_leaf.decode(), {"error": "envelope.invalid"}),
        case("not JSON", text[:-1], invalid),
    ]


def main() -> None:
    keys = {name: {"alg": alg, "secret": b64url_encode(secret), "kid": KEYS[name].kid,
                   "jwk": KEYS[name].public.to_jwk()} for name, (alg, secret) in SECRETS.items()}
    files = {"keys.json": keys, "jws.json": jws_cases(), "envelopes.json": envelope_cases()}
    for filename, content in files.items():
        text = json.dumps(content, ensure_ascii=False, indent=1) + "\n"
        (HERE / filename).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
