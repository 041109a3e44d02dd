"""Standard records in, signed envelopes in the log out; everything refused lands in quarantine.

Per item: check the shape, validate the payload against its schema (compiled validator), derive the
stable envelope id from (type, jurisdiction, business key, version), then sort it into accepted,
duplicate (same id, same payload), conflict (same id, other payload), stale (older than the version
held) or invalid. Accepted items are sealed and appended in one batch; the caller's transaction
commits leaves, checkpoint, heads and quarantine rows together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.log_writer import append_leaves
from gateway.store.repositories.log import LogRepository, NewLeaf
from gateway.store.repositories.quarantine import QuarantineRepository
from gateway.store.repositories.record import Head, RecordHeadRepository
from schemas.errors import GatewayError, RecordInvalidError, UnknownRecordTypeError
from schemas.identifiers import FORMAT_CHECKERS
from schemas.registry import business_key, get_record_type, schema_name, validate_payload
from signing.canonical import canonicalize
from signing.envelope import envelope_id, seal
from signing.merkle import leaf_hash

CHINA_TZ = timezone(timedelta(hours=8))
STANDARD_ADAPTER = "standard@1"
_is_region = FORMAT_CHECKERS["region-code"]


@dataclass(slots=True)
class Outcome:
    position: int
    status: str  # accepted | duplicate | stale | conflict | quarantined
    id: str | None = None
    index: int | None = None
    quarantine_id: str | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"position": self.position, "status": self.status}
        for name in ("id", "index", "quarantine_id"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.reasons:
            out["reasons"] = self.reasons
        return out


@dataclass(slots=True)
class _Candidate:
    position: int
    envelope: dict[str, Any]
    record_key: str
    version_utc: datetime
    payload_digest: bytes
    raw: Mapping[str, Any]


def ingest_standard(
    db: Session,
    *,
    items: Sequence[Any],
    node: NodeIdentity,
    source_system: str,
    adapter: str = STANDARD_ADAPTER,
    now: datetime,
) -> list[Outcome]:
    issued_at = now.astimezone(CHINA_TZ).isoformat(timespec="seconds")
    outcomes: list[Outcome] = []
    candidates: list[_Candidate] = []
    refused: list[tuple[Outcome, Any, str | None]] = []
    for position, item in enumerate(items):
        try:
            candidates.append(_candidate(position, item, node, source_system, adapter, issued_at))
        except GatewayError as exc:
            outcome = Outcome(position, "quarantined", reasons=_reasons(exc))
            refused.append((outcome, item, _type_of(item)))
            outcomes.append(outcome)

    log, heads_repo = LogRepository(db), RecordHeadRepository(db)
    # Writer lock first: the duplicate and version checks below then see every committed record,
    # and no other writer can slip the same record in between check and append.
    frontier = log.lock_state()
    existing = log.existing(c.envelope["id"] for c in candidates)
    heads = heads_repo.get_many(c.record_key for c in candidates)
    known_keys = set(heads)
    new_heads: dict[str, Head] = {}
    leaves: list[NewLeaf] = []
    accepted: list[Outcome] = []
    seen: dict[str, bytes] = {}
    for cand in candidates:
        eid = cand.envelope["id"]
        prior = existing.get(eid, seen.get(eid))
        if prior is not None:
            if prior == cand.payload_digest:
                outcomes.append(Outcome(cand.position, "duplicate", id=eid))
            else:
                outcome = Outcome(cand.position, "conflict", id=eid, reasons=[_reason(
                    "record.conflict", "an envelope with this id holds a different payload")])
                refused.append((outcome, cand.raw, cand.envelope["type"]))
                outcomes.append(outcome)
            continue
        head = new_heads.get(cand.record_key) or heads.get(cand.record_key)
        if head is not None and head.version_utc > cand.version_utc:
            outcome = Outcome(cand.position, "stale", id=eid, reasons=[_reason(
                "record.stale", f"version {cand.envelope['payload']['data_timestamp']} is older than "
                f"the version held ({head.version})")])
            refused.append((outcome, cand.raw, cand.envelope["type"]))
            outcomes.append(outcome)
            continue
        signed, leaf = seal(cand.envelope, node.key)
        seen[eid] = cand.payload_digest
        leaves.append(NewLeaf(eid, cand.record_key, signed["type"], signed["jurisdiction"], node.node_id,
                              signed["payload"]["data_timestamp"], cand.payload_digest, leaf_hash(leaf), leaf))
        new_heads[cand.record_key] = Head(eid, signed["payload"]["data_timestamp"], cand.version_utc)
        outcome = Outcome(cand.position, "accepted", id=eid)
        accepted.append(outcome)
        outcomes.append(outcome)

    for outcome, index in zip(accepted, append_leaves(db, node=node, frontier=frontier, leaves=leaves, now=now), strict=True):
        outcome.index = index
    heads_repo.upsert_many(new_heads, known_keys)
    _quarantine(db, refused, source=source_system, adapter=adapter, now=now)
    outcomes.sort(key=lambda o: o.position)
    return outcomes


def _candidate(position: int, item: Any, node: NodeIdentity, source_system: str, adapter: str,
               issued_at: str) -> _Candidate:
    if not isinstance(item, Mapping):
        raise RecordInvalidError("each record must be an object {type, jurisdiction, payload, source?}",
                                 details=[_reason("request.not_an_object", "expected a JSON object", "")])
    extra = set(item) - {"type", "jurisdiction", "payload", "source"}
    if extra:
        raise RecordInvalidError("unknown members in record", details=[
            _reason("request.unknown_member", f"unknown member {name!r}", f"/{name}") for name in sorted(extra)])
    record_type = item.get("type")
    if not isinstance(record_type, str):
        raise RecordInvalidError("record type missing", details=[_reason("request.missing", "type is required",
                                                                          "/type")])
    get_record_type(record_type)
    jurisdiction = item.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not _is_region(jurisdiction):
        raise RecordInvalidError("jurisdiction must be a GB/T 2260 region code", details=[
            _reason("identifier.region.format", "jurisdiction must be a 6-digit GB/T 2260 code", "/jurisdiction")])
    payload = item.get("payload")
    if not isinstance(payload, Mapping):
        raise RecordInvalidError("payload must be an object", details=[
            _reason("request.missing", "payload must be a JSON object", "/payload")])
    validate_payload(record_type, payload)
    source = item.get("source") or {}
    if not isinstance(source, Mapping) or not all(isinstance(v, str) for v in source.values()):
        raise RecordInvalidError("source must be an object of strings", details=[
            _reason("request.invalid_source", "source must map names to strings", "/source")])
    version = payload["data_timestamp"]
    key = business_key(record_type, payload)
    envelope = {
        "v": 1,
        "id": envelope_id(record_type, jurisdiction, key, version),
        "type": record_type,
        "schema": schema_name(record_type),
        "jurisdiction": jurisdiction,
        "origin": node.node_id,
        "source": {"system": source.get("system", source_system), "ref": source.get("ref", ""), "adapter": adapter},
        "issued_at": issued_at,
        "payload": dict(payload),
    }
    record_key = hashlib.sha256(canonicalize([record_type, jurisdiction, list(key)])).hexdigest()[:32]
    return _Candidate(position, envelope, record_key, datetime.fromisoformat(version),
                      hashlib.sha256(canonicalize(envelope["payload"])).digest(), item)


def _quarantine(db: Session, refused: list[tuple[Outcome, Any, str | None]], *, source: str, adapter: str,
                now: datetime) -> None:
    if not refused:
        return
    rows = [{"source": source, "adapter": adapter, "record_type": rtype, "raw": _raw_bytes(raw),
             "reasons": outcome.reasons} for outcome, raw, rtype in refused]
    ids = QuarantineRepository(db).add_many(rows, received_at=now)
    for (outcome, _, _), qid in zip(refused, ids, strict=True):
        outcome.quarantine_id = qid


def _raw_bytes(raw: Any) -> bytes:
    try:
        return orjson.dumps(raw)
    except TypeError:
        return repr(raw).encode()


def _type_of(item: Any) -> str | None:
    value = item.get("type") if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else None


def _reason(code: str, message: str, pointer: str = "") -> dict[str, Any]:
    return {"pointer": pointer, "code": code, "message": message}


def _reasons(exc: GatewayError) -> list[dict[str, Any]]:
    if exc.details:
        return exc.details
    if isinstance(exc, UnknownRecordTypeError):
        return [_reason(exc.code, exc.message, "/type")]
    return [_reason(exc.code, exc.message)]
