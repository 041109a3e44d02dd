"""Investigations (host opens, records findings per expert, concludes), the copy (抄送) of the result
to each involved guest jurisdiction, and assistance letters (函告) with their answers.

Only the host department does the first and writes letters (checked in remote_events.py); the
guest answers. A conclusion starts one copy duty per guest jurisdiction whose experts a finding
named, due 7 working days after it (云南 972号 §六(十二), host jurisdiction's rules); a copy to any
other jurisdiction is refused. A letter's answer is due on the date the letter states.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from gateway.services import obligations as duties
from gateway.services.remote_context import EventContext, Prepared, fulfil_open, make_duty
from gateway.services.remote_errors import (
    AnswerDeadlineMissingError,
    EventInvalidError,
    InvestigationStateError,
    NoExpertsThereError,
    UnknownInvestigationError,
    UnknownLetterError,
    UnknownVenueError,
)
from gateway.store.models.remote_evaluation import RemoteInvestigation
from gateway.store.repositories.remote_evaluation import ObligationRepository
from schemas.deadlines import CHINA_TZ

COPY_STEP = "remote_evaluation.result_copy"
LETTER_RULE = "remote_evaluation.letter_answer_by"


def _investigation(ctx: EventContext, *, must_be_open: bool = True) -> RemoteInvestigation:
    investigation = ctx.repo.investigation(ctx.session.session_id, ctx.payload.get("investigation_id") or "")
    if investigation is None:
        raise UnknownInvestigationError(f"no investigation {ctx.payload.get('investigation_id')} here")
    if must_be_open and investigation.concluded_sequence is not None:
        raise InvestigationStateError(f"investigation {investigation.investigation_id} is concluded")
    return investigation


def investigation_opened(ctx: EventContext, jurisdiction: str) -> Prepared:
    if ctx.repo.investigation(ctx.session.session_id, ctx.payload.get("investigation_id") or "") is not None:
        raise InvestigationStateError(f"investigation {ctx.payload.get('investigation_id')} is already open")

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        ctx.repo.add_investigation(RemoteInvestigation(
            session_id=ctx.session.session_id, investigation_id=ctx.payload["investigation_id"],
            opened_sequence=ctx.sequence, experts=[]))
        return [], []

    return Prepared(ctx.host["region_code"], after=after)


def investigation_finding(ctx: EventContext, jurisdiction: str) -> Prepared:
    investigation = _investigation(ctx)
    expert = ctx.payload.get("expert_id")
    if expert is None:
        raise EventInvalidError("a finding names the expert it is about (expert_id)")

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        if expert not in investigation.experts:
            investigation.experts = [*investigation.experts, expert]
        return [], []

    return Prepared(ctx.host["region_code"], after=after)


def involved_guests(ctx: EventContext, investigation: RemoteInvestigation) -> dict[str, Mapping[str, Any]]:
    """Guest jurisdictions whose experts the findings named → the guest venue (first one listed)."""
    seats = {seat.expert_id: seat for seat in ctx.repo.seats(ctx.session.session_id)}
    venues = {seats[e].venue_code for e in investigation.experts if e in seats}
    involved: dict[str, Mapping[str, Any]] = {}
    for guest in ctx.guests:
        if guest["venue_code"] in venues:
            involved.setdefault(guest["region_code"], guest)
    return involved


def investigation_concluded(ctx: EventContext, jurisdiction: str) -> Prepared:
    investigation = _investigation(ctx)
    involved = involved_guests(ctx, investigation)
    stated = ctx.payload.get("involves_guest_experts")
    if stated is not None and stated != bool(involved):
        raise EventInvalidError(f"involves_guest_experts is {stated}, but the findings say {bool(involved)}")
    ctx.payload["involves_guest_experts"] = bool(involved)
    # Counted even when no guest is involved: a conclusion the calendar cannot date is refused.
    deadline = ctx.policy.deadline(COPY_STEP, jurisdiction=ctx.host["region_code"], start=ctx.occurred_at)

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        investigation.concluded_sequence, investigation.concluded_at = ctx.sequence, ctx.occurred_at
        created = [duties.create_with_due(
            ctx.db, node=ctx.node, duty=make_duty(ctx, "copy", ctx.host["supervisory_department"],
                                              guest["supervisory_department"],
                                              f"{investigation.investigation_id}|{region}"),
            due_at=deadline.due, rule_id=deadline.rule.rule_id, rule_source=deadline.rule.source,
            now=ctx.now).obligation_id for region, guest in sorted(involved.items())]
        return created, []

    return Prepared(ctx.host["region_code"], after=after)


def copy_result(ctx: EventContext, jurisdiction: str) -> Prepared:
    investigation = _investigation(ctx, must_be_open=False)
    if investigation.concluded_sequence is None:
        raise InvestigationStateError("a result is copied once the investigation is concluded")
    region = (ctx.payload.get("to_department") or {}).get("region_code")
    duty = next((row for row in ObligationRepository(ctx.db).of_subject(ctx.session.session_id, kind="copy")
                 if row.creditor_region == region
                 and row.payload.get("trigger_sequence") == investigation.concluded_sequence), None)
    if duty is None:
        raise NoExpertsThereError(f"the conclusion involves no experts of {region}: nothing to copy there")

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        duties.await_envelope(ctx.db, obligation_id=duty.obligation_id, envelope_id=envelope_id,
                              sequence=ctx.sequence)
        return [], []

    return Prepared(duty.creditor_region, after=after)


def assistance_letter(ctx: EventContext, jurisdiction: str) -> Prepared:
    receiver = ctx.payload.get("to_department") or {}
    guest = next((g for g in ctx.guests if g["region_code"] == receiver.get("region_code")), None)
    if guest is None:
        raise UnknownVenueError("a letter goes to the supervisory department of a guest venue")
    if ctx.answer_by is None:
        raise AnswerDeadlineMissingError("a letter states the date its answer is due (answer_by)")
    try:
        last_day = date.fromisoformat(ctx.answer_by)
    except ValueError:
        raise AnswerDeadlineMissingError(f"answer_by {ctx.answer_by!r} is not a date") from None
    due = datetime.combine(last_day + timedelta(days=1), time(0), CHINA_TZ)
    ctx.payload["extensions"] = {**(ctx.payload.get("extensions") or {}), "answer_by": ctx.answer_by}

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        created = duties.create_with_due(
            ctx.db, node=ctx.node, duty=make_duty(ctx, "assistance_answer", receiver,
                                                     ctx.payload["from_department"], "letter"),
            due_at=due, rule_id=LETTER_RULE, rule_source=f"函告 {ctx.session.session_id} #{ctx.sequence}",
            now=ctx.now)
        return [created.obligation_id], []

    return Prepared(guest["region_code"], after=after)


def assistance_answer(ctx: EventContext, jurisdiction: str) -> Prepared:
    letter = ctx.repo.event(ctx.session.session_id, ctx.payload.get("answers_sequence") or 0)
    if letter is None or letter.kind != "assistance_letter":
        raise UnknownLetterError(f"event {ctx.payload.get('answers_sequence')} is not a letter here")

    def after(envelope_id: str) -> tuple[list[str], list[str]]:
        return [], fulfil_open(
            ctx, "assistance_answer", lambda row: row.payload.get("trigger_sequence") == letter.sequence)

    return Prepared(ctx.host["region_code"], after=after)
