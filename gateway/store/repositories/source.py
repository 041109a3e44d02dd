"""Source bytes behind records and quarantined items: kept once per content, found again for reprocessing.

Quarantine is idempotent: an input refused again while its earlier refusal is still open (same
source, adapter, ref and bytes) reuses that item, so a retried push or a drop folder restarted
after a crash never files the same refusal twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, cast

import orjson
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_rows
from gateway.store.models import QuarantineItem, QuarantineOrigin, SourceBlob, SourceRaw
from gateway.store.repositories.quarantine import MAX_KEPT_BYTES, QuarantineRepository

_CHUNK = 900  # below SQLite's bound-parameter limit for IN lists
SCOPES = frozenset({"upload", "item", "upload_item"})
InputKey: TypeAlias = tuple[str, str, str, bytes]  # source, adapter, ref, raw digest
# Core statements on the tables: the ORM bulk path costs more than it gives on the ingest path.
_BLOBS = cast(Table, SourceBlob.__table__)
_SOURCE_RAW = cast(Table, SourceRaw.__table__)
_ORIGINS = cast(Table, QuarantineOrigin.__table__)
_QUARANTINE = cast(Table, QuarantineItem.__table__)


@dataclass(frozen=True, slots=True)
class ItemOrigin:
    """The bytes a record or refusal came from, and how an adapter finds the item in them again."""

    raw: bytes
    ref: str = ""
    filename: str = ""
    content_type: str = ""
    scope: str = "item"  # one of SCOPES, see QuarantineOrigin
    item: Mapping[str, Any] | None = None  # the adapter's parsed item {dataset, row}, when there was one


@dataclass(frozen=True, slots=True)
class Refusal:
    source: str
    adapter: str
    record_type: str | None
    reasons: Sequence[Mapping[str, Any]]
    origin: ItemOrigin
    record_key: str | None = None


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    item: QuarantineItem
    origin: QuarantineOrigin | None

    @property
    def scope(self) -> str:
        # Bodies refused at the door (refusal.quarantine_body) have no origin row: they are whole uploads.
        return self.origin.scope if self.origin else "upload"


class SourceRawRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_many(self, kept: Sequence[tuple[str, str, ItemOrigin]], *, received_at: datetime) -> None:
        """Each entry: (envelope id, adapter name@version, origin)."""
        if not kept:
            return
        digests = _digests(origin.raw for _, _, origin in kept)
        store_blobs(self.db, {d: origin.raw for d, (_, _, origin) in zip(digests, kept, strict=True)},
                    stored_at=received_at)
        rows = [
            {"envelope_id": eid, "adapter": adapter, "ref": origin.ref, "filename": origin.filename,
             "content_type": origin.content_type[:255], "digest": digest, "received_at": received_at}
            for (eid, adapter, origin), digest in zip(kept, digests, strict=True)
        ]
        insert_rows(self.db.connection(), _SOURCE_RAW, rows)

    def get_by_envelope_id(self, envelope_id: str) -> tuple[SourceRaw, bytes] | None:
        row = self.db.execute(
            select(SourceRaw, SourceBlob.raw).join(SourceBlob, SourceBlob.digest == SourceRaw.digest)
            .where(SourceRaw.envelope_id == envelope_id)
        ).one_or_none()
        return (row[0], row[1]) if row else None


class QuarantineOriginRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_many(self, refused: Sequence[Refusal], *, received_at: datetime, raw_size: int | None = None
                 ) -> list[str]:
        """Quarantine ids, in order: an open item of the same input is reused, the rest are new.

        `raw_size` is the size of what was sent when `raw` holds only its first bytes (one refusal).
        """
        if not refused:
            return []
        digests = _digests(r.origin.raw for r in refused)
        keys = [(r.source, r.adapter, r.origin.ref, d) for r, d in zip(refused, digests, strict=True)]
        found = self._open_by_input(set(keys))
        fresh: list[tuple[Refusal, bytes]] = []
        fresh_keys: dict[InputKey, int] = {}
        for r, d, k in zip(refused, digests, keys, strict=True):
            if k not in found and k not in fresh_keys:
                fresh_keys[k] = len(fresh)
                fresh.append((r, d))
        new_ids = QuarantineRepository(self.db).add_many(
            [{"source": r.source, "adapter": r.adapter, "record_type": r.record_type, "raw": r.origin.raw,
              "raw_size": raw_size if raw_size is not None else len(r.origin.raw), "reasons": list(r.reasons)}
             for r, _ in fresh],
            received_at=received_at,
        )
        blobs = {d: r.origin.raw for r, d in fresh if len(r.origin.raw) > MAX_KEPT_BYTES}
        store_blobs(self.db, blobs, stored_at=received_at)
        if fresh:
            self.db.connection().execute(insert(_ORIGINS), [
                {"quarantine_id": qid, "ref": r.origin.ref, "filename": r.origin.filename,
                 "content_type": r.origin.content_type[:255], "scope": r.origin.scope, "raw_digest": d,
                 "blob_digest": d if d in blobs else None, "item": _json_safe(r.origin.item),
                 "record_key": r.record_key, "received_count": 1, "attempts": 0, "last_attempt_at": None,
                 "last_adapter": None}
                for qid, (r, d) in zip(new_ids, fresh, strict=True)
            ])
        again = {found[k]: r.reasons for r, k in zip(refused, keys, strict=True) if k in found}
        if again:
            self.db.connection().execute(
                update(_QUARANTINE).where(QuarantineItem.id == bindparam("qid"))
                .values(reasons=bindparam("new_reasons")),
                [{"qid": qid, "new_reasons": list(reasons)} for qid, reasons in again.items()],
            )
            self.db.connection().execute(
                update(_ORIGINS).where(QuarantineOrigin.quarantine_id == bindparam("qid"))
                .values(received_count=QuarantineOrigin.received_count + 1),
                [{"qid": qid} for qid in again],
            )
        return [found[k] if k in found else new_ids[fresh_keys[k]] for k in keys]

    def get(self, item_id: str) -> QuarantineEntry | None:
        row = self.db.execute(
            select(QuarantineItem, QuarantineOrigin)
            .outerjoin(QuarantineOrigin, QuarantineOrigin.quarantine_id == QuarantineItem.id)
            .where(QuarantineItem.id == item_id)
        ).one_or_none()
        return QuarantineEntry(row[0], row[1]) if row else None

    def list_entries(self, *, status: str | None, source: str | None, adapter: str | None, limit: int,
                     offset: int = 0) -> list[QuarantineEntry]:
        """Oldest first; `adapter` is a name (matches every version) or name@version."""
        stmt = select(QuarantineItem, QuarantineOrigin).outerjoin(
            QuarantineOrigin, QuarantineOrigin.quarantine_id == QuarantineItem.id)
        if status:
            stmt = stmt.where(QuarantineItem.status == status)
        if source:
            stmt = stmt.where(QuarantineItem.source == source)
        if adapter:
            # A range instead of LIKE: no wildcard escaping, same on both dialects.
            stmt = stmt.where(QuarantineItem.adapter == adapter if "@" in adapter else
                              QuarantineItem.adapter.between(adapter + "@", adapter + "@~"))
        stmt = stmt.order_by(QuarantineItem.received_at, QuarantineItem.id).limit(limit).offset(offset)
        return [QuarantineEntry(item, origin) for item, origin in self.db.execute(stmt)]

    def full_raw(self, entry: QuarantineEntry) -> bytes | None:
        """The whole bytes as received, or None when only a prefix was kept (refused at the door)."""
        if entry.origin is not None and entry.origin.blob_digest is not None:
            return self.db.execute(
                select(SourceBlob.raw).where(SourceBlob.digest == entry.origin.blob_digest)).scalar_one()
        return entry.item.raw if len(entry.item.raw) == entry.item.raw_size else None

    def mark_attempt(self, entry: QuarantineEntry, *, adapter: str, reasons: Sequence[Mapping[str, Any]],
                     resolved_envelope_id: str | None, resolved: bool, attempted_at: datetime) -> None:
        """One reprocessing attempt: resolved with its envelope, or still open with the new reasons."""
        item_id = entry.item.id
        if entry.origin is None:
            self.db.execute(insert(QuarantineOrigin).values(
                quarantine_id=item_id, ref="", filename="", content_type="", scope="upload",
                raw_digest=hashlib.sha256(entry.item.raw).digest(), blob_digest=None, item=None,
                record_key=None, received_count=1, attempts=0))
        self.db.execute(
            update(QuarantineOrigin).where(QuarantineOrigin.quarantine_id == item_id)
            .values(attempts=QuarantineOrigin.attempts + 1, last_attempt_at=attempted_at,
                    last_adapter=adapter)
        )
        values: dict[str, Any] = {"reasons": list(reasons)} if reasons else {}
        if resolved:
            values.update(status="resolved", resolved_envelope_id=resolved_envelope_id)
        if values:
            self.db.execute(update(QuarantineItem).where(QuarantineItem.id == item_id).values(**values))

    def resolve_by_record_keys(self, *, source: str, accepted: Mapping[str, str]) -> list[str]:
        """Open items of `source` about a business record just accepted (record key → envelope id)."""
        keys = list(accepted)
        resolved: list[str] = []
        for start in range(0, len(keys), _CHUNK):
            rows = self.db.execute(
                select(QuarantineItem.id, QuarantineOrigin.record_key)
                .join(QuarantineOrigin, QuarantineOrigin.quarantine_id == QuarantineItem.id)
                .where(QuarantineOrigin.record_key.in_(keys[start : start + _CHUNK]),
                       QuarantineItem.status == "open", QuarantineItem.source == source)
            ).all()
            for item_id, record_key in rows:
                QuarantineRepository(self.db).mark_resolved(item_id, envelope_id=accepted[str(record_key)])
                resolved.append(item_id)
        return resolved

    def _open_by_input(self, keys: set[InputKey]) -> dict[InputKey, str]:
        digests = sorted({k[3] for k in keys})
        found: dict[InputKey, str] = {}
        for start in range(0, len(digests), _CHUNK):
            rows = self.db.execute(
                select(QuarantineItem.id, QuarantineItem.source, QuarantineItem.adapter, QuarantineOrigin.ref,
                       QuarantineOrigin.raw_digest)
                .join(QuarantineOrigin, QuarantineOrigin.quarantine_id == QuarantineItem.id)
                .where(QuarantineOrigin.raw_digest.in_(digests[start : start + _CHUNK]),
                       QuarantineItem.status == "open")
                .order_by(QuarantineItem.received_at)
            )
            for row in rows:
                key = (row.source, row.adapter, row.ref, row.raw_digest)
                if key in keys:
                    found.setdefault(key, row.id)
        return found


def store_blobs(db: Session, blobs: Mapping[bytes, bytes], *, stored_at: datetime) -> None:
    """Insert the blobs not stored yet (callers hold the node's writer lock, so none races in)."""
    if not blobs:
        return
    wanted = sorted(blobs)
    held: set[bytes] = set()
    for start in range(0, len(wanted), _CHUNK):
        held.update(db.execute(
            select(SourceBlob.digest).where(SourceBlob.digest.in_(wanted[start : start + _CHUNK]))).scalars())
    rows = [{"digest": d, "size": len(blobs[d]), "raw": blobs[d], "stored_at": stored_at}
            for d in wanted if d not in held]
    if rows:
        db.connection().execute(insert(_BLOBS), rows)


def _json_safe(item: Mapping[str, Any] | None) -> Any:
    """The parsed item as JSON holds it; None when it cannot (an aid: the raw bytes are the record)."""
    if item is None:
        return None
    try:
        return orjson.loads(orjson.dumps(item, default=str, option=orjson.OPT_NON_STR_KEYS))
    except orjson.JSONEncodeError:
        return None


def _digests(raws: Iterable[bytes]) -> list[bytes]:
    # Items of one upload often share one bytes object (the whole upload): hash it once.
    seen: dict[int, tuple[bytes, bytes]] = {}
    out = []
    for raw in raws:
        cached = seen.get(id(raw))
        if cached is None or cached[0] is not raw:
            cached = (raw, hashlib.sha256(raw).digest())
            seen[id(raw)] = cached
        out.append(cached[1])
    return out
