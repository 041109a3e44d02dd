"""Stored cosignatures, one per (checkpoint size, witness); a newer one from a witness replaces it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models.witness import Cosignature


class CosignatureRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def put(self, *, size: int, witness: str, line: str, timestamp: int, received_at: datetime) -> None:
        row = self.db.get(Cosignature, (size, witness))
        if row is None:
            self.db.add(
                Cosignature(
                    size=size, witness=witness, line=line, timestamp=timestamp, received_at=received_at
                )
            )
        elif timestamp >= row.timestamp:
            row.line, row.timestamp, row.received_at = line, timestamp, received_at

    def lines_for(self, size: int) -> list[str]:
        rows = self.db.execute(
            select(Cosignature.line).where(Cosignature.size == size).order_by(Cosignature.witness)
        )
        return list(rows.scalars())

    def latest_cosigned_size(self) -> int | None:
        rows = self.db.execute(select(Cosignature.size).order_by(Cosignature.size.desc()).limit(1))
        return rows.scalar_one_or_none()
