"""Complaint cases: lookups by id and matter, listings by deadline status, and the sweep's marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from gateway.store.models import ComplaintCase

# Stages after which a new filing on the same matter is a new case, not a duplicate.
REFILABLE_STAGES = ("not_accepted", "referred", "withdrawn")
CLOSED_STAGES = (*REFILABLE_STAGES, "decided", "feedback_sent", "published")
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class OverdueCase:
    complaint_id: str
    jurisdiction: str
    department_code: str
    department_region: str
    due_step: str | None
    due_at: datetime


class ComplaintRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, case: ComplaintCase) -> None:
        self.db.add(case)
        self.db.flush()

    def get_by_id(self, complaint_id: str, *, for_update: bool = False) -> ComplaintCase | None:
        query = select(ComplaintCase).where(ComplaintCase.complaint_id == complaint_id)
        if for_update:
            query = query.with_for_update()
        return self.db.execute(query).scalar_one_or_none()

    def get_by_matter(self, matter_key: str) -> ComplaintCase | None:
        """The case that holds a matter: the earliest received one not refused, referred or withdrawn."""
        return self.db.execute(
            select(ComplaintCase)
            .where(ComplaintCase.matter_key == matter_key, ComplaintCase.stage.not_in(REFILABLE_STAGES))
            .order_by(ComplaintCase.first_received_at, ComplaintCase.complaint_id)
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()

    def list_cases(
        self, *, code_prefix: str, due_status: str | None, limit: int, after: str | None = None
    ) -> list[ComplaintCase]:
        query = select(ComplaintCase).where(ComplaintCase.jurisdiction.startswith(code_prefix))
        if due_status is not None:
            query = query.where(ComplaintCase.due_status == due_status)
        if after is not None:
            query = query.where(ComplaintCase.complaint_id > after)
        return list(self.db.execute(query.order_by(ComplaintCase.complaint_id).limit(limit)).scalars())

    def list_newly_overdue(self, now: datetime) -> list[OverdueCase]:
        rows = self.db.execute(
            select(
                ComplaintCase.complaint_id,
                ComplaintCase.jurisdiction,
                ComplaintCase.department_code,
                ComplaintCase.department_region,
                ComplaintCase.due_step,
                ComplaintCase.due_at,
            ).where(ComplaintCase.due_at <= now, ComplaintCase.due_status != "overdue")
        )
        return [OverdueCase(*row) for row in rows]

    def count_open_by_due(self, *, now: datetime, threshold: datetime) -> tuple[int, int]:
        """(overdue, due soon) among cases still open: the running deadline at or before `now`, and
        after `now` but not after `threshold` (the sweep's reading of both)."""
        overdue = ComplaintCase.due_at <= now
        row = self.db.execute(
            select(func.count(case((overdue, 1))), func.count(case((~overdue, 1))))
            .where(ComplaintCase.due_at <= threshold, ComplaintCase.stage.not_in(CLOSED_STAGES))
        ).one()
        return int(row[0]), int(row[1])

    def mark_overdue(self, now: datetime) -> int:
        result = self.db.execute(
            update(ComplaintCase)
            .where(ComplaintCase.due_at <= now, ComplaintCase.due_status != "overdue")
            .values(due_status="overdue")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def mark_due_soon(self, now: datetime, threshold: datetime) -> int:
        result = self.db.execute(
            update(ComplaintCase)
            .where(
                ComplaintCase.due_at > now,
                ComplaintCase.due_at <= threshold,
                ComplaintCase.due_status == "",
            )
            .values(due_status="due_soon")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def mark_escalated(self, complaint_ids: Sequence[str], now: datetime) -> None:
        ids = list(complaint_ids)
        for start in range(0, len(ids), _CHUNK):
            self.db.execute(
                update(ComplaintCase)
                .where(ComplaintCase.complaint_id.in_(ids[start : start + _CHUNK]))
                .values(escalated_at=now)
                .execution_options(synchronize_session=False)
            )
