"""The sending side of the exchange: the outbox, one delivery per (envelope, destination), every attempt.

`outbox` has one row per (destination node, stream): the queue that keeps that stream's order, with
the sequence number the next delivery will get. `deliveries` is the record of truth of what must
reach whom: written in the transaction that appended the envelope, numbered densely per outbox row
at that moment (log order), and PENDING until a signed receipt makes it DELIVERED or a permanent
refusal makes it FAILED. Celery tasks and the in-process relay only trigger the work; a lost or
repeated trigger changes nothing here. `delivery_attempts` keeps one row per try; the backoff before
the next try is computed from how many there were.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime

PENDING = "PENDING"
DELIVERED = "DELIVERED"
FAILED = "FAILED"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)

# SQLite gives autoincrement only to a column declared INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Outbox(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_node: Mapped[str] = mapped_column(String(12))
    stream: Mapped[str] = mapped_column(String(64))
    next_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("target_node", "stream"),)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    envelope_id: Mapped[str] = mapped_column(String(64))
    target_node: Mapped[str] = mapped_column(String(12))
    stream: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The receiver's signed receipt, byte for byte as it signed it.
    receipt: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("envelope_id", "target_node"),
        UniqueConstraint("outbox_id", "seq"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_outbox_id_status_seq", "outbox_id", "status", "seq"),
    )


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # delivered | duplicate | refused | transient | permanent | gap | exported
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
