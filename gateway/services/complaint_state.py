"""The complaint state machine and the deadlines of its steps.

Stages: received → routed → accepted | not_accepted (reason code) | referred (告知向有权部门投诉) →
investigating (the tender may be suspended; paused while testing, inspection or expert review runs)
→ decided → feedback_sent → published; withdrawn at any open stage. The signed record's `state` is
the schema's coarser value for each stage (STAGE_STATE).

Deadlines come only from the rule files (config/deadlines): acceptance from receipt, decision from
the start event the rule names (acceptance for 工程建设, receipt for 政府采购). The strictest
applicable rule is operative and the national ceiling is kept beside it, each with its source.
A pause listed in the rules' excluded periods stops the clock; an extension must be approved by the
rule's configured approver. A count that needs a year without calendar data raises CalendarError:
the caller flags the case instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.deadlines import CHINA_TZ, Deadline, Extension, RuleSet, compute_deadline
from schemas.errors import CalendarError, GatewayError
from schemas.workdays import WorkdayCalendar

CONFIG = Path(__file__).resolve().parents[2] / "config"
ACCEPTANCE, DECISION = "complaint.acceptance", "complaint.decision"
FLAG_CALENDAR_MISSING = "calendar_missing"

STAGE_STATE = {
    "received": "received",
    "routed": "routed",
    "accepted": "accepted",
    "not_accepted": "not_accepted",
    "referred": "closed",
    "investigating": "investigating",
    "paused": "paused",
    "decided": "decided",
    "feedback_sent": "decided",
    "published": "closed",
    "withdrawn": "withdrawn",
}
_OPEN_BEFORE_ACCEPTANCE = frozenset({"received", "routed"})
_UNDER_INVESTIGATION = frozenset({"accepted", "investigating"})


@dataclass(frozen=True)
class Transition:
    record_action: str  # the complaint.event `action`
    sources: frozenset[str]
    target: str | None  # None: the stage does not change


TRANSITIONS: dict[str, Transition] = {
    "route": Transition("route", _OPEN_BEFORE_ACCEPTANCE, "routed"),
    "accept": Transition("accept", _OPEN_BEFORE_ACCEPTANCE, "accepted"),
    "not_accept": Transition("not_accept", _OPEN_BEFORE_ACCEPTANCE, "not_accepted"),
    "refer": Transition("refer", _OPEN_BEFORE_ACCEPTANCE, "referred"),
    "investigate": Transition("investigate", frozenset({"accepted"}), "investigating"),
    "pause": Transition("pause", _UNDER_INVESTIGATION, "paused"),
    "resume": Transition("resume", frozenset({"paused"}), "investigating"),
    "extend": Transition("extend", _UNDER_INVESTIGATION | {"paused"}, None),
    "decide": Transition("decide", _UNDER_INVESTIGATION, "decided"),
    "feedback": Transition("feedback", frozenset({"decided"}), "feedback_sent"),
    "publish": Transition("close", frozenset({"feedback_sent"}), "published"),
    "withdraw": Transition(
        "withdraw", _OPEN_BEFORE_ACCEPTANCE | _UNDER_INVESTIGATION | {"paused"}, "withdrawn"
    ),
}


class IllegalTransitionError(GatewayError):
    code = "complaint.illegal_transition"
    status = 409


class PauseNotAllowedError(GatewayError):
    """The period is not one the decision rules exclude (检验, 检测, 鉴定, 专家评审 …)."""

    code = "complaint.pause_not_allowed"
    status = 422


def transition(action: str, stage: str) -> Transition:
    found = TRANSITIONS.get(action)
    if found is None:
        raise IllegalTransitionError(
            f"unknown action {action!r}; actions: {', '.join(TRANSITIONS)}",
            details=[{"pointer": "/action", "code": IllegalTransitionError.code, "message": "unknown"}],
        )
    if stage not in found.sources:
        raise IllegalTransitionError(
            f"{action} is not allowed in stage {stage} (allowed from: {', '.join(sorted(found.sources))})",
            details=[{"pointer": "/action", "code": IllegalTransitionError.code, "message": f"from {stage}"}],
        )
    return found


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.from_files(sorted((CONFIG / "deadlines").glob("*.json")))


@lru_cache(maxsize=1)
def default_calendar() -> WorkdayCalendar:
    return WorkdayCalendar.from_directory(CONFIG / "calendar")


def china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ)


def deadline_view(step: str, deadline: Deadline) -> dict[str, Any]:
    """What a reader sees of a deadline: the operative due time, its rule and source, the ceiling."""
    ceiling = deadline.ceiling
    return {
        "step": step,
        "due_at": deadline.due.isoformat(),
        "due_date": deadline.due_date.isoformat(),
        "rule_id": deadline.rule.rule_id,
        "source": deadline.rule.source,
        "level": deadline.rule.level,
        "paused_days": deadline.operative.paused,
        "ceiling_rule_id": None if ceiling is None else ceiling.rule.rule_id,
        "ceiling_due_at": None if ceiling is None else ceiling.due.isoformat(),
        "ceiling_source": None if ceiling is None else ceiling.rule.source,
        "extended": bool(deadline.extensions),
    }


def step_deadline(
    *,
    step: str,
    jurisdiction: str,
    trade_type: str,
    received_at: datetime,
    accepted_at: datetime | None,
    pauses: Sequence[Mapping[str, Any]] = (),
    extensions: Sequence[Mapping[str, Any]] = (),
    rules: RuleSet | None = None,
    calendar: WorkdayCalendar | None = None,
) -> Deadline | None:
    """The deadline of a step, or None when no rule times it for this trade type and region.

    Raises CalendarError (calendar.no_data) when the count reaches a year without calendar data."""
    rules = rules or default_rules()
    found = rules.applicable(jurisdiction=jurisdiction, trade_type=trade_type, procedure_step=step,
                             at=received_at.astimezone(CHINA_TZ).date())
    if not found:
        return None
    start = accepted_at if found[0].start_event == "complaint_accepted" and accepted_at else received_at
    excluded = {kind for rule in found for kind in rule.excluded_periods}
    periods = [
        (date.fromisoformat(p["start"]), date.fromisoformat(p["end"]), p["kind"])
        for p in pauses
        if p.get("end") and p["kind"] in excluded
    ]
    approved = [
        Extension(e["approved_by"], new_amount=e.get("new_amount"),
                  new_due=date.fromisoformat(e["new_due"]) if e.get("new_due") else None)
        for e in extensions
        if e["step"] == step
    ]
    return compute_deadline(rules=found, calendar=calendar or default_calendar(), start=start,
                            excluded=periods, extensions=approved)


def pausable_kinds(*, jurisdiction: str, trade_type: str, received_at: datetime) -> set[str]:
    found = default_rules().applicable(jurisdiction=jurisdiction, trade_type=trade_type,
                                       procedure_step=DECISION, at=received_at.astimezone(CHINA_TZ).date())
    return {kind for rule in found for kind in rule.excluded_periods}


def due_soon_threshold(now: datetime, calendar: WorkdayCalendar | None = None) -> datetime:
    """The end of the next working day: a deadline before it is due soon. Without calendar data for
    that day the threshold is a plain 24 hours (a display hint, not a deadline)."""
    today = now.astimezone(CHINA_TZ).date()
    try:
        return china_midnight((calendar or default_calendar()).add_workdays(today, 1) + timedelta(days=1))
    except CalendarError:
        return now + timedelta(days=1)
