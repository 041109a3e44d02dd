"""Latest version held of each business record: a later version wins, an older one is stale."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_rows
from gateway.store.models import RecordHead

_CHUNK = 900


@dataclass(frozen=True, slots=True)
class Head:
    envelope_id: str
    version: str
    version_utc: datetime


class RecordHeadRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get_many(self, record_keys: Iterable[str]) -> dict[str, Head]:
        keys = list(record_keys)
        out: dict[str, Head] = {}
        for start in range(0, len(keys), _CHUNK):
            rows = self.db.execute(
                select(RecordHead).where(RecordHead.record_key.in_(keys[start : start + _CHUNK]))
            )
            out.update((h.record_key, Head(h.envelope_id, h.version, h.version_utc)) for h in rows.scalars())
        return out

    def upsert_many(self, heads: Mapping[str, Head], existing: Iterable[str]) -> None:
        """Write the new heads; `existing` names the keys that already have a row."""
        known = set(existing)
        rows = [
            {
                "record_key": k,
                "envelope_id": h.envelope_id,
                "version": h.version,
                "version_utc": h.version_utc,
            }
            for k, h in heads.items()
        ]
        new = [r for r in rows if r["record_key"] not in known]
        old = [{**r, "key": r["record_key"]} for r in rows if r["record_key"] in known]
        if new:
            insert_rows(self.db.connection(), RecordHead.__table__, new)
        if old:
            stmt = (
                update(RecordHead)
                .where(RecordHead.record_key == bindparam("key"))
                .values(
                    envelope_id=bindparam("envelope_id"),
                    version=bindparam("version"),
                    version_utc=bindparam("version_utc"),
                )
            )
            self.db.connection().execute(stmt, old)
