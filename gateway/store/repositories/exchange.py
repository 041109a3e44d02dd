"""Outbox, deliveries and attempts: every query of the sending side of the exchange.

Sequence numbers come from the outbox row, updated in the appending transaction: on PostgreSQL the
row lock orders concurrent writers, on SQLite the write lock does, so numbers are dense per
(destination, stream) and follow log order. Batches are locked with SKIP LOCKED, so two relays never
send the same rows at once; SQLite has a single writer and ignores the clause.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_rows
from gateway.store.models.exchange import FAILED, PENDING, Delivery, DeliveryAttempt, Outbox
from gateway.store.models.log import LogLeaf

_CHUNK = 900  # below SQLite's bound-parameter limit for IN lists


@dataclass(frozen=True, slots=True)
class NewDelivery:
    envelope_id: str
    target_node: str
    stream: str


@dataclass(frozen=True, slots=True)
class Head:
    """The lowest PENDING delivery of one outbox row: where the stream must go on from."""

    id: int
    seq: int
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class Backlog:
    """What one destination has not received: waiting deliveries (some of them tried and failed
    transiently), deliveries stopped for good, and the enqueue time of the oldest waiting one."""

    target_node: str
    waiting: int
    retrying: int
    failed: int
    oldest_waiting_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutgoingDelivery:
    id: int
    outbox_id: int
    envelope_id: str
    target_node: str
    stream: str
    seq: int
    status: str
    attempts: int
    record_type: str | None
    leaf: bytes | None  # the envelope as held in the log; None if the log lacks it


class ExchangeRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # ---- enqueue (in the appending transaction) ----

    def reserve_seqs(self, *, target_node: str, stream: str, count: int, now: datetime) -> tuple[int, int]:
        """(outbox id, first of `count` consecutive sequence numbers) for (target_node, stream)."""
        dialect = self.db.get_bind().dialect.name
        builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.db.execute(builder(Outbox).values(target_node=target_node, stream=stream, next_seq=0,
                                               created_at=now).on_conflict_do_nothing())
        row = self.db.execute(
            update(Outbox).where(Outbox.target_node == target_node, Outbox.stream == stream)
            .values(next_seq=Outbox.next_seq + count).returning(Outbox.id, Outbox.next_seq),
            execution_options={"synchronize_session": False},
        ).one()
        return int(row.id), int(row.next_seq) - count

    def existing_targets(self, envelope_ids: Iterable[str]) -> set[tuple[str, str]]:
        """(envelope id, target node) pairs that already have a delivery."""
        found: set[tuple[str, str]] = set()
        for chunk in _chunks(list(dict.fromkeys(envelope_ids))):
            rows = self.db.execute(select(Delivery.envelope_id, Delivery.target_node)
                                   .where(Delivery.envelope_id.in_(chunk)))
            found.update((r.envelope_id, r.target_node) for r in rows)
        return found

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            insert_rows(self.db.connection(), Delivery.__table__, list(rows))

    # ---- delivering ----

    def head(self, outbox_id: int) -> Head | None:
        row = self.db.execute(
            select(Delivery.id, Delivery.seq, Delivery.next_attempt_at)
            .where(Delivery.outbox_id == outbox_id, Delivery.status == PENDING)
            .order_by(Delivery.seq).limit(1)
        ).one_or_none()
        return Head(row.id, row.seq, row.next_attempt_at) if row else None

    def lock_delivery(self, delivery_id: int) -> tuple[int, str] | None:
        """(outbox id, status) of the delivery, locked; None if it is unknown or another worker holds it."""
        row = self.db.execute(
            select(Delivery.outbox_id, Delivery.status).where(Delivery.id == delivery_id)
            .with_for_update(skip_locked=True)
        ).one_or_none()
        return (row.outbox_id, row.status) if row else None

    def lock_batch(self, outbox_id: int, *, from_seq: int, limit: int) -> list[OutgoingDelivery]:
        """PENDING deliveries of the outbox row from `from_seq` on, in order, locked; rows that another
        worker holds are skipped, so the first row returned may lie past `from_seq`."""
        stmt = (
            _outgoing().where(Delivery.outbox_id == outbox_id, Delivery.status == PENDING,
                              Delivery.seq >= from_seq)
            .order_by(Delivery.seq).limit(limit).with_for_update(skip_locked=True, of=Delivery)
        )
        return [OutgoingDelivery(*row) for row in self.db.execute(stmt)]

    def statuses_between(self, outbox_id: int, low: int, high: int) -> dict[int, tuple[int, str]]:
        """seq → (delivery id, status) for low ≤ seq < high."""
        rows = self.db.execute(select(Delivery.seq, Delivery.id, Delivery.status).where(
            Delivery.outbox_id == outbox_id, Delivery.seq >= low, Delivery.seq < high))
        return {r.seq: (r.id, r.status) for r in rows}

    def touch(self, delivery_id: int) -> None:
        """A write that changes nothing, to take SQLite's write lock (and the row's lock elsewhere) now."""
        self.db.execute(update(Delivery).where(Delivery.id == delivery_id).values(attempts=Delivery.attempts),
                        execution_options={"synchronize_session": False})

    def states(self, delivery_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """delivery id → (status, attempts)."""
        found: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(list(delivery_ids)):
            rows = self.db.execute(select(Delivery.id, Delivery.status, Delivery.attempts)
                                   .where(Delivery.id.in_(chunk)))
            found.update((r.id, (r.status, r.attempts)) for r in rows)
        return found

    def apply(self, changes: Sequence[dict[str, Any]]) -> None:
        """Bulk update by primary key: each dict holds `id` and the same set of columns."""
        if changes:
            self.db.execute(update(Delivery), list(changes))

    def add_attempts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.db.connection().execute(insert(DeliveryAttempt), list(rows))

    def get_outbox(self, outbox_id: int) -> Outbox | None:
        return self.db.get(Outbox, outbox_id)

    # ---- sweeping, files, operators ----

    def list_due_outboxes(self, now: datetime, *, exclude_targets: Sequence[str] = (),
                          limit: int = 1000) -> list[int]:
        stmt = (select(Delivery.outbox_id).where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
                .group_by(Delivery.outbox_id).order_by(Delivery.outbox_id).limit(limit))
        if exclude_targets:
            stmt = stmt.where(Delivery.target_node.not_in(list(exclude_targets)))
        return list(self.db.execute(stmt).scalars())

    def next_due_at(self, *, exclude_targets: Sequence[str] = ()) -> datetime | None:
        stmt = select(func.min(Delivery.next_attempt_at)).where(Delivery.status == PENDING)
        if exclude_targets:
            stmt = stmt.where(Delivery.target_node.not_in(list(exclude_targets)))
        due: datetime | None = self.db.execute(stmt).scalar_one_or_none()  # min() keeps the column type
        return due

    def list_pending_for_target(self, target_node: str, *, limit: int) -> list[OutgoingDelivery]:
        stmt = (_outgoing().where(Delivery.target_node == target_node, Delivery.status == PENDING)
                .order_by(Delivery.stream, Delivery.seq).limit(limit))
        return [OutgoingDelivery(*row) for row in self.db.execute(stmt)]

    def lock_by_seqs(self, target_node: str, stream: str, seqs: Sequence[int]) -> dict[int, OutgoingDelivery]:
        found: dict[int, OutgoingDelivery] = {}
        for chunk in _chunks(list(seqs)):
            stmt = (_outgoing().where(Delivery.target_node == target_node, Delivery.stream == stream,
                                      Delivery.seq.in_(chunk)).with_for_update(of=Delivery))
            found.update((row.seq, OutgoingDelivery(*row)) for row in self.db.execute(stmt))
        return found

    def reopen(self, *, now: datetime, target_node: str | None = None, failed_only: bool = True) -> int:
        """FAILED (and, unless `failed_only`, waiting PENDING) deliveries become due now; returns how many."""
        statuses = [FAILED] if failed_only else [FAILED, PENDING]
        stmt = update(Delivery).where(Delivery.status.in_(statuses))
        if target_node:
            stmt = stmt.where(Delivery.target_node == target_node)
        result = self.db.execute(stmt.values(status=PENDING, next_attempt_at=now),
                                 execution_options={"synchronize_session": False})
        return int(result.rowcount)  # type: ignore[attr-defined]

    def summary(self) -> list[dict[str, Any]]:
        """Per (destination, stream, status): count, lowest seq, earliest next attempt, a last error."""
        rows = self.db.execute(
            select(Delivery.target_node, Delivery.stream, Delivery.status, func.count(),
                   func.min(Delivery.seq), func.min(Delivery.next_attempt_at), func.max(Delivery.last_error))
            .group_by(Delivery.target_node, Delivery.stream, Delivery.status)
            .order_by(Delivery.target_node, Delivery.stream, Delivery.status)
        )
        return [{"target": r[0], "stream": r[1], "status": r[2], "count": r[3], "first_seq": r[4],
                 "next_attempt_at": r[5], "last_error": r[6]} for r in rows]

    def list_backlogs(self) -> list[Backlog]:
        """One row per destination of the outbox, those with nothing left to send included.

        Joined from the small outbox table on the (outbox_id, status) index, so the cost follows the
        undelivered rows, never the delivered history."""
        undelivered = and_(Delivery.outbox_id == Outbox.id, Delivery.status.in_([PENDING, FAILED]))
        waiting = Delivery.status == PENDING
        rows = self.db.execute(
            select(Outbox.target_node,
                   func.count(case((waiting, 1))),
                   func.count(case((and_(waiting, Delivery.attempts > 0), 1))),
                   func.count(case((Delivery.status == FAILED, 1))),
                   func.min(case((waiting, Delivery.created_at))))
            .outerjoin(Delivery, undelivered)
            .group_by(Outbox.target_node).order_by(Outbox.target_node)
        )
        return [Backlog(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def attempts_of(self, delivery_id: int) -> list[DeliveryAttempt]:
        return list(self.db.execute(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
                                    .order_by(DeliveryAttempt.number)).scalars())

    def get_by_envelope(self, envelope_id: str, target_node: str) -> Delivery | None:
        stmt = select(Delivery).where(Delivery.envelope_id == envelope_id,
                                      Delivery.target_node == target_node)
        return self.db.execute(stmt).scalar_one_or_none()


def _outgoing() -> Any:
    return select(
        Delivery.id, Delivery.outbox_id, Delivery.envelope_id, Delivery.target_node, Delivery.stream,
        Delivery.seq, Delivery.status, Delivery.attempts, LogLeaf.record_type, LogLeaf.leaf,
    ).outerjoin(LogLeaf, LogLeaf.envelope_id == Delivery.envelope_id)


def _chunks(items: Sequence[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])

