"""Watching obligations: listing them by state, and the sweep that warns and escalates.

The sweep raises, once per duty, an `obligation.due_soon` alert to the debtor's region when the due
time is near, and an `obligation.overdue` alert to the supervising level above the debtor (county →
city → province; a province is its own supervising level here) once the due time has passed with
the duty open. Alerts are `alert` records appended through the standard ingest, so readers of that
level see them in the feeds. A duty met late later is still recorded as late (obligations.fulfil).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.workflow_records import append_record, stamp
from gateway.store.models.remote_evaluation import ObligationRow
from gateway.store.repositories.remote_evaluation import ObligationRepository
from schemas.regions import region_parents

ALERT_SOURCE = "obligations"
DEFAULT_DUE_SOON = timedelta(days=2)
ListedStatus = Literal["due", "overdue", "fulfilled"]
_KIND_NAMES = {"copy": "调查结果抄送", "handover": "副场资料移交", "feedback": "投诉处理反馈",
               "assistance_answer": "协助函复函"}


@dataclass
class SweepReport:
    due_soon: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)  # alerted by this sweep (overdue ones, first time)


def list_obligations(db: Session, *, status: ListedStatus, prefix: str, now: datetime,
                     limit: int = 500) -> list[ObligationRow]:
    """`due`: open and not yet due; `overdue`: open past the due time; `fulfilled`: met (late or not)."""
    repo = ObligationRepository(db)
    if status == "due":
        return repo.listed(statuses=["open"], prefix=prefix, due_from=now, limit=limit)
    if status == "overdue":
        return repo.listed(statuses=["open"], prefix=prefix, due_before=now, limit=limit)
    return repo.listed(statuses=["fulfilled"], prefix=prefix, limit=limit)


def supervising_level(region: str) -> str:
    parents = region_parents(region, include_groupings=False)
    return parents[0] if parents else region


def sweep_obligations(db: Session, *, node: NodeIdentity, now: datetime,
                      due_soon: timedelta = DEFAULT_DUE_SOON) -> SweepReport:
    report = SweepReport()
    for row in ObligationRepository(db).open_due_before(now + due_soon):
        if row.due_at <= now:
            report.overdue.append(row.obligation_id)
            if row.escalated_at is None:
                target = supervising_level(row.debtor_region)
                _raise(db, node, row, "obligation.overdue", "critical", target, now)
                row.escalated_at, row.escalated_to = now, target
                report.escalated.append(row.obligation_id)
        else:
            report.due_soon.append(row.obligation_id)
            if row.due_soon_alerted_at is None:
                _raise(db, node, row, "obligation.due_soon", "warning", row.debtor_region, now)
                row.due_soon_alerted_at = now
    db.flush()
    return report


def _raise(db: Session, node: NodeIdentity, row: ObligationRow, kind: str, severity: str,
           jurisdiction: str, now: datetime) -> str:
    alert_id = f"{kind}-{hashlib.sha256(row.obligation_id.encode()).hexdigest()[:24]}"
    debtor, creditor = row.payload["debtor"], row.payload["creditor"]
    what = _KIND_NAMES.get(row.kind, row.kind)
    state = "已逾期未履行" if kind == "obligation.overdue" else "即将到期"
    details: dict[str, Any] = {
        "obligation_id": row.obligation_id, "obligation_kind": row.kind, "subject_id": row.subject_id,
        "debtor": debtor, "creditor": creditor, "due_at": row.payload["due_at"],
        "rule_id": row.payload["rule_id"], "rule_source": row.payload["rule_source"],
        "obligation_envelope_id": row.envelope_id,
    }
    if kind == "obligation.overdue":
        details["escalated_to"] = jurisdiction
    payload = {
        "data_timestamp": stamp(now), "alert_id": alert_id, "kind": kind, "severity": severity,
        "jurisdiction": jurisdiction, "subject_ids": [row.obligation_id, row.envelope_id],
        "summary": f"{debtor['name']}对{creditor['name']}的{what}义务{state}"
                   f"（期限{row.payload['due_at']}，依据{row.payload['rule_source']}）",
        "details": details, "raised_at": stamp(now),
    }
    return append_record(db, node=node, record_type="alert", jurisdiction=jurisdiction, payload=payload,
                         source_system=ALERT_SOURCE, ref=alert_id, now=now)
