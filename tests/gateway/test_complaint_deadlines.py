"""Complaint deadlines: the rule files on the China working-day calendar, checked against an
independent oracle (the `holidays` package) over 2024–2026; the strictest rule with its source;
extensions, pauses, and the fail-closed flag for years without calendar data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest
from sqlalchemy.orm import Session

from gateway.services.auth import ROLE_SCOPES, Principal
from gateway.services.complaint_actions import act
from gateway.services.complaint_intake import file_complaint
from gateway.services.complaint_state import ACCEPTANCE, DECISION, step_deadline
from gateway.services.ingest import ingest_standard
from schemas.deadlines import CHINA_TZ
from schemas.errors import CalendarError, GatewayError
from tests.gateway.test_complaints import COUNTY, complaint_body, project_item

MACHENG = "421181"
ORACLE = holidays.China(years=range(2024, 2027))
SPRING_AND_NATIONAL_DAY = [
    (date(2024, 2, 8), 3, date(2024, 2, 19)),  # 02-10..17 off; 02-09 and Sun 02-18 are workdays
    (date(2025, 1, 27), 3, date(2025, 2, 7)),  # 01-28..02-04 off
    (date(2026, 2, 13), 3, date(2026, 2, 25)),  # 02-15..23 off; Sat 02-14 and 02-28 make-up workdays
    (date(2024, 9, 30), 3, date(2024, 10, 10)),  # 10-01..07 off; Sat 10-12 a make-up workday
    (date(2025, 9, 30), 3, date(2025, 10, 11)),  # 10-01..08 off; Sat 10-11 a make-up workday
    (date(2026, 9, 30), 3, date(2026, 10, 10)),  # 10-01..07 off; Sat 10-10 a make-up workday
]


def oracle_add_workdays(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= ORACLE.is_working_day(day)
    return day


def received(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ)


def days(first: date, last: date) -> Iterator[date]:
    while first <= last:
        yield first
        first += timedelta(days=1)


class TestAgainstTheOracle:
    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_acceptance_in_three_working_days_every_day_of_the_year(self, year):
        for day in days(date(year, 1, 1), date(year, 12, 24)):
            deadline = step_deadline(step=ACCEPTANCE, jurisdiction=COUNTY, trade_type="工程建设",
                                     received_at=received(day), accepted_at=None)
            assert deadline is not None
            assert deadline.due_date == oracle_add_workdays(day, 3), day

    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_decision_in_thirty_working_days_of_acceptance(self, year):
        for day in days(date(year, 1, 1), date(year, 11, 10)):
            deadline = step_deadline(step=DECISION, jurisdiction=COUNTY, trade_type="工程建设",
                                     received_at=received(day), accepted_at=received(day))
            assert deadline is not None
            assert deadline.due_date == oracle_add_workdays(day, 30), day

    @pytest.mark.parametrize(("day", "amount", "due"), SPRING_AND_NATIONAL_DAY)
    def test_spring_festival_and_national_day(self, day, amount, due):
        deadline = step_deadline(step=ACCEPTANCE, jurisdiction=COUNTY, trade_type="工程建设",
                                 received_at=received(day), accepted_at=None)
        assert deadline is not None
        assert deadline.due_date == due == oracle_add_workdays(day, amount)
        assert deadline.due == datetime.combine(due + timedelta(days=1), time(0), CHINA_TZ)

    def test_government_procurement_counts_from_receipt(self):
        day = date(2025, 9, 26)
        acceptance = step_deadline(step=ACCEPTANCE, jurisdiction=COUNTY, trade_type="政府采购",
                                   received_at=received(day), accepted_at=None)
        decision = step_deadline(step=DECISION, jurisdiction=COUNTY, trade_type="政府采购",
                                 received_at=received(day), accepted_at=received(date(2025, 9, 30)))
        assert acceptance is not None
        assert decision is not None
        assert acceptance.due_date == oracle_add_workdays(day, 5)
        assert decision.due_date == oracle_add_workdays(day, 30)
        assert "财政部令第94号" in decision.rule.source

    def test_a_count_into_a_year_without_data_fails_closed(self):
        with pytest.raises(CalendarError) as caught:
            step_deadline(step=DECISION, jurisdiction=COUNTY, trade_type="工程建设",
                          received_at=received(date(2026, 12, 1)), accepted_at=received(date(2026, 12, 1)))
        assert caught.value.code == "calendar.no_data"
        assert "2027" in caught.value.message


class TestStrictestRule:
    def test_the_local_rule_wins_with_its_source_and_the_national_ceiling_beside_it(self):
        day = date(2025, 9, 30)
        deadline = step_deadline(step=ACCEPTANCE, jurisdiction=MACHENG, trade_type="工程建设",
                                 received_at=received(day), accepted_at=None)
        assert deadline is not None
        assert deadline.ceiling is not None
        assert deadline.rule.rule_id == "hb.macheng.complaint.acceptance"
        assert deadline.due_date == oracle_add_workdays(day, 1) == date(2025, 10, 9)
        assert deadline.rule.source.startswith("麻公管委〔2022〕2号")
        assert deadline.ceiling.due_date == oracle_add_workdays(day, 3)

    def test_local_rules_bind_only_their_region(self):
        start = received(date(2025, 3, 3))
        deadline = step_deadline(step=DECISION, jurisdiction=COUNTY, trade_type="工程建设",
                                 received_at=start, accepted_at=start)
        assert deadline is not None
        assert deadline.rule.rule_id == "nat.tb.complaint.decision"


def principal(role: str, subject: str, jurisdiction: str) -> Principal:
    return Principal(subject, role, ROLE_SCOPES[role], jurisdiction, "t")


WINDOW = principal("source", "window", "530600")
MC_JT = principal("department", f"{MACHENG}.JT", MACHENG)
HEAD = {"name": "李主任", "role": "监管办主要负责人"}
LATER = datetime(2025, 3, 20, 2, tzinfo=UTC)
APPROVAL = [{"digest": "sha256:" + "ab" * 32, "title": "延期审批表.pdf"}]


@pytest.fixture
def macheng_case(db: Session, node) -> str:
    """A 麻城 complaint received Mon 2025-03-10 10:00 and accepted the same day."""
    at = datetime(2025, 3, 10, 2, tzinfo=UTC)
    ingest_standard(db, items=[project_item(region=MACHENG)], node=node, source_system="t", now=at)
    case = file_complaint(db, node=node, principal=WINDOW, now=at,
                          body=complaint_body(region_code=MACHENG))
    act(db, node=node, principal=MC_JT, complaint_id=case["complaint_id"], body={"action": "accept"}, now=at)
    return str(case["complaint_id"])


class TestWorkflowDeadlines:
    def test_macheng_targets_apply_to_the_case(self, db, node):
        at = datetime(2025, 3, 10, 2, tzinfo=UTC)
        ingest_standard(db, items=[project_item(region=MACHENG)], node=node, source_system="t", now=at)
        case = file_complaint(db, node=node, principal=WINDOW, now=at,
                              body=complaint_body(region_code=MACHENG))
        acceptance = case["deadlines"][ACCEPTANCE]
        assert acceptance["due_date"] == "2025-03-11"
        assert acceptance["rule_id"] == "hb.macheng.complaint.acceptance"
        assert acceptance["ceiling_rule_id"] == "nat.tb.complaint.acceptance"
        accepted = act(db, node=node, principal=MC_JT, complaint_id=case["complaint_id"],
                       body={"action": "accept"}, now=at)
        due = oracle_add_workdays(date(2025, 3, 10), 15)
        assert accepted["deadlines"][DECISION]["due_date"] == due.isoformat()
        assert accepted["deadlines"][DECISION]["source"].startswith("麻公管委〔2022〕2号")

    def test_an_extension_approved_by_the_office_head(self, db, node, macheng_case):
        at = datetime(2025, 3, 20, 2, tzinfo=UTC)
        extended = act(db, node=node, principal=MC_JT, complaint_id=macheng_case, now=at, body={
            "action": "extend", "approver": HEAD, "new_amount": 25, "reason": "案情复杂",
            "documents": APPROVAL})
        last_day = oracle_add_workdays(date(2025, 3, 10), 25)
        assert extended["due_at"] == f"{last_day + timedelta(days=1)}T00:00:00+08:00"
        assert extended["deadlines"][DECISION]["extended"] is True
        assert extended["extensions"] == [
            {"step": DECISION, "approved_by": "监管办主要负责人", "new_amount": 25}]

    @pytest.mark.parametrize(("body", "code"), [
        ({"approver": {"name": "王科员", "role": "承办人"}, "new_amount": 20},
         "deadline.extension_not_allowed"),
        ({"approver": HEAD, "new_amount": 31}, "deadline.extension_exceeds_ceiling"),
        ({"approver": HEAD}, "complaint.invalid"),
        ({"new_amount": 20}, "complaint.invalid"),
    ])
    def test_an_extension_without_proper_approval_is_refused(self, db, node, macheng_case, body, code):
        with pytest.raises(GatewayError) as caught:
            act(db, node=node, principal=MC_JT, complaint_id=macheng_case, now=LATER,
                body={"action": "extend", "reason": "r", "documents": APPROVAL, **body})
        assert caught.value.code == code

    def test_an_extension_needs_the_approval_record(self, db, node, macheng_case):
        with pytest.raises(GatewayError) as caught:
            act(db, node=node, principal=MC_JT, complaint_id=macheng_case, now=LATER,
                body={"action": "extend", "reason": "r", "approver": HEAD, "new_amount": 20})
        assert (caught.value.code, caught.value.details[0]["pointer"]) == ("complaint.invalid", "/documents")

    def test_expert_review_pauses_the_clock(self, db, node, macheng_case):
        before = datetime(2025, 3, 12, 2, tzinfo=UTC)
        paused = act(db, node=node, principal=MC_JT, complaint_id=macheng_case, now=before,
                     body={"action": "pause", "kind": "专家评审", "reason": "组织专家复核评标报告"})
        assert (paused["stage"], paused["due_at"]) == ("paused", None)
        resumed = act(db, node=node, principal=MC_JT, complaint_id=macheng_case,
                      now=datetime(2025, 3, 19, 2, tzinfo=UTC), body={"action": "resume"})
        # 03-12..03-18 not counted: five working days (12, 13, 14, 17, 18).
        assert resumed["deadlines"][DECISION]["paused_days"] == 5
        due = oracle_add_workdays(date(2025, 3, 10), 20)
        assert resumed["deadlines"][DECISION]["due_date"] == due.isoformat()

    def test_a_period_the_rules_do_not_exclude_is_refused(self, db, node, macheng_case):
        with pytest.raises(GatewayError) as caught:
            act(db, node=node, principal=MC_JT, complaint_id=macheng_case, now=LATER,
                body={"action": "pause", "kind": "春节", "reason": "x"})
        assert caught.value.code == "complaint.pause_not_allowed"


class TestYearWithoutCalendarData:
    def test_a_complaint_in_2031_is_kept_and_flagged_never_guessed(self, db, node):
        at = datetime(2031, 3, 3, 2, tzinfo=UTC)
        ingest_standard(db, items=[project_item()], node=node, source_system="t", now=at)
        case = file_complaint(db, node=node, principal=WINDOW, now=at, body=complaint_body(
            received_at=None, date_known="2031-02-27", objection_date=None, objection_reply_date=None,
            matter="other"))
        assert (case["stage"], case["due_at"], case["flags"]) == ("received", None, ["calendar_missing"])
        assert case["deadlines"][ACCEPTANCE]["error"] == "calendar.no_data"
        assert [f["code"] for f in case["screening"]] == ["time_limit_unchecked"]
        assert case["department"]["code"] == f"{COUNTY}.JT"
        assert len(case["event_ids"]) == 1
        accepted = act(db, node=node, principal=principal("department", f"{COUNTY}.JT", COUNTY),
                       complaint_id=case["complaint_id"], body={"action": "accept"}, now=at)
        assert (accepted["stage"], accepted["due_at"]) == ("accepted", None)
        assert accepted["flags"] == ["calendar_missing"]

    def test_a_decision_deadline_reaching_2027_flags_the_case(self, db, node):
        at = datetime(2026, 11, 20, 2, tzinfo=UTC)
        ingest_standard(db, items=[project_item()], node=node, source_system="t", now=at)
        case = file_complaint(db, node=node, principal=WINDOW, now=at, body=complaint_body(
            received_at=None, date_known="2026-11-18", objection_date=None, objection_reply_date=None,
            matter="other"))
        assert case["due_at"] == "2026-11-26T00:00:00+08:00"
        assert case["flags"] == []
        accepted = act(db, node=node, principal=principal("department", f"{COUNTY}.JT", COUNTY),
                       complaint_id=case["complaint_id"], body={"action": "accept"}, now=at)
        assert (accepted["stage"], accepted["due_at"]) == ("accepted", None)
        assert accepted["flags"] == ["calendar_missing"]
