"""Reads and writes of the remote evaluation and obligation index tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from gateway.store.models.remote_evaluation import (
    ObligationRow,
    RemoteEvent,
    RemoteInvestigation,
    RemoteSeat,
    RemoteSession,
)


class RemoteEvaluationRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def session(self, session_id: str, *, for_update: bool = False) -> RemoteSession | None:
        query = select(RemoteSession).where(RemoteSession.session_id == session_id)
        if for_update:
            # Sequences are gap-free per session: concurrent events of one session take turns.
            query = query.with_for_update()
        return self.db.scalars(query).one_or_none()

    def add_session(self, row: RemoteSession, seats: Iterable[RemoteSeat]) -> None:
        self.db.add(row)
        self.db.add_all(list(seats))
        self.db.flush()

    def seats(self, session_id: str) -> list[RemoteSeat]:
        query = select(RemoteSeat).where(RemoteSeat.session_id == session_id).order_by(RemoteSeat.seat_no)
        return list(self.db.scalars(query))

    def seat(self, session_id: str, expert_id: str) -> RemoteSeat | None:
        return self.db.get(RemoteSeat, (session_id, expert_id))

    def add_event(self, row: RemoteEvent) -> None:
        self.db.add(row)
        self.db.flush()

    def events(self, session_id: str) -> list[RemoteEvent]:
        query = select(RemoteEvent).where(RemoteEvent.session_id == session_id).order_by(RemoteEvent.sequence)
        return list(self.db.scalars(query))

    def event(self, session_id: str, sequence: int) -> RemoteEvent | None:
        return self.db.get(RemoteEvent, (session_id, sequence))

    def fault_start(self, session_id: str, fault_id: str) -> RemoteEvent | None:
        query = select(RemoteEvent).where(
            RemoteEvent.session_id == session_id, RemoteEvent.fault_id == fault_id,
            RemoteEvent.kind == "fault_start")
        return self.db.scalars(query).first()

    def investigation(self, session_id: str, investigation_id: str) -> RemoteInvestigation | None:
        return self.db.get(RemoteInvestigation, (session_id, investigation_id))

    def investigations(self, session_id: str) -> list[RemoteInvestigation]:
        query = select(RemoteInvestigation).where(RemoteInvestigation.session_id == session_id)
        return list(self.db.scalars(query.order_by(RemoteInvestigation.opened_sequence)))

    def add_investigation(self, row: RemoteInvestigation) -> None:
        self.db.add(row)
        self.db.flush()


class ObligationRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, obligation_id: str, *, for_update: bool = False) -> ObligationRow | None:
        query = select(ObligationRow).where(ObligationRow.obligation_id == obligation_id)
        if for_update:
            query = query.with_for_update()
        return self.db.scalars(query).one_or_none()

    def add(self, row: ObligationRow) -> None:
        self.db.add(row)
        self.db.flush()

    def awaiting(self, envelope_id: str) -> list[ObligationRow]:
        query = select(ObligationRow).where(
            ObligationRow.awaited_envelope_id == envelope_id, ObligationRow.status == "open")
        return list(self.db.scalars(query.with_for_update()))

    def open_awaiting(self) -> list[ObligationRow]:
        """Open duties waiting for the receipt of an envelope already sent (copies)."""
        query = select(ObligationRow).where(
            ObligationRow.awaited_envelope_id.is_not(None), ObligationRow.status == "open")
        return list(self.db.scalars(query.order_by(ObligationRow.due_at)))

    def of_subject(self, subject_id: str, *, kind: str | None = None) -> list[ObligationRow]:
        query = select(ObligationRow).where(ObligationRow.subject_id == subject_id)
        if kind is not None:
            query = query.where(ObligationRow.kind == kind)
        return list(self.db.scalars(query.order_by(ObligationRow.obligation_id)))

    def open_due_before(self, moment: datetime) -> list[ObligationRow]:
        query = select(ObligationRow).where(ObligationRow.status == "open", ObligationRow.due_at < moment)
        return list(self.db.scalars(query.order_by(ObligationRow.due_at, ObligationRow.obligation_id)))

    def count_open_by_due(self, *, now: datetime, soon_before: datetime) -> tuple[int, int]:
        """(overdue, due soon) among open duties: due at or before `now`, and due after `now` but
        before `soon_before` (the sweep's reading of both)."""
        overdue = ObligationRow.due_at <= now
        row = self.db.execute(
            select(func.count(case((overdue, 1))), func.count(case((~overdue, 1))))
            .where(ObligationRow.status == "open", ObligationRow.due_at < soon_before)
        ).one()
        return int(row[0]), int(row[1])

    def listed(self, *, statuses: Sequence[str], prefix: str, due_from: datetime | None = None,
               due_before: datetime | None = None, limit: int = 500) -> list[ObligationRow]:
        """Obligations whose debtor or creditor lies under `prefix` ('' = all), earliest due first."""
        query = select(ObligationRow).where(ObligationRow.status.in_(list(statuses)))
        if prefix:
            query = query.where(or_(ObligationRow.debtor_region.startswith(prefix),
                                    ObligationRow.creditor_region.startswith(prefix)))
        if due_from is not None:
            query = query.where(ObligationRow.due_at >= due_from)
        if due_before is not None:
            query = query.where(ObligationRow.due_at < due_before)
        order = (ObligationRow.due_at, ObligationRow.obligation_id)
        return list(self.db.scalars(query.order_by(*order).limit(limit)))
