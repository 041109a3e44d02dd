"""The node's append-only log: leaves (the signed envelopes), tree nodes, state, checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class LogLeaf(Base):
    """Leaf i = the JCS bytes of the i-th accepted envelope, signature included, served as stored."""

    __tablename__ = "log_leaves"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    envelope_id: Mapped[str] = mapped_column(String(64), unique=True)
    record_key: Mapped[str] = mapped_column(String(64), index=True)
    record_type: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(String(12))
    origin: Mapped[str] = mapped_column(String(12))
    version: Mapped[str] = mapped_column(String(40))
    payload_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_log_leaves_jurisdiction_idx", "jurisdiction", "idx"),
        Index("ix_log_leaves_record_type_idx", "record_type", "idx"),
    )


class LogNode(Base):
    """Hash of every complete, aligned subtree above the leaves: (level, index) covers 2**level leaves."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogState(Base):
    """One row: the tree size and its right edge. Updating it serializes log writers."""

    __tablename__ = "log_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[str] = mapped_column(Text)


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecordHead(Base):
    """The latest version held of each business record, for stale-version refusal."""

    __tablename__ = "record_heads"

    record_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(40))
    version_utc: Mapped[datetime] = mapped_column(UtcDateTime())
