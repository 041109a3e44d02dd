"""Raw source data in (an XML file, a SOAP call, a CSV export), standard records through ingest out.

The adapter cuts the upload into items and normalizes each; records go to `ingest_standard` in
batches, with their source bytes. Everything refused lands in quarantine with the bytes it came
from: a row the adapter could not read (RejectedItem), an item it could not normalize
(AdapterError), a record the ingest checks refused. An upload that cannot be read at all
(SourceFormatError) is refused whole: what was taken from it before the failure is rolled back
(a savepoint) and the upload itself is quarantined.

The appKey of a SOAP receiveInfo call is the sender's secret and authenticates nothing here (callers
present bearer tokens): it is blanked before anything is read, so no stored copy ever holds it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy.orm import Session

from adapters.base import NormalizedRecord, RawItem, RejectedItem, SourceAdapter, reason
from adapters.county_center_mapping import load_mapping
from adapters.errors import DetailCode, SourceFormatError
from adapters.registry import build_registry
from adapters.tender_platform import sniff
from config.settings import CONFIG_DIR, Settings
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.source import ItemOrigin, QuarantineOriginRepository, Refusal
from schemas.errors import AdapterError
from schemas.regions import RegionTable

BATCH_SIZE = 2_000
STANDARD_SOURCE = "standard"
STANDARD_MEMBERS = frozenset({"type", "jurisdiction", "payload", "source"})
REFUSED_STATUSES = frozenset({"quarantined", "stale", "conflict"})
log = logging.getLogger("gateway.source_ingest")
# Bounded, so that hostile bytes cannot make the scan quadratic; the key holds no markup.
_APP_KEY = re.compile(rb"(<(?:[A-Za-z_][\w.\-]{0,64}:)?appKey\b[^<>]{0,256}(?<!/)>)[^<]*(?=</)")


@dataclass(frozen=True)
class UploadRefusal:
    """Why a whole upload was refused, and where it is kept."""

    code: str
    message: str
    reasons: list[dict[str, Any]]
    quarantine_id: str

    @property
    def first_code(self) -> str:
        """The most specific code: the first reason's (e.g. xml.truncated rather than source.unreadable)."""
        return str(self.reasons[0].get("code") or self.code) if self.reasons else self.code


@dataclass
class SourceIngestReport:
    source: str
    adapter: str  # name@version
    results: list[dict[str, Any]] = field(default_factory=list)  # one per record or refused item
    refusal: UploadRefusal | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
        return counts

    @property
    def totals(self) -> dict[str, Any]:
        counts = self.counts
        by_reason: dict[str, int] = {}
        for result in self.results:
            if result["status"] in REFUSED_STATUSES:
                code = (result.get("reasons") or [{}])[0].get("code") or result["status"]
                by_reason[code] = by_reason.get(code, 0) + 1
        if self.refusal is not None:
            by_reason[self.refusal.first_code] = by_reason.get(self.refusal.first_code, 0) + 1
        return {
            "accepted": counts.get("accepted", 0),
            "new_versions": sum(1 for r in self.results if r.get("new_version")),
            "duplicates": counts.get("duplicate", 0),
            "stale": counts.get("stale", 0),
            "conflicts": counts.get("conflict", 0),
            "quarantined": counts.get("quarantined", 0),
            "refused_uploads": 0 if self.refusal is None else 1,
            "quarantined_by_reason": dict(sorted(by_reason.items())),
        }

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"source": self.source, "adapter": self.adapter, "results": self.results,
                                "counts": self.counts, "totals": self.totals}
        if self.refusal is not None:
            body["refusal"] = {"code": self.refusal.code, "message": self.refusal.message,
                               "reasons": self.refusal.reasons, "quarantine_id": self.refusal.quarantine_id}
        return body


def without_app_key(data: bytes) -> bytes:
    """The upload with a SOAP call's appKey emptied; any other upload as it is."""
    return _APP_KEY.sub(rb"\1", data, count=8) if sniff(data) == "soap" else data


def adapter_label(adapter: SourceAdapter) -> str:
    return f"{adapter.name}@{adapter.version}"


def ingest_source(
    db: Session, *, adapter: SourceAdapter, data: bytes, filename: str, content_type: str,
    node: NodeIdentity, source_system: str, now: datetime, batch_size: int = BATCH_SIZE,
) -> SourceIngestReport:
    """Ingest one upload; a refused upload is quarantined whole and reported in `refusal`."""
    data = without_app_key(data)
    try:
        return ingest_upload(db, adapter=adapter, data=data, filename=filename, content_type=content_type,
                             node=node, source_system=source_system, now=now, batch_size=batch_size)
    except AdapterError as exc:
        reasons = exc.details or [reason(exc.code, exc.message)]
        origin = ItemOrigin(data, filename or "upload", filename, content_type, "upload")
        LogRepository(db).lock_state()  # the writer lock keeps quarantine dedup race-free
        (qid,) = QuarantineOriginRepository(db).add_many(
            [Refusal(source_system, adapter_label(adapter), None, reasons, origin)], received_at=now)
        refusal = UploadRefusal(exc.code, exc.message, reasons, qid)
        return SourceIngestReport(adapter.name, adapter_label(adapter), refusal=refusal)


def ingest_upload(
    db: Session, *, adapter: SourceAdapter, data: bytes, filename: str, content_type: str,
    node: NodeIdentity, source_system: str, now: datetime, batch_size: int = BATCH_SIZE,
) -> SourceIngestReport:
    """Like `ingest_source`, but a refused upload raises its AdapterError and leaves nothing behind."""
    run = _UploadRun(db, adapter=adapter, data=data, filename=filename, content_type=content_type, node=node,
                     source_system=source_system, now=now, batch_size=batch_size)
    with db.begin_nested():
        LogRepository(db).lock_state()
        for entry in adapter.split(data, filename=filename, content_type=content_type):
            run.take(entry)
        run.flush()
    run.report.results.sort(key=lambda r: r["position"])
    return run.report


class _UploadRun:
    def __init__(self, db: Session, *, adapter: SourceAdapter, data: bytes, filename: str, content_type: str,
                 node: NodeIdentity, source_system: str, now: datetime, batch_size: int) -> None:
        self.db, self.adapter, self.data = db, adapter, data
        self.filename, self.content_type = filename, content_type
        self.node, self.source_system, self.now, self.batch_size = node, source_system, now, batch_size
        self.label = adapter_label(adapter)
        self.report = SourceIngestReport(adapter.name, self.label)
        self.position = 0
        self.records: list[tuple[int, str, dict[str, Any], ItemOrigin, tuple[Mapping[str, str], ...]]] = []
        self.refused: list[tuple[int, Refusal]] = []

    def take(self, entry: RawItem | RejectedItem) -> None:
        if isinstance(entry, RejectedItem):
            self._refuse(entry.ref, entry.raw, [dict(r) for r in entry.reasons], None)
            return
        item = {"dataset": entry.dataset, "row": entry.row}
        try:
            records = self.adapter.normalize(entry)
        except AdapterError as exc:
            self._refuse(entry.ref, entry.raw, exc.details or [reason(exc.code, exc.message)], item)
            return
        except Exception as exc:  # an adapter bug must not cost the rest of the upload
            log.exception("adapter %s failed on item %s", self.label, entry.ref)
            self._refuse(entry.ref, entry.raw, [reason(
                "adapter.internal_error", f"the adapter failed on this item ({type(exc).__name__})")], item)
            return
        if not records:
            none = reason("adapter.no_records", "the adapter made no record of this item")
            self._refuse(entry.ref, entry.raw, [none], item)
            return
        scope = self._scope_of(entry.raw)
        for record in records:
            ref = record.ref or entry.ref
            payload = {"type": record.type, "jurisdiction": record.jurisdiction, "payload": record.payload,
                       "source": {"ref": ref}}
            origin = ItemOrigin(entry.raw, ref, self.filename, self.content_type, scope, item)
            self.records.append((self._next(), record.type, payload, origin, record.warnings))
        if len(self.records) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.refused:
            ids = QuarantineOriginRepository(self.db).add_many([r for _, r in self.refused],
                                                               received_at=self.now)
            for (position, refusal), qid in zip(self.refused, ids, strict=True):
                self.report.results.append({"position": position, "ref": refusal.origin.ref,
                                            "status": "quarantined", "quarantine_id": qid,
                                            "reasons": list(refusal.reasons)})
            self.refused = []
        if not self.records:
            return
        batch, self.records = self.records, []
        outcomes = ingest_standard(
            self.db, items=[p for _, _, p, _, _ in batch], node=self.node, source_system=self.source_system,
            adapter=self.label, now=self.now, origins=[o for _, _, _, o, _ in batch],
            warnings=[w for _, _, _, _, w in batch],
        )
        for (position, record_type, _, origin, _), outcome in zip(batch, outcomes, strict=True):
            result = outcome.as_dict()
            result.update(position=position, ref=origin.ref, type=record_type)
            self.report.results.append(result)

    def _refuse(self, ref: str, raw: bytes, reasons: list[dict[str, Any]],
                item: Mapping[str, Any] | None) -> None:
        origin = ItemOrigin(raw, ref, self.filename, self.content_type, self._scope_of(raw), item)
        self.refused.append((self._next(), Refusal(self.source_system, self.label, None, reasons, origin)))

    def _scope_of(self, raw: bytes) -> str:
        whole = raw is self.data or (len(raw) == len(self.data) and raw == self.data)
        return "upload_item" if whole else "item"

    def _next(self) -> int:
        self.position += 1
        return self.position - 1


class StandardRecordsAdapter:
    """The "standard" source: records already in the standard, as for /api/v1/ingest/standard.

    One `{type, jurisdiction, payload, source?}` object or a list of them. `normalize` passes the
    record on and `ingest_standard` checks it, so refusals carry the same codes as over HTTP.
    """

    name = STANDARD_SOURCE
    version = "1"

    def split(
        self, data: bytes, *, filename: str = "", content_type: str = ""
    ) -> Iterator[RawItem | RejectedItem]:
        label = filename or "upload"
        if not data.strip():
            raise SourceFormatError.of(DetailCode.FILE_EMPTY, "empty document: expected JSON")
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            message = f"not JSON: {exc.msg}"
            raise SourceFormatError.of(DetailCode.JSON_MALFORMED, message, offset=exc.pos) from exc
        if not isinstance(document, list):
            yield self._item(label, "", document, data)
            return
        if not document:
            raise SourceFormatError.of(DetailCode.JSON_NO_RECORDS, "an empty list holds no record")
        for index, record in enumerate(document):
            yield self._item(f"{label}#{index}", f"/{index}", record, orjson.dumps(record))

    def normalize(self, item: RawItem) -> list[NormalizedRecord]:
        row = item.row
        extra = sorted(set(row) - STANDARD_MEMBERS)
        if extra:
            raise AdapterError("unknown members in record", details=[
                reason("request.unknown_member", f"unknown member {name[:64]!r}", f"/{name[:64]}")
                for name in extra])
        source = row.get("source")
        ref = source.get("ref") if isinstance(source, Mapping) else None
        # Shapes are checked by ingest_standard, with the codes of the HTTP route.
        return [NormalizedRecord(row.get("type"), row.get("jurisdiction"), row.get("payload"),  # type: ignore[arg-type]
                                 ref if isinstance(ref, str) else item.ref)]

    @staticmethod
    def _item(ref: str, pointer: str, record: Any, raw: bytes) -> RawItem | RejectedItem:
        if isinstance(record, dict):
            return RawItem(ref, STANDARD_SOURCE, record, raw)
        return RejectedItem(ref, raw, (reason("request.not_an_object", "expected a JSON object", pointer),))


def source_registry(settings: Settings) -> dict[str, SourceAdapter]:
    """This node's adapters by source name, configured from its settings, "standard" included."""
    registry = build_registry(
        county_mapping=load_mapping(settings.adapters.county_mapping_path),
        id_hash_key=settings.adapters.id_hash_key.get_secret_value().encode("utf-8"),
        regions=_region_table(),
    )
    return {**registry, STANDARD_SOURCE: StandardRecordsAdapter()}


@lru_cache(maxsize=1)
def _region_table() -> RegionTable:
    folder = CONFIG_DIR / "regions"
    return RegionTable.load(folder / "gbt2260-2023.csv", folder / "gbt2260-retired-2002-2014.csv")
