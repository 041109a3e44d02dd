"""Complaint cases: recording each step as signed records, the actions of the competent department,
and what a reader sees.

Every state change appends, through the standard ingest (signed, logged, sent on by the exchange),
one `complaint.event` (sequence n+1: action, resulting state, actor, time, reason) and a new
version of the `complaint` record carrying the current state. Both have the project's region as
their jurisdiction: the exchange routes a record to the node of its jurisdiction and up the tree,
so a complaint filed here about a project elsewhere reaches the competent node as a signed envelope
without any transport of its own here. The `complaints` row is an index over those records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from gateway.services.auth import Principal
from gateway.services.complaint_state import (
    ACCEPTANCE,
    DECISION,
    FLAG_CALENDAR_MISSING,
    STAGE_STATE,
    deadline_view,
    step_deadline,
)
from gateway.services.identity import NodeIdentity
from gateway.services.ingest import ingest_standard
from gateway.store.models import ComplaintCase
from gateway.store.repositories.complaint import ComplaintRepository
from gateway.store.repositories.log import LogRepository
from gateway.store.repositories.record import RecordHeadRepository
from schemas.deadlines import CHINA_TZ
from schemas.errors import CalendarError, GatewayError, NotFoundError
from signing.canonical import canonicalize
from signing.envelope import record_key

COMPLAINT_SOURCE = "complaints"
# No rule file times this step for the trade type: no deadline is stated, and the case says so.
FLAG_NO_RULE = "no_deadline_rule"


class ComplaintInvalidError(GatewayError):
    code = "complaint.invalid"
    status = 422


class NotCompetentError(GatewayError):
    code = "complaint.not_competent"
    status = 403


class ComplaintNotFoundError(NotFoundError):
    code = "complaint.not_found"


class ComplaintLogError(GatewayError):
    """The log refused a complaint record the service built: a defect, never a client error."""

    code = "complaint.log_refused"
    status = 500


def stamp(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def invalid(pointer: str, message: str, code: str = ComplaintInvalidError.code) -> ComplaintInvalidError:
    return ComplaintInvalidError(message, details=[{"pointer": pointer, "code": code, "message": message}])


def actor_of(principal: Principal) -> dict[str, str]:
    actor = {"name": principal.subject or principal.role, "role": principal.role,
             "region_code": principal.jurisdiction}
    if principal.role == "department" and principal.subject:
        actor["department_code"] = principal.subject
    return actor


def ensure_competent(principal: Principal, case: ComplaintCase) -> None:
    """Only the competent department acts: a department token whose subject is the department code and
    whose jurisdiction is the department's region."""
    if (principal.role, principal.subject, principal.jurisdiction) != (
        "department", case.department_code, case.department_region
    ):
        raise NotCompetentError(
            f"complaint {case.complaint_id} is handled by {case.department_code} "
            f"({case.department_region}); this token is not that department"
        )


@dataclass(frozen=True)
class Step:
    """One state change to record: the event's action, the stage it leaves the case in, who and why."""

    action: str
    stage: str
    actor: Mapping[str, Any]
    reason: str | None = None
    event_fields: Mapping[str, Any] | None = None
    payload_changes: Mapping[str, Any] | None = None


def record_step(db: Session, case: ComplaintCase, *, node: NodeIdentity, now: datetime, step: Step) -> None:
    record_steps(db, case, node=node, now=now, steps=[step])


def record_steps(
    db: Session, case: ComplaintCase, *, node: NodeIdentity, now: datetime, steps: Sequence[Step]
) -> None:
    """Append, in one batch, each step's event and the complaint's next version; move the case on."""
    items: list[dict[str, Any]] = []
    for step in steps:
        # A later version per change: a version equal to the one held would be refused as a conflict.
        first = not case.record_ids and not items
        version = now if first else max(now, case.version_at + timedelta(seconds=1))
        state = STAGE_STATE[step.stage]
        payload = {**case.payload, **(step.payload_changes or {}), "state": state,
                   "data_timestamp": stamp(version)}
        case.sequence += 1
        event = {
            "data_timestamp": stamp(now),
            "complaint_id": case.complaint_id,
            "sequence": case.sequence,
            "action": step.action,
            "state": state,
            "occurred_at": stamp(now),
            "actor": dict(step.actor),
            "region_code": case.jurisdiction,
            **({"filing_region": payload["filing_region"]} if payload.get("filing_region") else {}),
            **({"reason": step.reason} if step.reason else {}),
            **(step.event_fields or {}),
        }
        items += [{"type": "complaint", "jurisdiction": case.jurisdiction, "payload": payload},
                  {"type": "complaint.event", "jurisdiction": case.jurisdiction, "payload": event}]
        case.payload, case.version_at, case.stage = payload, version, step.stage
    ids = append_records(db, node=node, now=now, items=items)
    case.record_ids = [*case.record_ids, *ids[0::2]]
    case.event_ids = [*case.event_ids, *ids[1::2]]
    case.updated_at = now


def append_records(db: Session, *, node: NodeIdentity, now: datetime, items: Sequence[Any]) -> list[str]:
    outcomes = ingest_standard(db, items=items, node=node, source_system=COMPLAINT_SOURCE, now=now)
    refused = [o for o in outcomes if o.status not in ("accepted", "duplicate") or o.id is None]
    if refused:
        raise ComplaintLogError("complaint records refused by the log", details=refused[0].reasons)
    return [o.id for o in outcomes if o.id is not None]


def refresh_deadline(case: ComplaintCase) -> None:
    """Recompute the running deadline of the case's stage; a missing calendar year flags the case."""
    step = {"received": ACCEPTANCE, "routed": ACCEPTANCE, "accepted": DECISION,
            "investigating": DECISION}.get(case.stage)
    previous = (case.due_step, case.due_at)
    flags = [flag for flag in case.flags if flag not in (FLAG_CALENDAR_MISSING, FLAG_NO_RULE)]
    due_at = None
    if step is not None:
        try:
            deadline = step_deadline(step=step, jurisdiction=case.jurisdiction, trade_type=case.trade_type,
                                     received_at=case.received_at, accepted_at=case.accepted_at,
                                     pauses=case.pauses, extensions=case.extensions)
        except CalendarError as exc:
            flags.append(FLAG_CALENDAR_MISSING)
            failed = {"step": step, "error": exc.code, "message": exc.message}
            case.deadlines = {**case.deadlines, step: failed}
        else:
            if deadline is None:
                flags.append(FLAG_NO_RULE)
            else:
                due_at = deadline.due
                case.deadlines = {**case.deadlines, step: deadline_view(step, deadline)}
    case.flags = flags
    case.due_step, case.due_at = (step if due_at is not None else None), due_at
    if (case.due_step, case.due_at) != previous:
        case.due_status, case.escalated_at = "", None


def matter_key(payload: Mapping[str, Any]) -> str:
    """One matter: the same complainant about the same project, section and respondents."""
    complainant = payload["complainant"]
    respondents = sorted(r.get("code") or r["name"] for r in payload["respondents"])
    matter = [complainant.get("code") or complainant["name"], payload["tender_project_code"],
              payload.get("bid_section_code") or "", respondents]
    return hashlib.sha256(canonicalize(matter)).hexdigest()


def held_project(db: Session, region_code: str, tender_project_code: str) -> dict[str, Any] | None:
    """The payload of the tender.project record held for the code in the project's region."""
    key = record_key("tender.project", region_code, [tender_project_code])
    head = RecordHeadRepository(db).get_many([key]).get(key)
    stored = None if head is None else LogRepository(db).get_by_envelope_id(head.envelope_id)
    if stored is None:
        return None
    project: dict[str, Any] = orjson.loads(stored.leaf)["payload"]
    return project


def get_case(db: Session, complaint_id: str, *, for_update: bool = False) -> ComplaintCase:
    case = ComplaintRepository(db).get_by_id(complaint_id, for_update=for_update)
    if case is None:
        raise ComplaintNotFoundError(f"complaint {complaint_id} not found")
    return case


def complaint_view(case: ComplaintCase, *, status: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "complaint_id": case.complaint_id,
        "stage": case.stage,
        "state": case.payload.get("state"),
        "jurisdiction": case.jurisdiction,
        "trade_type": case.trade_type,
        "department": case.payload.get("competent_department"),
        "received_at": stamp(case.received_at),
        "first_received_at": stamp(case.first_received_at),
        "accepted_at": None if case.accepted_at is None else stamp(case.accepted_at),
        "due_step": case.due_step,
        "due_at": None if case.due_at is None else stamp(case.due_at),
        "due_status": case.due_status,
        "deadlines": case.deadlines,
        "flags": case.flags,
        "screening": case.screening,
        "pauses": case.pauses,
        "extensions": case.extensions,
        "sequence": case.sequence,
        "event_ids": case.event_ids,
        "record_ids": case.record_ids,
    }
    if status is not None:
        view["status"] = status
    return view
