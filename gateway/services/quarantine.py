"""Operating the quarantine: list, show, and reprocess an item with the current adapter of its source.

Reprocessing reads the stored source bytes again with the adapter now registered for the source
(a fixed adapter has a new version):

- a whole upload that was refused is ingested again, like a new upload: when it can now be read,
  the item is resolved and its rows are taken or quarantined one by one;
- an item is found again in its bytes (by its ref when the bytes are the whole upload) and
  normalized; when the bytes cannot be split on their own (a CSV line without its header, a JSON
  row), the adapter's parsed item kept at refusal time is normalized instead. Its records are
  ingested all or nothing: if every one is accepted (or already held) the item is resolved with
  the first envelope id, otherwise nothing is kept and the item stays open with the new reasons.

Every attempt is counted. A fixed record re-submitted through ingest also resolves open items of
the same source about the same business record (see gateway.services.ingest).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from adapters.base import RawItem, RejectedItem, SourceAdapter, reason
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.services.source_ingest import REFUSED_STATUSES, adapter_label, ingest_upload
from gateway.store.models import QuarantineOrigin
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.source import ItemOrigin, QuarantineEntry, QuarantineOriginRepository, Refusal
from schemas.errors import AdapterError, GatewayError


class QuarantineNotFoundError(GatewayError):
    code = "quarantine.not_found"
    status = 404


class QuarantineNotOpenError(GatewayError):
    code = "quarantine.not_open"
    status = 409


class RawIncompleteError(GatewayError):
    """Only a prefix was kept (the body was refused at the door for its size): nothing to re-read."""

    code = "quarantine.raw_incomplete"
    status = 409


class NoAdapterError(GatewayError):
    code = "quarantine.no_adapter"
    status = 409


def quarantine_refused_body(session_factory: Callable[[], Session], body: bytes, *, source: str, adapter: str,
                            filename: str, content_type: str, reason_code: str, message: str, raw_size: int,
                            now: datetime) -> str:
    """Keep (the first bytes of) a body refused before any parsing, in its own transaction: the request
    fails, the record of what came stays."""
    origin = ItemOrigin(body, filename or "upload", filename, content_type, "upload")
    refusal = Refusal(source, adapter, None, [reason(reason_code, message)], origin)
    with session_factory() as db, db.begin():
        LogRepository(db).lock_state()
        (qid,) = QuarantineOriginRepository(db).add_many([refusal], received_at=now, raw_size=raw_size)
    return qid


def list_quarantine(db: Session, *, status: str | None, source: str | None, adapter: str | None, limit: int,
                    offset: int = 0) -> list[dict[str, Any]]:
    entries = QuarantineOriginRepository(db).list_entries(status=status, source=source, adapter=adapter,
                                                          limit=limit, offset=offset)
    return [_view(entry) for entry in entries]


def show_quarantined(db: Session, *, item_id: str) -> dict[str, Any]:
    repo = QuarantineOriginRepository(db)
    entry = _get(repo, item_id)
    raw = repo.full_raw(entry)
    view = _view(entry)
    view["raw_complete"] = raw is not None
    view["raw_base64"] = base64.b64encode(raw if raw is not None else entry.item.raw).decode("ascii")
    view["item"] = entry.origin.item if entry.origin else None
    return view


def reprocess_quarantined(db: Session, *, item_id: str, registry: Mapping[str, SourceAdapter],
                          node: NodeIdentity, now: datetime) -> dict[str, Any]:
    repo = QuarantineOriginRepository(db)
    LogRepository(db).lock_state()  # one writer: the status read below cannot go stale before the update
    entry = _get(repo, item_id)
    if entry.item.status != "open":
        raise QuarantineNotOpenError(f"quarantine item {item_id} is {entry.item.status}, not open")
    attempt = (entry.origin.attempts if entry.origin else 0) + 1
    raw = repo.full_raw(entry)
    if raw is None:
        kept = f"only the first {len(entry.item.raw)} of {entry.item.raw_size} bytes were kept"
        raise RawIncompleteError(kept)
    name = entry.item.adapter.partition("@")[0]
    adapter = registry.get(name)
    if adapter is None:
        raise NoAdapterError(f"no adapter is registered for source {name!r}")
    label = adapter_label(adapter)
    results: list[dict[str, Any]] = []
    if entry.origin is None or entry.scope == "upload":
        origin = entry.origin
        try:
            report = ingest_upload(db, adapter=adapter, data=raw, filename=origin.filename if origin else "",
                                   content_type=origin.content_type if origin else "", node=node,
                                   source_system=entry.item.source, now=now)
        except AdapterError as exc:
            return _failed(repo, entry, label, exc.details or [reason(exc.code, exc.message)], attempt, now)
        results = report.results
    else:
        items, reasons = _find_items(adapter, entry.origin, raw)
        if items:
            results, reasons = _ingest_items(db, adapter, entry, items, label, node, now)
        if reasons:
            return _failed(repo, entry, label, reasons, attempt, now)
    taken = next((r["id"] for r in results if r["status"] in ("accepted", "duplicate")), None)
    repo.mark_attempt(entry, adapter=label, reasons=[], resolved=True, resolved_envelope_id=taken,
                      attempted_at=now)
    view = {"id": item_id, "status": "resolved", "adapter": label, "attempts": attempt}
    return {**view, "envelope_id": taken, "results": results}


def _find_items(adapter: SourceAdapter, origin: QuarantineOrigin, raw: bytes
                ) -> tuple[list[RawItem], list[dict[str, Any]]]:
    """The item read again by the current adapter, or the reasons it cannot be."""
    reasons: list[dict[str, Any]] = []
    try:
        entries = list(adapter.split(raw, filename=origin.filename, content_type=origin.content_type))
    except AdapterError as exc:
        entries, reasons = [], exc.details or [reason(exc.code, exc.message)]
    chosen = [e for e in entries if e.ref == origin.ref]
    if not chosen and origin.scope == "item":
        # The item's own bytes read alone get refs of their own ("line 1"): records keep the original.
        chosen = [replace(e, ref=origin.ref) for e in entries]
    rejected = [dict(r) for e in chosen if isinstance(e, RejectedItem) for r in e.reasons]
    if chosen and not rejected:
        return [e for e in chosen if isinstance(e, RawItem)], []
    stored = origin.item
    if isinstance(stored, Mapping) and isinstance(stored.get("dataset"), str) \
            and isinstance(stored.get("row"), Mapping):
        return [RawItem(origin.ref, stored["dataset"], stored["row"], raw)], []
    missing = reason("quarantine.item_not_found",
                     f"the current adapter finds no item {origin.ref!r} in the stored bytes")
    return [], rejected or reasons or [missing]


def _ingest_items(db: Session, adapter: SourceAdapter, entry: QuarantineEntry, items: Sequence[RawItem],
                  label: str, node: NodeIdentity, now: datetime
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(results, []) when every record was taken; else ([], reasons) and nothing of it is kept."""
    records: list[dict[str, Any]] = []
    origins: list[ItemOrigin] = []
    warnings: list[Sequence[Mapping[str, Any]]] = []
    origin = entry.origin
    filename, content_type = (origin.filename, origin.content_type) if origin else ("", "")
    for item in items:
        try:
            normalized = adapter.normalize(item)
        except AdapterError as exc:
            return [], exc.details or [reason(exc.code, exc.message)]
        for record in normalized:
            ref = record.ref or item.ref
            records.append({"type": record.type, "jurisdiction": record.jurisdiction,
                            "payload": record.payload, "source": {"ref": ref}})
            origins.append(ItemOrigin(item.raw, ref, filename, content_type, entry.scope,
                                      {"dataset": item.dataset, "row": item.row}))
            warnings.append(record.warnings)
    if not records:
        return [], [reason("adapter.no_records", "the adapter made no record of this item")]
    savepoint = db.begin_nested()
    try:
        outcomes = ingest_standard(db, items=records, node=node, source_system=entry.item.source,
                                   adapter=label, now=now, origins=origins, warnings=warnings)
    except BaseException:
        savepoint.rollback()
        raise
    refused = [o for o in outcomes if o.status in REFUSED_STATUSES]
    if refused:
        savepoint.rollback()  # all or nothing: the item stays whole in quarantine
        return [], [r for o in refused for r in o.reasons]
    savepoint.commit()
    return [{**o.as_dict(), "ref": origins[o.position].ref, "type": records[o.position]["type"]}
            for o in outcomes], []


def _failed(repo: QuarantineOriginRepository, entry: QuarantineEntry, label: str,
            reasons: Sequence[Mapping[str, Any]], attempt: int, now: datetime) -> dict[str, Any]:
    repo.mark_attempt(entry, adapter=label, reasons=reasons, resolved=False, resolved_envelope_id=None,
                      attempted_at=now)
    return {"id": entry.item.id, "status": "open", "adapter": label, "attempts": attempt,
            "reasons": [dict(r) for r in reasons], "results": []}


def _get(repo: QuarantineOriginRepository, item_id: str) -> QuarantineEntry:
    entry = repo.get(item_id)
    if entry is None:
        raise QuarantineNotFoundError(f"quarantine item {item_id} not found")
    return entry


def _view(entry: QuarantineEntry) -> dict[str, Any]:
    item, origin = entry.item, entry.origin
    return {
        "id": item.id, "received_at": item.received_at.isoformat(), "source": item.source,
        "adapter": item.adapter, "record_type": item.record_type, "status": item.status,
        "resolved_envelope_id": item.resolved_envelope_id, "reasons": item.reasons, "raw_size": item.raw_size,
        "ref": origin.ref if origin else "", "filename": origin.filename if origin else "",
        "scope": entry.scope, "received_count": origin.received_count if origin else 1,
        "attempts": origin.attempts if origin else 0,
        "last_attempt_at": origin.last_attempt_at.isoformat() if origin and origin.last_attempt_at else None,
        "last_adapter": origin.last_adapter if origin else None,
    }
