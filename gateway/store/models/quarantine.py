"""Input that could not become a standard record: kept whole, with its reasons, never dropped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class QuarantineItem(Base):
    __tablename__ = "quarantine"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(64))
    adapter: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolved_envelope_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_quarantine_status_received_at", "status", "received_at"),)
