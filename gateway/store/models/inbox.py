"""What the inbox keeps about envelopes delivered by peers: receipts given, stream positions, refusals.

`inbox_receipts` holds the receipt given when an envelope was first taken, one per (origin, envelope
id): a delivery of the same envelope again gets these very bytes back. `inbox_streams` holds, per
sending peer and stream, the sequence number expected next; a pull keeps its cursor (the peer's
log index) there too, under its own stream name. `inbox_refusals` records every refused envelope
and every refused call, with the receipt given when there was one, so a resend of a refused batch
gets the same receipts and an operator can see who sent what.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class InboxReceipt(Base):
    __tablename__ = "inbox_receipts"

    origin: Mapped[str] = mapped_column(String(12), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of the envelope's canonical bytes as received (the leaf).
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    sender: Mapped[str] = mapped_column(String(12))
    log_index: Mapped[int] = mapped_column(BigInteger)
    receipt: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InboxStream(Base):
    __tablename__ = "inbox_streams"

    sender: Mapped[str] = mapped_column(String(12), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InboxRefusal(Base):
    __tablename__ = "inbox_refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The authenticated sender, or for a refused call the node its token claimed (may be "").
    sender: Mapped[str] = mapped_column(String(12))
    stream: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(12))
    envelope_id: Mapped[str] = mapped_column(String(64))
    digest: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    code: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    receipt: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_inbox_refusals_sender_stream_seq", "sender", "stream", "seq"),
        Index("ix_inbox_refusals_received_at", "received_at"),
    )
