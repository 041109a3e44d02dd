"""Appends to the node log and reads it back: leaves, subtree hashes, checkpoints.

One writer at a time: the `log_state` row is updated first in the append transaction, which takes
the row lock on PostgreSQL and the write lock on SQLite, so indexes are dense and never reused. A
crash before commit rolls back leaves, nodes and state together: no gap, no duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_rows
from gateway.store.models import Checkpoint, LogLeaf, LogNode, LogState
from signing.merkle import Frontier

_CHUNK = 900  # below SQLite's bound-parameter limit for IN lists


@dataclass(frozen=True, slots=True)
class NewLeaf:
    envelope_id: str
    record_key: str
    record_type: str
    jurisdiction: str
    origin: str
    version: str
    payload_digest: bytes
    leaf_hash: bytes
    leaf: bytes


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    idx: int
    envelope_id: str
    jurisdiction: str
    record_type: str
    leaf: bytes


class LogRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def lock_state(self) -> Frontier:
        """Take the writer lock and return the current right edge of the tree."""
        take = update(LogState).where(LogState.id == 1).values(size=LogState.size)
        if self.db.execute(take).rowcount == 0:  # type: ignore[attr-defined]
            # The first write ever: two writers may both find no row, so the insert yields to the other's
            # (waiting for it to commit on PostgreSQL), and the update then takes the lock on the row.
            builder = postgresql.insert if self.db.get_bind().dialect.name == "postgresql" else sqlite.insert
            self.db.execute(builder(LogState).values(id=1, size=0, frontier="[]").on_conflict_do_nothing())
            self.db.execute(take)
        row = self.db.execute(select(LogState.size, LogState.frontier).where(LogState.id == 1)).one()
        return Frontier.from_json(row.size, orjson.loads(row.frontier))

    def append(self, frontier: Frontier, leaves: Sequence[NewLeaf], *, received_at: datetime) -> list[int]:
        """Append after `lock_state` in the same transaction; returns the indexes given."""
        if not leaves:
            return []
        leaf_rows, node_rows, indexes = [], [], []
        for leaf in leaves:
            idx = frontier.size
            for level, node_idx, node in frontier.append(leaf.leaf_hash):
                if level > 0:
                    node_rows.append({"level": level, "idx": node_idx, "hash": node})
            indexes.append(idx)
            leaf_rows.append(
                {
                    "idx": idx,
                    "envelope_id": leaf.envelope_id,
                    "record_key": leaf.record_key,
                    "record_type": leaf.record_type,
                    "jurisdiction": leaf.jurisdiction,
                    "origin": leaf.origin,
                    "version": leaf.version,
                    "payload_digest": leaf.payload_digest,
                    "leaf_hash": leaf.leaf_hash,
                    "leaf": leaf.leaf,
                    "received_at": received_at,
                }
            )
        # Bulk inserts on the tables: the ORM bulk path costs more than the signing on this hot path.
        conn = self.db.connection()
        insert_rows(conn, LogLeaf.__table__, leaf_rows)
        insert_rows(conn, LogNode.__table__, node_rows)
        self.db.execute(
            update(LogState)
            .where(LogState.id == 1)
            .values(size=frontier.size, frontier=orjson.dumps(frontier.to_json()).decode())
        )
        return indexes

    def size(self) -> int:
        size = self.db.execute(select(LogState.size).where(LogState.id == 1)).scalar_one_or_none()
        return size or 0

    def read_nodes(self, keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        """NodeReader for proofs: level 0 from the leaves, higher levels from `log_nodes`."""
        found: dict[tuple[int, int], bytes] = {}
        leaf_idx = [i for level, i in keys if level == 0]
        inner = [(level, i) for level, i in keys if level > 0]
        for chunk in _chunks(leaf_idx):
            rows = self.db.execute(select(LogLeaf.idx, LogLeaf.leaf_hash).where(LogLeaf.idx.in_(chunk)))
            found.update(((0, r.idx), r.leaf_hash) for r in rows)
        for chunk in _chunks(inner):
            rows = self.db.execute(
                select(LogNode.level, LogNode.idx, LogNode.hash).where(
                    tuple_(LogNode.level, LogNode.idx).in_(chunk)
                )
            )
            found.update(((r.level, r.idx), r.hash) for r in rows)
        return found

    def existing(self, envelope_ids: Iterable[str]) -> dict[str, bytes]:
        """envelope id → payload digest, for the ids already in the log."""
        out: dict[str, bytes] = {}
        for chunk in _chunks(list(envelope_ids)):
            rows = self.db.execute(
                select(LogLeaf.envelope_id, LogLeaf.payload_digest).where(LogLeaf.envelope_id.in_(chunk))
            )
            out.update((r.envelope_id, r.payload_digest) for r in rows)
        return out

    def get_by_envelope_id(self, envelope_id: str) -> StoredLeaf | None:
        row = self.db.execute(
            select(
                LogLeaf.idx, LogLeaf.envelope_id, LogLeaf.jurisdiction, LogLeaf.record_type, LogLeaf.leaf
            ).where(LogLeaf.envelope_id == envelope_id)
        ).one_or_none()
        return StoredLeaf(*row) if row else None

    def get_by_index(self, idx: int) -> StoredLeaf | None:
        row = self.db.execute(
            select(
                LogLeaf.idx, LogLeaf.envelope_id, LogLeaf.jurisdiction, LogLeaf.record_type, LogLeaf.leaf
            ).where(LogLeaf.idx == idx)
        ).one_or_none()
        return StoredLeaf(*row) if row else None

    def list_leaves(
        self,
        *,
        start: int,
        limit: int,
        code_prefix: str = "",
        record_types: Sequence[str] | None = None,
        end: int | None = None,
    ) -> list[tuple[int, bytes]]:
        """Leaves with idx ≥ start in log order, of jurisdictions whose code starts with `code_prefix`."""
        stmt = select(LogLeaf.idx, LogLeaf.leaf).where(LogLeaf.idx >= start)
        if end is not None:
            stmt = stmt.where(LogLeaf.idx < end)
        if code_prefix:
            # A range instead of LIKE: exact on both dialects and free of wildcard escaping.
            stmt = stmt.where(LogLeaf.jurisdiction >= code_prefix, LogLeaf.jurisdiction < code_prefix + "~")
        if record_types:
            stmt = stmt.where(LogLeaf.record_type.in_(record_types))
        # Core execution: the ORM row loader costs more than the rest of a feed page.
        rows = self.db.connection().execute(stmt.order_by(LogLeaf.idx).limit(limit))
        return [(idx, leaf) for idx, leaf in rows]

    def add_checkpoint(self, *, size: int, root: bytes, note: str, created_at: datetime) -> None:
        self.db.add(Checkpoint(size=size, root=root, note=note, created_at=created_at))

    def latest_checkpoint(self) -> Checkpoint | None:
        return self.db.execute(
            select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1)
        ).scalar_one_or_none()

    def checkpoint_at(self, size: int) -> Checkpoint | None:
        return self.db.get(Checkpoint, size)


def _chunks(items: Sequence[object]) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
