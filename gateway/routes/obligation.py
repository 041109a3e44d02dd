"""GET /api/v1/obligations: duties (抄送, 移交, 反馈, 复函) by state, within the caller's subtree."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from gateway.deps import DbDep, NodeDep, NowDep, requires
from gateway.services.access_log import log_access
from gateway.services.auth import Principal
from gateway.services.obligation_watch import ListedStatus, list_obligations
from gateway.services.scope import narrowed_prefix
from gateway.store.models.remote_evaluation import ObligationRow

router = APIRouter(prefix="/api/v1/obligations", tags=["obligations"])
Reader = Annotated[Principal, Depends(requires("obligations:read"))]


class ObligationRead(BaseModel):
    obligation_id: str
    envelope_id: str
    kind: str
    status: str
    overdue: bool
    late: bool | None
    due_at: datetime
    fulfilled_at: datetime | None
    escalated_to: str | None
    record: dict[str, Any]

    @classmethod
    def of(cls, row: ObligationRow, now: datetime) -> ObligationRead:
        return cls(obligation_id=row.obligation_id, envelope_id=row.envelope_id, kind=row.kind,
                   status=row.status, overdue=row.status == "open" and row.due_at <= now, late=row.late,
                   due_at=row.due_at, fulfilled_at=row.fulfilled_at, escalated_to=row.escalated_to,
                   record=row.payload)


class ObligationPage(BaseModel):
    items: list[ObligationRead]


@router.get("", response_model=ObligationPage, responses={404: {"description": "record.not_found"}})
def get_obligations(
    db: DbDep, node: NodeDep, now: NowDep, principal: Reader,
    status: Annotated[ListedStatus, Query(description="due, overdue or fulfilled")] = "due",
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> ObligationPage:
    """Duties whose debtor or creditor lies in `jurisdiction` (default: the caller's subtree)."""
    prefix = narrowed_prefix(principal, jurisdiction)
    rows = list_obligations(db, status=status, prefix=prefix, now=now, limit=limit)
    log_access(db, node=node, principal=principal, resource="obligation", now=now, result_count=len(rows),
               query={"status": status, "jurisdiction": jurisdiction or ""})
    return ObligationPage(items=[ObligationRead.of(row, now) for row in rows])
