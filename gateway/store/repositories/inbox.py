"""The inbox's own rows: receipts given per (origin, envelope id), stream positions, refusals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_rows
from gateway.store.models import InboxReceipt, InboxRefusal, InboxStream, LogLeaf
from gateway.store.models.exchange import Delivery

_CHUNK = 400  # pairs in a tuple IN list: twice as many bound parameters, below SQLite's limit


@dataclass(frozen=True, slots=True)
class GivenReceipt:
    origin: str
    envelope_id: str
    digest: bytes
    sender: str
    log_index: int
    receipt: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class HeldLeaf:
    """An envelope already in this node's log, whoever it came from."""

    idx: int
    origin: str
    payload_digest: bytes
    leaf_hash: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Refusal:
    sender: str
    stream: str
    seq: int | None
    origin: str
    envelope_id: str
    digest: bytes | None
    code: str
    message: str
    receipt: bytes | None


class InboxRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get_receipts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], GivenReceipt]:
        """(origin, envelope id) → the receipt given when it was first taken."""
        pairs = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], GivenReceipt] = {}
        columns = (InboxReceipt.origin, InboxReceipt.envelope_id, InboxReceipt.digest, InboxReceipt.sender,
                   InboxReceipt.log_index, InboxReceipt.receipt, InboxReceipt.received_at)
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            rows = self.db.connection().execute(
                select(*columns).where(tuple_(InboxReceipt.origin, InboxReceipt.envelope_id).in_(chunk)))
            found.update(((row.origin, row.envelope_id), GivenReceipt(*row)) for row in rows)
        return found

    def add_receipts(self, receipts: Sequence[GivenReceipt]) -> None:
        if receipts:
            insert_rows(self.db.connection(), InboxReceipt.__table__, [
                {"origin": r.origin, "envelope_id": r.envelope_id, "digest": r.digest, "sender": r.sender,
                 "log_index": r.log_index, "receipt": r.receipt, "received_at": r.received_at}
                for r in receipts])

    def held_leaves(self, envelope_ids: Iterable[str]) -> dict[str, HeldLeaf]:
        """envelope id → where the log holds it, for ids already there."""
        ids = list(dict.fromkeys(envelope_ids))
        found: dict[str, HeldLeaf] = {}
        for start in range(0, len(ids), _CHUNK):
            rows = self.db.connection().execute(
                select(LogLeaf.envelope_id, LogLeaf.idx, LogLeaf.origin, LogLeaf.payload_digest,
                       LogLeaf.leaf_hash, LogLeaf.received_at)
                .where(LogLeaf.envelope_id.in_(ids[start : start + _CHUNK])))
            found.update((row.envelope_id, HeldLeaf(row.idx, row.origin, row.payload_digest, row.leaf_hash,
                                                    row.received_at)) for row in rows)
        return found

    def next_seq(self, sender: str, stream: str) -> int | None:
        """The sequence number expected next from `sender` on `stream`; None before the first batch."""
        return self.db.execute(
            select(InboxStream.next_seq).where(InboxStream.sender == sender, InboxStream.stream == stream)
        ).scalar_one_or_none()

    def set_next_seq(self, sender: str, stream: str, next_seq: int, *, known: bool, now: datetime) -> None:
        if known:
            self.db.execute(update(InboxStream)
                            .where(InboxStream.sender == sender, InboxStream.stream == stream)
                            .values(next_seq=next_seq, updated_at=now))
        else:
            self.db.execute(insert(InboxStream).values(sender=sender, stream=stream, next_seq=next_seq,
                                                       updated_at=now))

    def list_streams(self) -> list[tuple[str, str, int]]:
        rows = self.db.execute(select(InboxStream.sender, InboxStream.stream, InboxStream.next_seq)
                               .order_by(InboxStream.sender, InboxStream.stream))
        return [(row.sender, row.stream, row.next_seq) for row in rows]

    def refusals_at(self, sender: str, stream: str, seqs: Sequence[int]) -> dict[int, tuple[bytes, bytes]]:
        """seq → (digest, receipt) of the refusals given to `sender` on `stream` at those positions."""
        if not seqs:
            return {}
        rows = self.db.connection().execute(
            select(InboxRefusal.seq, InboxRefusal.digest, InboxRefusal.receipt)
            .where(InboxRefusal.sender == sender, InboxRefusal.stream == stream,
                   InboxRefusal.seq >= min(seqs), InboxRefusal.seq <= max(seqs),
                   InboxRefusal.receipt.is_not(None))
            .order_by(InboxRefusal.id))
        found: dict[int, tuple[bytes, bytes]] = {}
        for row in rows:
            found.setdefault(row.seq, (row.digest, row.receipt))
        return found

    def add_refusals(self, refusals: Sequence[Refusal], *, received_at: datetime) -> None:
        if refusals:
            self.db.execute(insert(InboxRefusal), [
                {"sender": r.sender[:12], "stream": r.stream[:64], "seq": r.seq, "origin": r.origin[:12],
                 "envelope_id": r.envelope_id[:64], "digest": r.digest, "code": r.code[:100],
                 "message": r.message[:2000], "receipt": r.receipt, "received_at": received_at}
                for r in refusals])

    def list_refusals(self, *, since: datetime | None = None, limit: int = 100) -> list[InboxRefusal]:
        stmt = select(InboxRefusal).order_by(InboxRefusal.id.desc()).limit(limit)
        if since is not None:
            stmt = stmt.where(InboxRefusal.received_at >= since)
        return list(self.db.execute(stmt).scalars())

    def count_refusals(self, code: str | None = None) -> int:
        stmt = select(func.count()).select_from(InboxRefusal)
        if code is not None:
            stmt = stmt.where(InboxRefusal.code == code)
        return int(self.db.execute(stmt).scalar_one())

    def routed_leaves(self, peer: str, *, after: int, until: int) -> list[tuple[int, bytes]]:
        """Leaves after `after` up to `until` (inclusive) that the outbox routed to `peer`, in log order."""
        rows = self.db.connection().execute(
            select(LogLeaf.idx, LogLeaf.leaf)
            .join(Delivery, (Delivery.envelope_id == LogLeaf.envelope_id) & (Delivery.target_node == peer))
            .where(LogLeaf.idx > after, LogLeaf.idx <= until)
            .order_by(LogLeaf.idx))
        return [(idx, leaf) for idx, leaf in rows]
