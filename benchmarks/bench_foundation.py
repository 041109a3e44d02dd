"""Foundation throughput: canonicalize, sign, verify, validate, ingest-to-log, each beside a naive baseline.

Run: .venv/bin/python -m benchmarks.bench_foundation [--records N]
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import orjson
import rfc8785
from cryptography.hazmat.primitives import serialization

from benchmarks.harness import Row, pin_to_one_core, print_table, rate
from gateway.cli.setup import tune_gc
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.migrate import upgrade_head
from gateway.store.models import LogLeaf
from schemas.identifiers import FORMAT_CHECKERS
from schemas.registry import get_record_type, validate_payload
from signing.canonical import canonicalize
from signing.envelope import open_leaf, seal
from signing.keys import Keyring, SigningKey
from signing.merkle import leaf_hash

EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "schemas" / "examples" / "tender.award.json"


def records(n: int) -> list[dict[str, Any]]:
    base = json.loads(EXAMPLE.read_text("utf-8"))
    out = []
    for i in range(n):
        payload = copy.deepcopy(base)
        payload["bid_section_code"] = f"{payload['tender_project_code']}{i:06d}"
        out.append({"type": "tender.award", "jurisdiction": "530621", "payload": payload})
    return out


def envelopes(items: list[dict[str, Any]], node: str) -> list[dict[str, Any]]:
    return [
        {
            "v": 1,
            "id": f"{i:032x}",
            "type": it["type"],
            "schema": "tender.award/1",
            "jurisdiction": "530621",
            "origin": node,
            "source": {"system": "bench", "ref": "", "adapter": "standard@1"},
            "issued_at": "2026-11-22T10:00:00+08:00",
            "payload": it["payload"],
        }
        for i, it in enumerate(items)
    ]


def fresh_db(tmp: Path, name: str) -> Any:
    engine = make_engine(f"sqlite:///{tmp / name}")
    upgrade_head(engine)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    n = args.records
    pinned = pin_to_one_core()
    tune_gc()  # as `ggzy serve` and `ggzy ingest` run
    key = SigningKey.generate()
    node = NodeIdentity("530600", "bench", "", key, Keyring([key.public]))
    items = records(n)
    unsigned = envelopes(items, node.node_id)
    rows: list[Row] = []

    rows.append(
        Row(
            "canonicalize (RFC 8785)",
            rate(lambda: [canonicalize(e) for e in unsigned], n),
            "rfc8785.dumps",
            rate(lambda: [rfc8785.dumps(e) for e in unsigned], n, repeat=1),
            "≥ 8x",
        )
    )

    sealed = [seal(e, key) for e in unsigned]
    pem = key.to_pem(None)
    private = serialization.load_pem_private_key(pem, None)
    public = private.public_key()  # type: ignore[union-attr]
    rows.append(
        Row(
            "sign (seal: JCS + Ed25519 JWS)",
            rate(lambda: [seal(e, key) for e in unsigned], n),
            "pyjwt encode EdDSA",
            rate(
                lambda: [
                    jwt.encode(e, private, algorithm="EdDSA")  # type: ignore[arg-type]
                    for e in unsigned
                ],
                n,
            ),
        )
    )
    tokens = [jwt.encode(e, private, algorithm="EdDSA") for e in unsigned]  # type: ignore[arg-type]
    keyring = Keyring([key.public])
    rows.append(
        Row(
            "verify (open_leaf)",
            rate(lambda: [open_leaf(leaf, keyring) for _, leaf in sealed], n),
            "pyjwt decode EdDSA",
            rate(
                lambda: [
                    jwt.decode(t, public, algorithms=["EdDSA"])  # type: ignore[arg-type]
                    for t in tokens
                ],
                n,
            ),
        )
    )

    schema = get_record_type("tender.award").json_schema
    checker = jsonschema.FormatChecker()
    for name, fn in FORMAT_CHECKERS.items():
        checker.checks(name)(fn)
    reference = jsonschema.Draft202012Validator(schema, format_checker=checker)
    payloads = [it["payload"] for it in items]
    rows.append(
        Row(
            "validate (compiled, jsonschema-rs)",
            rate(lambda: [validate_payload("tender.award", p) for p in payloads], n),
            "jsonschema Draft202012",
            rate(lambda: [reference.validate(p) for p in payloads], n, repeat=1),
        )
    )

    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        body = orjson.dumps(items)
        # Each run appends to a fresh log; making the database (migrations) is not part of the rate.
        ready = [fresh_db(tmp, f"db{i}.db") for i in range(4)]

        def ours() -> None:
            engine = ready.pop()
            factory = make_session_factory(engine)
            started = datetime.now(UTC)
            with factory() as db, db.begin():
                outcomes = ingest_standard(
                    db, items=orjson.loads(body), node=node, source_system="bench", now=started
                )
            assert sum(o.status == "accepted" for o in outcomes) == n
            engine.dispose()

        def naive() -> None:
            engine = ready.pop()
            factory = make_session_factory(engine)
            with factory() as db, db.begin():
                rows_ = []
                for i, item in enumerate(json.loads(body)):
                    reference.validate(item["payload"])
                    env = unsigned[i]
                    signature = key.sign(rfc8785.dumps(env))
                    leaf = rfc8785.dumps(
                        {**env, "sig": {"alg": "EdDSA", "kid": key.kid, "jws": signature.hex()}}
                    )
                    rows_.append(
                        LogLeaf(
                            idx=i,
                            envelope_id=env["id"],
                            record_key=env["id"],
                            record_type=env["type"],
                            jurisdiction=env["jurisdiction"],
                            origin="530600",
                            version="v",
                            payload_digest=b"",
                            leaf_hash=leaf_hash(leaf),
                            leaf=leaf,
                            received_at=datetime.now(UTC),
                        )
                    )
                db.add_all(rows_)
            engine.dispose()

        rows.append(
            Row(
                "ingest-to-log (SQLite, signed)",
                rate(ours, n),
                "jsonschema+rfc8785+ORM add_all",
                rate(naive, n, repeat=1),
                "≥ 8,000/s",
            )
        )

    print_table(f"Foundation benchmark: {n} tender.award records, {pinned}, node GC settings", rows)


if __name__ == "__main__":
    main()
