"""What the competent department does with a case: `act(db, complaint_id=…, action=…, body=…)`.

Each action is checked against the state machine (complaint.illegal_transition) and the caller's
competence (complaint.not_competent), then recorded as a signed event plus the complaint's next
version. Transfers and referrals name the target department by kind and region; a refusal names a
reason code of the routing file; a pause names a period the decision rules exclude; an extension
carries its approver (who must be the rule's configured approver) and the approval document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gateway.services.auth import Principal
from gateway.services.complaint_exchange import FLAG_HANDLED_ELSEWHERE, hand_over, handled_here
from gateway.services.complaint_routing import RoutingTable, default_routing
from gateway.services.complaint_state import (
    DECISION,
    PauseNotAllowedError,
    pausable_kinds,
    step_deadline,
    transition,
)
from gateway.services.complaints import (
    NotCompetentError,
    Step,
    actor_of,
    complaint_view,
    ensure_competent,
    get_case,
    invalid,
    record_step,
    refresh_deadline,
    stamp,
)
from gateway.services.identity import NodeIdentity
from gateway.store.models import ComplaintCase
from gateway.store.repositories.log import LogRepository
from schemas.deadlines import CHINA_TZ
from schemas.errors import CalendarError
from sync.publish import current_directory


@dataclass
class _Step:
    case: ComplaintCase
    body: Mapping[str, Any]
    reason: str | None
    event: dict[str, Any]
    changes: dict[str, Any]
    now: datetime
    routing: RoutingTable


DECISIONS = ("upheld", "partly_upheld", "dismissed")
SUSPENSION = "责令暂停招标投标活动 (招标投标法实施条例 第六十二条)"


def act(
    db: Session, *, node: NodeIdentity, principal: Principal, complaint_id: str, body: Any, now: datetime,
    routing: RoutingTable | None = None,
) -> dict[str, Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get("action"), str):
        raise invalid("/action", "an action object {action, reason?, …}")
    routing = routing or default_routing()
    # The log's writer lock before the case is read: the step is appended to the log anyway, and taking
    # the lock first keeps one lock order with the inbox (log, then case row) and, on SQLite, keeps the
    # read from going stale before the write (a stale read snapshot cannot be upgraded to a writer).
    LogRepository(db).lock_state()
    case = get_case(db, complaint_id, for_update=True)
    if FLAG_HANDLED_ELSEWHERE in case.flags:
        raise NotCompetentError(f"complaint {complaint_id} was forwarded to the node of "
                                f"{case.department_code}: it is handled there, this node follows it")
    ensure_competent(principal, case)
    step = transition(body["action"], case.stage)
    target = step.target or case.stage
    reason = body.get("reason") if isinstance(body.get("reason"), str) and body.get("reason") else None
    event: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    if isinstance(body.get("documents"), list) and body["documents"]:
        event["documents"] = body["documents"]
    handler = _HANDLERS.get(body["action"])
    if handler is not None:
        reason = handler(_Step(case, body, reason, event, changes, now, routing))
    if "due_at" not in event:  # the deadline the step leaves running travels with it (to the filing node)
        event.update(_running_due(case, target))
    record_step(db, case, node=node, now=now, step=Step(step.record_action, target, actor_of(principal),
                                                        reason, event, changes))
    refresh_deadline(case)
    if not handled_here(node, current_directory(now), case.department_region):
        hand_over(case)  # transferred to a department another node covers: that node handles it now
    return complaint_view(case)


def _running_due(case: ComplaintCase, stage: str) -> dict[str, str]:
    """`{"due_at": …}` of the deadline that runs once the case is in `stage`, if one does."""
    before = case.stage
    case.stage = stage
    try:
        refresh_deadline(case)
    finally:
        case.stage = before
    return {"due_at": stamp(case.due_at)} if case.due_at is not None else {}


def _required_reason(reason: str | None) -> str:
    if reason is None:
        raise invalid("/reason", "this action needs a reason")
    return reason


def _to(case: ComplaintCase, body: Mapping[str, Any], routing: RoutingTable) -> Any:
    to = body.get("to")
    if not isinstance(to, Mapping) or not isinstance(to.get("kind"), str):
        raise invalid("/to", "the target department {kind, region_code}")
    return routing.department(to["kind"], str(to.get("region_code") or case.jurisdiction))


def _route(s: _Step) -> str:
    target = _to(s.case, s.body, s.routing)
    reason = _required_reason(s.reason)
    case = s.case
    case.department_code, case.department_kind, case.department_region = (
        target.code, target.kind, target.region_code)
    case.received_at = s.now  # the new department receives it now: its acceptance clock starts
    refresh_deadline(case)
    if case.due_at is None:
        raise CalendarError("no acceptance deadline can be computed for the transfer: no calendar data")
    s.event.update(to_department=target.as_department(), due_at=stamp(case.due_at))
    s.changes["competent_department"] = target.as_department()
    return reason


def _accept(s: _Step) -> str | None:
    # 投诉处理办法 art 11: the day the competent department received the complaint is the acceptance date.
    s.case.accepted_at = s.case.received_at
    s.changes["accept_date"] = s.case.received_at.astimezone(CHINA_TZ).date().isoformat()
    return s.reason


def _not_accept(s: _Step) -> str:
    code = s.body.get("reason_code")
    if not isinstance(code, str):
        raise invalid("/reason_code", "a refusal names its reason code")
    refusal = s.routing.reason(code).as_text()
    s.changes["handle_result"] = refusal
    return refusal + (f"; {s.reason}" if s.reason else "")


def _refer(s: _Step) -> str:
    target = _to(s.case, s.body, s.routing)
    s.event["to_department"] = target.as_department()
    refusal = s.routing.reason("not_competent").as_text()
    return refusal + (f"; {s.reason}" if s.reason else "")


def _investigate(s: _Step) -> str | None:
    if s.body.get("suspend_tender") is True:
        s.changes["confined_action"] = "暂停招标投标活动"
        return SUSPENSION + (f"; {s.reason}" if s.reason else "")
    return s.reason


def _pause(s: _Step) -> str:
    kind = s.body.get("kind")
    case = s.case
    allowed = pausable_kinds(jurisdiction=case.jurisdiction, trade_type=case.trade_type,
                             received_at=case.received_at)
    if kind not in allowed:
        raise PauseNotAllowedError(f"{kind!r} does not pause the clock here; periods: {sorted(allowed)}")
    reason = _required_reason(s.reason)
    today = s.now.astimezone(CHINA_TZ).date().isoformat()
    case.pauses = [*case.pauses, {"kind": kind, "start": today, "end": None}]
    return f"{kind}: {reason}"


def _resume(s: _Step) -> str | None:
    # The paused days run from the pause's day up to the day before the clock runs again.
    case = s.case
    last = case.pauses[-1]
    end = (s.now.astimezone(CHINA_TZ).date() - timedelta(days=1)).isoformat()
    case.pauses = [*case.pauses[:-1], {**last, "end": end}] if end >= last["start"] else case.pauses[:-1]
    return s.reason


def _extend(s: _Step) -> str:
    approver, case = s.body.get("approver"), s.case
    if not isinstance(approver, Mapping) or not approver.get("name") or not approver.get("role"):
        raise invalid("/approver", "an extension names its approver {name, role}")
    if not s.event.get("documents"):
        raise invalid("/documents", "an extension carries the approval record (by digest)")
    reason = _required_reason(s.reason)
    extension: dict[str, Any] = {"step": DECISION, "approved_by": approver["role"]}
    amount = s.body.get("new_amount")
    if isinstance(amount, int) and not isinstance(amount, bool):
        extension["new_amount"] = amount
    elif isinstance(s.body.get("new_due"), str):
        extension["new_due"] = s.body["new_due"]
    else:
        raise invalid("/new_amount", "an extension gives new_amount (working days) or new_due (a date)")
    extensions = [*case.extensions, extension]
    deadline = step_deadline(step=DECISION, jurisdiction=case.jurisdiction, trade_type=case.trade_type,
                             received_at=case.received_at, accepted_at=case.accepted_at,
                             pauses=case.pauses, extensions=extensions)
    if deadline is None:
        raise invalid("/action", "no deadline rule times this decision")
    case.extensions = extensions
    s.event.update(approver=dict(approver), due_at=stamp(deadline.due))
    return reason


def _decide(s: _Step) -> str | None:
    decision, result = s.body.get("decision"), s.body.get("handle_result")
    if decision not in DECISIONS:
        raise invalid("/decision", f"one of {', '.join(DECISIONS)}")
    if not isinstance(result, str) or not result:
        raise invalid("/handle_result", "a decision states its result (处理结果)")
    department = s.case.payload.get("competent_department") or {}
    s.event["decision"] = decision
    s.changes.update(decision=decision, handle_result=result,
                     handle_date=s.now.astimezone(CHINA_TZ).date().isoformat(),
                     dealing_unit=department.get("name", s.case.department_code))
    basis = s.body.get("handle_basis")
    if isinstance(basis, str) and basis:
        s.changes["handle_basis"] = basis
    return s.reason


def _withdraw(s: _Step) -> str:
    return _required_reason(s.reason)


_HANDLERS: dict[str, Callable[[_Step], str | None]] = {
    "route": _route, "accept": _accept, "not_accept": _not_accept, "refer": _refer,
    "investigate": _investigate, "pause": _pause, "resume": _resume, "extend": _extend,
    "decide": _decide, "withdraw": _withdraw,
}
