"""What each remote evaluation event kind checks, which jurisdiction it concerns, and the duties it
starts or meets.

Every check and every due-time computation runs before anything is written, so a refused event
(or one whose deadline needs a year without calendar data) leaves no trace. Duties (DOMAIN §0 rule
3, §7), counted on the host jurisdiction's rules:

- report_completed starts a record handover duty per guest venue (丽江: 5 working days), met by
  that guest's handover event;
- investigation_concluded starts one copy (抄送) duty per guest jurisdiction whose experts a finding
  named (云南 972号: 7 working days), met by the receipt of the copy's envelope at the guest node;
- an assistance letter (函告) starts an answer duty due on the date the letter states, met by the
  guest's answer.

A fault's end is measured against the 2 h (before the start) or 4 h (during) rule, and the
assessment is signed into the event's extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from gateway.services import obligations as duties
from gateway.services import remote_investigation as correspondence
from gateway.services.remote_context import EventContext, Prepared, fulfil_open, make_duty
from gateway.services.remote_errors import (
    EventInvalidError,
    NotGuestError,
    NotHostError,
    UnknownExpertError,
    UnknownFaultError,
    UnknownVenueError,
    WrongVenueError,
)

HANDOVER_STEP = "remote_evaluation.record_handover"
FAULT_STEPS = {"before_start": "remote_evaluation.fault_before_start",
               "during": "remote_evaluation.fault_during_evaluation"}
HOST_ONLY = ("investigation_opened", "investigation_finding", "investigation_concluded",
             "assistance_letter", "copy", "report_completed")
GUEST_ONLY = ("handover", "assistance_answer")


def prepare_event(ctx: EventContext) -> Prepared:
    kind = ctx.payload.get("kind")
    if not isinstance(kind, str) or not _aware_time(ctx.payload.get("occurred_at")):
        raise EventInvalidError("an event needs its kind and occurred_at (RFC 3339 with offset)")
    if kind in HOST_ONLY and ctx.side not in (None, "host"):
        raise NotHostError(f"only the host venue's department records {kind}")
    if kind in GUEST_ONLY and ctx.side == "host":
        raise NotGuestError(f"only a guest venue records {kind}")
    venue = _venue(ctx)
    _check_expert(ctx, venue)
    jurisdiction = venue["region_code"] if venue is not None else ctx.host["region_code"]
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Prepared(jurisdiction)
    return handler(ctx, jurisdiction)


def _aware_time(value: object) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


def _venue(ctx: EventContext) -> Mapping[str, Any] | None:
    code = ctx.payload.get("venue_code")
    if code is None:
        if ctx.side not in (None, "host") and ctx.payload["kind"] in ("handover", "misconduct"):
            ctx.payload["venue_code"] = code = ctx.side
        else:
            return None
    venues = {venue["venue_code"]: venue for venue in [ctx.host, *ctx.guests]}
    if code not in venues:
        raise UnknownVenueError(f"venue {code} is not in session {ctx.session.session_id}")
    if ctx.side not in (None, "host", code):
        raise WrongVenueError(f"a guest venue records events of its own venue, not of {code}")
    return venues[code]


def _check_expert(ctx: EventContext, venue: Mapping[str, Any] | None) -> None:
    expert = ctx.payload.get("expert_id")
    if expert is None:
        return
    seat = ctx.repo.seat(ctx.session.session_id, expert)
    if seat is None:
        raise UnknownExpertError("the expert has no seat in this session")
    if venue is not None and ctx.payload["kind"] == "check_in" and seat.venue_code != venue["venue_code"]:
        raise WrongVenueError(f"the expert is seated at {seat.venue_code}, not {venue['venue_code']}")


def _fault_start(ctx: EventContext, jurisdiction: str) -> Prepared:
    if ctx.repo.fault_start(ctx.session.session_id, ctx.payload.get("fault_id") or "") is not None:
        raise EventInvalidError(f"fault {ctx.payload.get('fault_id')} has already started")
    if ctx.payload.get("fault_phase") is None:
        before = ctx.occurred_at < ctx.session.scheduled_start
        ctx.payload["fault_phase"] = "before_start" if before else "during"
    return Prepared(jurisdiction)


def _fault_end(ctx: EventContext, jurisdiction: str) -> Prepared:
    start = ctx.repo.fault_start(ctx.session.session_id, ctx.payload.get("fault_id") or "")
    if start is None:
        raise UnknownFaultError(f"fault {ctx.payload.get('fault_id')} has no start in this session")
    phase = start.fault_phase or "during"
    ctx.payload["fault_phase"] = phase
    step, host_region = FAULT_STEPS[phase], ctx.host["region_code"]
    if not ctx.policy.has_rule(step, jurisdiction=host_region, start=start.occurred_at):
        return Prepared(jurisdiction)
    deadline = ctx.policy.deadline(step, jurisdiction=host_region, start=start.occurred_at)
    fault = {"rule_id": deadline.rule.rule_id, "rule_source": deadline.rule.source, "phase": phase,
             "limit_at": deadline.due.isoformat(), "exceeded": ctx.occurred_at >= deadline.due,
             "minutes": int((ctx.occurred_at - start.occurred_at).total_seconds() // 60)}
    ctx.payload["extensions"] = {**(ctx.payload.get("extensions") or {}), "fault_rule": fault}
    return Prepared(jurisdiction, fault=fault)


def _report_completed(ctx: EventContext, jurisdiction: str) -> Prepared:
    host_region = ctx.host["region_code"]
    if not ctx.policy.has_rule(HANDOVER_STEP, jurisdiction=host_region, start=ctx.occurred_at):
        return Prepared(jurisdiction)
    deadline = ctx.policy.deadline(HANDOVER_STEP, jurisdiction=host_region, start=ctx.occurred_at)

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        created = [duties.create_with_due(
            ctx.db, node=ctx.node, duty=make_duty(ctx, "handover", guest["supervisory_department"],
                                              ctx.host["supervisory_department"], guest["venue_code"]),
            due_at=deadline.due, rule_id=deadline.rule.rule_id, rule_source=deadline.rule.source,
            now=ctx.now).obligation_id for guest in ctx.guests]
        return created, []

    return Prepared(jurisdiction, after=after)


def _handover(ctx: EventContext, jurisdiction: str) -> Prepared:
    guest = next((g for g in ctx.guests if g["venue_code"] == ctx.payload.get("venue_code")), None)
    if guest is None:
        raise NotGuestError("records are handed over from a guest venue to the host")
    debtor_code = guest["supervisory_department"]["code"]

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        return [], fulfil_open(ctx, "handover", lambda row: row.payload["debtor"]["code"] == debtor_code)

    return Prepared(ctx.host["region_code"], after=after)


_HANDLERS: dict[str, Callable[[EventContext, str], Prepared]] = {
    "fault_start": _fault_start, "fault_end": _fault_end, "report_completed": _report_completed,
    "handover": _handover, "investigation_opened": correspondence.investigation_opened,
    "investigation_finding": correspondence.investigation_finding,
    "investigation_concluded": correspondence.investigation_concluded,
    "copy": correspondence.copy_result,
    "assistance_letter": correspondence.assistance_letter,
    "assistance_answer": correspondence.assistance_answer,
}
