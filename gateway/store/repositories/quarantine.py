"""Quarantine: every input that did not become a record, kept whole with its reasons."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from gateway.store.models import QuarantineItem

# Oversized inputs are refused at the door; their first bytes are kept so an operator sees what came.
MAX_KEPT_BYTES = 1024 * 1024


class QuarantineRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_many(self, items: Sequence[Mapping[str, Any]], *, received_at: datetime) -> list[str]:
        """Each item: source, adapter, record_type (or None), raw (bytes), reasons (list of dicts)."""
        rows = []
        for item in items:
            raw: bytes = item["raw"]
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "received_at": received_at,
                    "source": item["source"],
                    "adapter": item["adapter"],
                    "record_type": item.get("record_type"),
                    "raw": raw[:MAX_KEPT_BYTES],
                    "raw_size": item.get("raw_size", len(raw)),
                    "reasons": list(item["reasons"]),
                    "status": "open",
                }
            )
        if rows:
            self.db.execute(insert(QuarantineItem), rows)
        return [r["id"] for r in rows]

    def get(self, item_id: str) -> QuarantineItem | None:
        return self.db.get(QuarantineItem, item_id)

    def list_open(self, *, limit: int = 100, source: str | None = None) -> list[QuarantineItem]:
        stmt = select(QuarantineItem).where(QuarantineItem.status == "open")
        if source:
            stmt = stmt.where(QuarantineItem.source == source)
        return list(self.db.execute(stmt.order_by(QuarantineItem.received_at).limit(limit)).scalars())

    def count_open(self) -> int:
        stmt = select(func.count()).select_from(QuarantineItem).where(QuarantineItem.status == "open")
        return int(self.db.execute(stmt).scalar_one())

    def mark_resolved(self, item_id: str, *, envelope_id: str | None) -> None:
        self.db.execute(
            update(QuarantineItem)
            .where(QuarantineItem.id == item_id)
            .values(status="resolved", resolved_envelope_id=envelope_id)
        )
