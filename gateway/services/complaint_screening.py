"""Screening of a complaint at intake: the 不予受理 grounds that can be seen from the filing itself.

Findings never refuse the complaint (the competent department decides, with written reasons); each
names a refusal reason code of config/complaints/routing.json with its source, so the department
can adopt it. Checked: standing (a complainant who is itself the tenderer or a respondent has no
interest), the letter (signed and, for a legal person, sealed), 异议前置 for matters under 条例 arts
22/44/54, the prior 质疑 for 政府采购, and the time limit from the rule files (10 days from knowing
for 工程建设, the 异议 reply period not counted; 15 working days after the 质疑 reply for 政府采购).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from gateway.services.complaint_routing import RoutingTable
from gateway.services.complaint_state import china_midnight, default_calendar, default_rules
from schemas.deadlines import compute_deadline
from schemas.errors import CalendarError

FILING = "complaint.filing"
OBJECTION_PERIOD = "异议答复期"
LEGAL_PERSON_CODES = ("uscc", "org_code")


def screen(
    payload: Mapping[str, Any], *, project: Mapping[str, Any], matter: Any, routing: RoutingTable
) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []

    def found(code: str, message: str) -> None:
        reason = routing.reason(code)
        findings.append({"code": code, "message": message, "source": reason.source})

    complainant = payload["complainant"]
    ours = complainant.get("code") or complainant["name"]
    others = {r.get("code") or r["name"] for r in payload["respondents"]}
    tenderer = project.get("tenderer") or {}
    others.add(tenderer.get("code") or tenderer.get("name"))
    if ours in others:
        found("no_interest", "投诉人是招标人或被投诉人本身")
    if not payload.get("letter"):
        if complainant.get("code_type") in LEGAL_PERSON_CODES:
            found("legal_person_unsealed", "法人投诉未附经法定代表人签字并盖章的投诉书")
        else:
            found("unsigned_or_no_contact", "未附投诉人签字的投诉书")
    procurement = payload["trade_type"] == "政府采购"
    if procurement and not payload.get("objection_date"):
        found("no_prior_challenge", "政府采购投诉须先依法质疑")
    elif not procurement and matter in routing.objection_first and not payload.get("objection_date"):
        found("objection_required", f"{routing.objection_first[matter]} 规定的事项应先提出异议")
    findings.extend(_time_limit(payload, found))
    return findings


def _time_limit(payload: Mapping[str, Any], found: Any) -> list[dict[str, Any]]:
    known, objected, replied = (_date(payload.get(name)) for name in
                                ("date_known", "objection_date", "objection_reply_date"))
    procurement = payload["trade_type"] == "政府采购"
    start = replied if procurement else known
    if start is None:
        return []
    rules = default_rules().applicable(jurisdiction=payload["region_code"], trade_type=payload["trade_type"],
                                       procedure_step=FILING, at=start)
    if not rules:
        return []
    excludes = any(OBJECTION_PERIOD in rule.excluded_periods for rule in rules)
    periods = [(objected, replied, OBJECTION_PERIOD)] if excludes and objected and replied else []
    try:
        deadline = compute_deadline(rules=rules, calendar=default_calendar(), start=china_midnight(start),
                                    excluded=[p for p in periods if p[0] <= p[1]])
    except CalendarError as exc:
        return [{"code": "time_limit_unchecked", "message": exc.message, "source": rules[0].source}]
    received_at = datetime.fromisoformat(payload["received_at"])
    if received_at >= deadline.due:
        found("time_barred", f"投诉期限 {deadline.due_date.isoformat()} 届满 ({deadline.rule.source})")
    return []


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None
