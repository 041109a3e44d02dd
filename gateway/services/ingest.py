"""Standard records in, signed envelopes in the log out; everything refused lands in quarantine.

Per item: check the shape, validate the payload against its schema (compiled validator), derive the
stable envelope id from (type, jurisdiction, business key, version), then sort it into accepted,
duplicate (same id, same payload), conflict (same id, other payload), stale (older than the version
held) or invalid. Accepted items are sealed and appended in one batch; the caller's transaction
commits leaves, checkpoint, heads and quarantine rows together.

Records made by a source adapter come with their origins (the source bytes, item ref, file name):
an accepted record keeps them in `source_raw`, a refused one is quarantined with its own source
bytes rather than the normalized JSON. An accepted record closes the open quarantine items of the
same source about the same business record (a fixed re-submission), when those items could be
keyed: items the adapter itself refused have no standard record to key, and are closed by
reprocessing instead.
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
from gateway.services.screening import after_append
from gateway.store.repositories.log import LogRepository, NewLeaf
from gateway.store.repositories.record import Head, RecordHeadRepository
from gateway.store.repositories.source import (
    ItemOrigin,
    QuarantineOriginRepository,
    Refusal,
    SourceRawRepository,
)
from schemas.errors import GatewayError, RecordInvalidError, UnknownRecordTypeError
from schemas.identifiers import FORMAT_CHECKERS
from schemas.registry import business_key, get_record_type, schema_name, validate_payload
from signing.canonical import canonicalize
from signing.envelope import envelope_id, record_key, seal_leaf
from signing.merkle import leaf_hash
from sync.publish import current_directory, enqueue_deliveries, routing_rules

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
    new_version: bool = False  # accepted, and an earlier version of the same business record was held
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"position": self.position, "status": self.status}
        for name in ("id", "index", "quarantine_id"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.new_version:
            out["new_version"] = True
        if self.reasons:
            out["reasons"] = self.reasons
        if self.warnings:
            out["warnings"] = self.warnings
        return out


@dataclass(slots=True)
class _Candidate:
    position: int
    envelope: dict[str, Any]
    record_key: str
    version_utc: datetime
    payload_digest: bytes
    raw: Mapping[str, Any]
    payload_bytes: bytes  # canonical, signed as they are


def ingest_standard(
    db: Session,
    *,
    items: Sequence[Any],
    node: NodeIdentity,
    source_system: str,
    adapter: str = STANDARD_ADAPTER,
    now: datetime,
    origins: Sequence[ItemOrigin] | None = None,
    warnings: Sequence[Sequence[Mapping[str, Any]]] | None = None,
) -> list[Outcome]:
    """`origins` and `warnings`, when given, hold one entry per item (an adapter's view of it)."""
    if origins is not None and len(origins) != len(items):
        raise ValueError("origins must hold one entry per item")
    if warnings is not None and len(warnings) != len(items):
        raise ValueError("warnings must hold one entry per item")
    issued_at = now.astimezone(CHINA_TZ).isoformat(timespec="seconds")
    outcomes: list[Outcome] = []
    candidates: list[_Candidate] = []
    refused: list[tuple[Outcome, Any, str | None, str | None]] = []
    for position, item in enumerate(items):
        try:
            candidates.append(_candidate(position, item, node, source_system, adapter, issued_at))
        except GatewayError as exc:
            outcome = Outcome(position, "quarantined", reasons=_reasons(exc))
            refused.append((outcome, item, _type_of(item), _record_key_of(item)))
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
    rules = routing_rules()
    parties: dict[str, tuple[str, ...]] = {}  # envelope id -> regions of the parties it goes straight to
    for cand in candidates:
        eid = cand.envelope["id"]
        prior = existing.get(eid, seen.get(eid))
        if prior is not None:
            if prior == cand.payload_digest:
                outcomes.append(Outcome(cand.position, "duplicate", id=eid))
            else:
                outcome = Outcome(cand.position, "conflict", id=eid, reasons=[_reason(
                    "record.conflict", "an envelope with this id holds a different payload")])
                refused.append((outcome, cand.raw, cand.envelope["type"], cand.record_key))
                outcomes.append(outcome)
            continue
        head = new_heads.get(cand.record_key) or heads.get(cand.record_key)
        if head is not None and head.version_utc > cand.version_utc:
            outcome = Outcome(cand.position, "stale", id=eid, reasons=[_reason(
                "record.stale", f"version {cand.envelope['payload']['data_timestamp']} is older than "
                f"the version held ({head.version})")])
            refused.append((outcome, cand.raw, cand.envelope["type"], cand.record_key))
            outcomes.append(outcome)
            continue
        leaf = seal_leaf(cand.envelope, node.key, payload_bytes=cand.payload_bytes)
        if direct := rules.parties_of(cand.envelope):
            parties[eid] = direct
        version = cand.envelope["payload"]["data_timestamp"]
        seen[eid] = cand.payload_digest
        leaves.append(NewLeaf(eid, cand.record_key, cand.envelope["type"], cand.envelope["jurisdiction"],
                              node.node_id, version, cand.payload_digest, leaf_hash(leaf), leaf))
        new_heads[cand.record_key] = Head(eid, version, cand.version_utc)
        outcome = Outcome(cand.position, "accepted", id=eid, new_version=head is not None)
        accepted.append(outcome)
        outcomes.append(outcome)

    indexes = append_leaves(db, node=node, frontier=frontier, leaves=leaves, now=now)
    for outcome, index in zip(accepted, indexes, strict=True):
        outcome.index = index
    # Exchange (sync/publish.py): a delivery per destination of each envelope, in this transaction.
    if leaves:
        enqueue_deliveries(db, node=node, directory=current_directory(now), now=now, envelopes=[
            (leaf.envelope_id, leaf.jurisdiction, leaf.record_type, leaf.origin, None,
             parties.get(leaf.envelope_id, ())) for leaf in leaves])
    # Credit index upkeep and party screening (gateway/services/screening.py); hits are logged as alerts.
    after_append(db, leaves=leaves, node=node, now=now, ingest=ingest_standard,
                 envelopes={cand.envelope["id"]: cand.envelope for cand in candidates})
    heads_repo.upsert_many(new_heads, known_keys)
    if origins is not None and accepted:
        SourceRawRepository(db).add_many([(o.id or "", adapter, origins[o.position]) for o in accepted],
                                         received_at=now)
    if new_heads:
        QuarantineOriginRepository(db).resolve_by_record_keys(
            source=source_system, accepted={key: head.envelope_id for key, head in new_heads.items()})
    _quarantine(db, refused, origins, source=source_system, adapter=adapter, now=now)
    outcomes.sort(key=lambda o: o.position)
    if warnings is not None:
        for outcome in outcomes:
            outcome.warnings = [dict(w) for w in warnings[outcome.position]]
    return outcomes


def _candidate(position: int, item: Any, node: NodeIdentity, source_system: str, adapter: str,
               issued_at: str) -> _Candidate:
    if not isinstance(item, Mapping):
        raise RecordInvalidError("each record must be an object {type, jurisdiction, payload, source?}",
                                 details=[_reason("request.not_an_object", "expected a JSON object", "")])
    extra = set(item) - {"type", "jurisdiction", "payload", "source"}
    if extra:
        raise RecordInvalidError("unknown members in record", details=[
            _reason("request.unknown_member", f"unknown member {name!r}", f"/{name}")
            for name in sorted(extra)])
    record_type = item.get("type")
    if not isinstance(record_type, str):
        raise RecordInvalidError("record type missing",
                                 details=[_reason("request.missing", "type is required", "/type")])
    get_record_type(record_type)
    jurisdiction = item.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not _is_region(jurisdiction):
        raise RecordInvalidError("jurisdiction must be a GB/T 2260 region code", details=[
            _reason("identifier.region.format", "jurisdiction must be a 6-digit GB/T 2260 code",
                    "/jurisdiction")])
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
    key_of_record = record_key(record_type, jurisdiction, key)
    envelope = {
        "v": 1,
        "id": envelope_id(record_type, jurisdiction, key, version),
        "type": record_type,
        "schema": schema_name(record_type),
        "jurisdiction": jurisdiction,
        "origin": node.node_id,
        "source": {"system": source.get("system", source_system), "ref": source.get("ref", ""),
                   "adapter": adapter},
        "issued_at": issued_at,
        "payload": dict(payload),
    }
    payload_bytes = canonicalize(envelope["payload"])
    return _Candidate(position, envelope, key_of_record, datetime.fromisoformat(version),
                      hashlib.sha256(payload_bytes).digest(), item, payload_bytes)


def _record_key_of(item: Any) -> str | None:
    """The business record a refused item is about, when its key fields can be read."""
    if not isinstance(item, Mapping):
        return None
    record_type, jurisdiction, payload = item.get("type"), item.get("jurisdiction"), item.get("payload")
    if not (isinstance(record_type, str) and isinstance(jurisdiction, str) and isinstance(payload, Mapping)):
        return None
    try:
        return record_key(record_type, jurisdiction, business_key(record_type, payload))
    except GatewayError:
        return None


def _quarantine(db: Session, refused: list[tuple[Outcome, Any, str | None, str | None]],
                origins: Sequence[ItemOrigin] | None, *, source: str, adapter: str, now: datetime) -> None:
    if not refused:
        return
    rows = [
        Refusal(source, adapter, rtype, outcome.reasons,
                origins[outcome.position] if origins is not None
                else ItemOrigin(_raw_bytes(raw), _ref_of(raw)),
                record_key)
        for outcome, raw, rtype, record_key in refused
    ]
    ids = QuarantineOriginRepository(db).add_many(rows, received_at=now)
    for (outcome, _, _, _), qid in zip(refused, ids, strict=True):
        outcome.quarantine_id = qid


def _ref_of(item: Any) -> str:
    source = item.get("source") if isinstance(item, Mapping) else None
    ref = source.get("ref") if isinstance(source, Mapping) else None
    return ref if isinstance(ref, str) else ""


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
