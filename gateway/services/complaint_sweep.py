"""The periodic complaint sweep: `sweep_complaints(db, *, node, now)`.

Marks cases whose running deadline falls before the end of the next working day as `due_soon`, and
those past it as `overdue`; each case that becomes overdue is escalated to the supervising level
(the parent region of the handling department: county → city → province) as an `alert` record of
kind `complaint.overdue` in the log, which the exchange delivers to that level's node. Marks are
set-based updates on the indexed `due_at`, so the sweep's cost is the number of cases that change
(plus the alerts raised), not the number of open cases. Re-running it at the same `now` changes
nothing: an escalated case is not escalated again until its deadline changes.

The caller owns the transaction (a periodic task commits after the call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.complaint_state import due_soon_threshold
from gateway.services.complaints import append_records, stamp
from gateway.services.identity import NodeIdentity
from gateway.store.repositories.complaint import ComplaintRepository, OverdueCase
from schemas.regions import region_parents

ALERT_KIND = "complaint.overdue"
STEP_NAMES = {"complaint.acceptance": "受理决定", "complaint.decision": "处理决定"}


@dataclass(frozen=True)
class SweepResult:
    due_soon: int
    overdue: int
    escalated: list[str]  # complaint ids escalated by this sweep
    alert_ids: list[str]  # envelope ids of the alerts logged


def sweep_complaints(db: Session, *, node: NodeIdentity, now: datetime) -> SweepResult:
    repo = ComplaintRepository(db)
    newly = repo.list_newly_overdue(now)
    overdue = repo.mark_overdue(now)
    due_soon = repo.mark_due_soon(now, due_soon_threshold(now))
    alert_ids: list[str] = []
    if newly:
        items = [{"type": "alert", "jurisdiction": _supervisor(case), "payload": _alert(case, now)}
                 for case in newly]
        alert_ids = append_records(db, node=node, now=now, items=items)
        repo.mark_escalated([case.complaint_id for case in newly], now)
    return SweepResult(due_soon, overdue, [case.complaint_id for case in newly], alert_ids)


def _supervisor(case: OverdueCase) -> str:
    parents = region_parents(case.department_region, include_groupings=False)
    return parents[0] if parents else case.department_region


def _alert(case: OverdueCase, now: datetime) -> dict[str, Any]:
    step = STEP_NAMES.get(case.due_step or "", case.due_step or "办理")
    return {
        "data_timestamp": stamp(now),
        "alert_id": f"{ALERT_KIND}-{case.complaint_id}-{case.due_step}-{stamp(case.due_at)}",
        "kind": ALERT_KIND,
        "severity": "critical",
        "jurisdiction": _supervisor(case),
        "subject_ids": [case.complaint_id],
        "summary": f"投诉 {case.complaint_id} 的{step}期限 {stamp(case.due_at)} 已逾期，"
                   f"承办部门 {case.department_code}，报上级监督",
        "details": {
            "complaint_id": case.complaint_id,
            "step": case.due_step,
            "due_at": stamp(case.due_at),
            "department_code": case.department_code,
            "department_region": case.department_region,
            "project_region": case.jurisdiction,
        },
        "raised_at": stamp(now),
    }
