"""`complaints`: an index of the complaint cases this node handles, derived from the signed log.

The truth is the log: the `complaint` record (one version per state change) and its `complaint.event`
records. A row here keeps what the workflow needs without reading the log back: the current stage,
the competent department, the running deadline (`due_at`, indexed for the sweep), the pauses and
approved extensions the deadlines are recomputed from, the matter key that links duplicate filings,
the first-received time (条例 art 61: the first department to receive a matter handles it), flags,
and the envelope ids of the complaint's versions and events, in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class ComplaintCase(Base):
    __tablename__ = "complaints"

    complaint_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The region of the project complained about (属地管理): the records' jurisdiction.
    jurisdiction: Mapped[str] = mapped_column(String(6))
    trade_type: Mapped[str] = mapped_column(String(20))
    # Workflow stage: received, routed, accepted, not_accepted, referred, investigating, paused,
    # decided, feedback_sent, published, withdrawn (the record's `state` is derived from it).
    stage: Mapped[str] = mapped_column(String(20))
    department_code: Mapped[str] = mapped_column(String(100))
    department_kind: Mapped[str] = mapped_column(String(20))
    department_region: Mapped[str] = mapped_column(String(6))
    matter_key: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The deadline of the step under way (acceptance or decision); NULL while paused or unknown.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    due_step: Mapped[str | None] = mapped_column(String(40))
    # "" (not due yet), "due_soon" or "overdue", set by the sweep.
    due_status: Mapped[str] = mapped_column(String(12), default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON)
    pauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    flags: Mapped[list[str]] = mapped_column(JSON)
    screening: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The current `complaint` payload: the next version is built from it.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    version_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sequence: Mapped[int] = mapped_column(Integer)
    record_ids: Mapped[list[str]] = mapped_column(JSON)
    event_ids: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_complaints_matter_key", "matter_key"),
        Index("ix_complaints_due_at", "due_at"),
        Index("ix_complaints_jurisdiction", "jurisdiction"),
        Index("ix_complaints_due_status", "due_status"),
    )
