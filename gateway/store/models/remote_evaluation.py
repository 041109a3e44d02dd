"""Index tables of remote evaluation sessions and of obligations.

The signed records in the log are the truth: sessions, their events and every obligation state
change are appended through the standard ingest. These tables only index them, so that a session's
seats, faults, letters and investigations, and the open duties with their due times, are lookups
rather than log scans. Each row names the envelope it was derived from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class RemoteSession(Base):
    __tablename__ = "remote_sessions"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host_region: Mapped[str] = mapped_column(String(12))
    envelope_id: Mapped[str] = mapped_column(String(64))
    scheduled_start: Mapped[datetime] = mapped_column(UtcDateTime())
    last_sequence: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class RemoteSeat(Base):
    __tablename__ = "remote_seats"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    expert_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    venue_code: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(12))
    seat_no: Mapped[str] = mapped_column(String(100))


class RemoteEvent(Base):
    __tablename__ = "remote_events"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    envelope_id: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(String(12))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    venue_code: Mapped[str | None] = mapped_column(String(100))
    expert_id: Mapped[str | None] = mapped_column(String(100))
    fault_id: Mapped[str | None] = mapped_column(String(100))
    fault_phase: Mapped[str | None] = mapped_column(String(16))
    investigation_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_remote_events_envelope_id", "envelope_id"),)


class RemoteInvestigation(Base):
    __tablename__ = "remote_investigations"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    investigation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    opened_sequence: Mapped[int] = mapped_column(Integer)
    concluded_sequence: Mapped[int | None] = mapped_column(Integer)
    concluded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Keyed hashes of the experts a finding named; their venues decide who gets a copy.
    experts: Mapped[list[str]] = mapped_column(JSON)


class ObligationRow(Base):
    __tablename__ = "obligations"

    obligation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    debtor_region: Mapped[str] = mapped_column(String(12))
    creditor_region: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late: Mapped[bool | None] = mapped_column(Boolean)
    # The envelope whose receipt by the creditor's node meets the duty (a copy), once sent.
    awaited_envelope_id: Mapped[str | None] = mapped_column(String(64))
    awaited_sequence: Mapped[int | None] = mapped_column(Integer)
    envelope_id: Mapped[str] = mapped_column(String(64))
    version_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_soon_alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_to: Mapped[str | None] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_obligations_status_due_at", "status", "due_at"),
        Index("ix_obligations_awaited_envelope_id", "awaited_envelope_id"),
        Index("ix_obligations_subject_id", "subject_id"),
    )
