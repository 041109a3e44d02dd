"""Source bytes kept for reprocessing: what each record and each quarantined item was made from.

Adapters often hand every item of an upload the whole upload as its raw bytes (an XML file, an xlsx
workbook), so bytes are stored once per content in `source_blobs` and referenced by digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class SourceBlob(Base):
    """Source bytes, once per SHA-256."""

    __tablename__ = "source_blobs"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SourceRaw(Base):
    """The source bytes, adapter (name@version) and item ref behind an accepted envelope."""

    __tablename__ = "source_raw"

    envelope_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    adapter: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), ForeignKey("source_blobs.digest"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class QuarantineOrigin(Base):
    """Where a quarantined item came from, how to find it again, and how often it was retried.

    scope: "upload" (the whole upload was refused), "item" (raw holds the item's own bytes) or
    "upload_item" (raw is the whole upload; the item is the one named `ref`). `item` is the adapter's
    parsed item {dataset, row}, for re-normalizing when the raw bytes cannot be split alone. `digest`
    names the full bytes in source_blobs when the quarantine row keeps only a prefix.
    """

    __tablename__ = "quarantine_origins"

    quarantine_id: Mapped[str] = mapped_column(String(36), ForeignKey("quarantine.id"), primary_key=True)
    ref: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))
    raw_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    blob_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), ForeignKey("source_blobs.digest"))
    item: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_key: Mapped[str | None] = mapped_column(String(64))
    received_count: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_adapter: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_quarantine_origins_raw_digest", "raw_digest"),
        Index("ix_quarantine_origins_record_key", "record_key"),
    )
