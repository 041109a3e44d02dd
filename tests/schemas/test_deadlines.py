"""Deadline rules as data: the rule files, rule validation, applicability and the computation.

Expected due dates are worked out by hand in the comments and, for whole years, checked against the
`holidays` package (2024–2026 only: it extrapolates later years).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest

from schemas.base import CODE_PATTERN
from schemas.deadlines import (
    CHINA_TZ,
    DeadlineInputError,
    DeadlineRuleError,
    ExcludedPeriod,
    ExcludedPeriodLike,
    Extension,
    ExtensionExceedsCeilingError,
    ExtensionNotAllowedError,
    Rule,
    RuleSet,
    compute_deadline,
)
from schemas.errors import CalendarError
from schemas.workdays import WorkdayCalendar

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((ROOT / "config" / "deadlines").glob("*.json"))
MACHENG = "421181"  # 湖北省黄冈市麻城市
HUANGGANG = "421100"
GUCHENG_LIJIANG = "530702"  # 云南省丽江市古城区
KUNMING = "530100"
REVIEW = "专家评审"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.from_files(RULE_FILES)


@pytest.fixture(scope="module")
def calendar() -> WorkdayCalendar:
    return WorkdayCalendar.from_directory(ROOT / "config" / "calendar")


def china(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


def midnight_after(day: date) -> datetime:
    """The instant a day ends at 24:00, China time."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ) + timedelta(days=1)


def national(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "rule_id": "t.nat.acceptance",
        "jurisdiction_region_code": "000000",
        "jurisdiction_level": "国家",
        "trade_type": "工程建设",
        "procedure_step": "complaint.acceptance",
        "start_event": "complaint_received",
        "end_event": "acceptance_decided",
        "amount": 3,
        "unit": "working_day",
        "start_day_excluded": True,
        "roll_if_last_day_holiday": False,
        "cutoff_time": "24:00",
        "excluded_periods": [REVIEW],
        "extension_allowed": False,
        "extension_approver": None,
        "national_ceiling_rule_id": None,
        "level": "NAT-LAW",
        "source_doc_no": "国务院令第613号",
        "source_article": "第六十一条",
        "source_url": None,
        "effective_from": "2012-02-01",
        "effective_to": None,
    }
    record.update(changes)
    return record


def local(**changes: Any) -> dict[str, Any]:
    record = national(
        rule_id="t.local.acceptance",
        jurisdiction_region_code=MACHENG,
        jurisdiction_level="县",
        amount=1,
        level="LOCAL-SEED",
        national_ceiling_rule_id="t.nat.acceptance",
        source_doc_no="麻公管委〔2022〕2号",
        extension_allowed=True,
        extension_approver="监管办主要负责人",
    )
    record.update(changes)
    return record


def rule_set(*records: dict[str, Any]) -> RuleSet:
    return RuleSet(Rule.from_mapping(record) for record in records)


def pointers(error: DeadlineRuleError) -> set[str]:
    return {detail["pointer"] for detail in error.details}


class TestRuleFiles:
    def test_the_files(self, rules: RuleSet) -> None:
        names = {path.name for path in RULE_FILES}
        assert {"national.json", "hubei-macheng.json", "yunnan.json", "lijiang.json"} <= names
        assert len(rules) >= 16

    @pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
    def test_every_record_has_every_field_and_a_source(self, path: Path) -> None:
        document = json.loads(path.read_text("utf-8"))
        assert document["format"] == "ggzy.deadline-rules.v1"
        assert isinstance(document["version"], int)
        required = {"rule_id", "source_doc_no", "effective_from", "effective_to", "national_ceiling_rule_id"}
        for record in document["rules"]:
            assert required <= set(record)
            assert record["source_doc_no"].strip()
            # Obligations and complaint events carry the rule id as a Code.
            assert re.match(CODE_PATTERN, record["rule_id"])

    def test_local_rules_and_their_ceilings(self, rules: RuleSet) -> None:
        for rule in rules:
            if rule.national_ceiling_rule_id is None:
                continue
            ceiling = rules.get(rule.national_ceiling_rule_id)
            assert ceiling is not None
            assert ceiling.is_national
            assert (rule.unit, rule.procedure_step) == (ceiling.unit, ceiling.procedure_step)
            assert rule.amount <= ceiling.amount

    @pytest.mark.parametrize(
        ("rule_id", "amount", "unit", "source"),
        [
            ("nat.tb.complaint.filing", 10, "calendar_day", "国务院令第613号 招标投标法实施条例 第六十条"),
            (
                "nat.tb.complaint.acceptance",
                3,
                "working_day",
                "国务院令第613号 招标投标法实施条例 第六十一条",
            ),
            ("nat.tb.complaint.decision", 30, "working_day", "国务院令第613号 招标投标法实施条例 第六十一条"),
            (
                "nat.gp.complaint.acceptance",
                5,
                "working_day",
                "财政部令第94号 政府采购质疑和投诉办法 第二十一条",
            ),
            ("nat.gp.complaint.decision", 30, "working_day", None),
            ("hb.macheng.complaint.acceptance", 1, "working_day", "麻公管委〔2022〕2号 实施方案 二(三)1"),
            ("hb.macheng.complaint.decision", 15, "working_day", None),
            ("yn.remote_evaluation.result_copy", 7, "working_day", "云发改交易监督〔2020〕972号 六(十二)"),
            ("yn.lijiang.remote_evaluation.record_handover", 5, "working_day", None),
            ("yn.lijiang.remote_evaluation.fault_before_start", 2, "hour", None),
            ("yn.lijiang.remote_evaluation.fault_during_evaluation", 4, "hour", None),
        ],
    )
    def test_the_time_limits(
        self, rules: RuleSet, rule_id: str, amount: int, unit: str, source: str | None
    ) -> None:
        rule = rules.get(rule_id)
        assert rule is not None
        assert (rule.amount, rule.unit) == (amount, unit)
        if source is not None:
            assert rule.source == source


class TestRuleValidation:
    @pytest.mark.parametrize("source", ["", "   ", None])
    def test_a_rule_without_source_document_is_rejected(self, source: str | None) -> None:
        with pytest.raises(DeadlineRuleError) as raised:
            Rule.from_mapping(national(source_doc_no=source))
        assert raised.value.code == "deadline.rule_invalid"
        assert {"pointer": "/source_doc_no", "code": "rule.source_missing"}.items() <= raised.value.details[
            0
        ].items()

    def test_a_local_rule_looser_than_national_is_rejected(self) -> None:
        with pytest.raises(DeadlineRuleError) as raised:
            rule_set(national(), local(amount=5))
        assert raised.value.code == "deadline.rule_invalid"
        assert pointers(raised.value) == {"/amount"}
        assert "looser" in raised.value.message

    def test_a_local_rule_equal_to_national_is_accepted(self) -> None:
        assert len(rule_set(national(), local(amount=3))) == 2

    @pytest.mark.parametrize(
        ("records", "pointer"),
        [
            ([national(), local(unit="calendar_day")], "/unit"),
            ([local()], "/national_ceiling_rule_id"),  # the ceiling is not in the set
            ([national(), local(national_ceiling_rule_id=None)], "/national_ceiling_rule_id"),
            ([national(), local(rule_id="t.other"), local(national_ceiling_rule_id="t.other")],
             "/national_ceiling_rule_id"),
            (
                [national(), national(rule_id="t.nat.decision", procedure_step="complaint.decision"),
                 local(national_ceiling_rule_id="t.nat.decision")],
                "/national_ceiling_rule_id",
            ),
            ([national(trade_type="政府采购"), local()], "/trade_type"),
            ([national(), local(start_event="complaint_accepted")], "/national_ceiling_rule_id"),
            ([national(), national()], "/rule_id"),
        ],
    )  # fmt: skip
    def test_rule_sets_are_checked_together(self, records: list[dict[str, Any]], pointer: str) -> None:
        with pytest.raises(DeadlineRuleError) as raised:
            rule_set(*records)
        assert raised.value.code == "deadline.rule_invalid"
        assert pointer in pointers(raised.value)

    @pytest.mark.parametrize(
        ("record", "pointer"),
        [
            (national(amount=0), "/amount"),
            (national(amount=True), "/amount"),
            (national(amount=1.5), "/amount"),
            (national(unit="month"), "/unit"),
            (national(trade_type="工程"), "/trade_type"),
            (national(jurisdiction_region_code="421181"), "/jurisdiction_region_code"),
            (local(jurisdiction_level="市"), "/jurisdiction_level"),
            (local(jurisdiction_region_code="12345"), "/jurisdiction_region_code"),
            (local(level="NAT-LAW"), "/level"),
            (national(level="LOCAL"), "/level"),
            (national(national_ceiling_rule_id="t.x"), "/national_ceiling_rule_id"),
            (national(cutoff_time="17:60"), "/cutoff_time"),
            (national(unit="hour", excluded_periods=[]), "/cutoff_time"),
            (national(unit="hour", cutoff_time=None), "/excluded_periods"),
            (national(extension_allowed=True), "/extension_approver"),
            (national(extension_approver="某人"), "/extension_approver"),
            (national(effective_to="2011-01-01"), "/effective_to"),
            (national(effective_from="2012-13-01"), "/effective_from"),
            (national(rule_id="has space"), "/rule_id"),
            (national(procedure_step=""), "/procedure_step"),
        ],
    )
    def test_bad_records(self, record: dict[str, Any], pointer: str) -> None:
        with pytest.raises(DeadlineRuleError) as raised:
            Rule.from_mapping(record)
        assert raised.value.code == "deadline.rule_invalid"
        assert pointer in pointers(raised.value)

    def test_missing_and_unknown_fields(self) -> None:
        record = national(colour="red")
        del record["effective_to"]
        with pytest.raises(DeadlineRuleError) as raised:
            Rule.from_mapping(record)
        assert pointers(raised.value) == {"/effective_to", "/colour"}

    @pytest.mark.parametrize(
        "document",
        [
            {"format": "other", "rules": [national()]},
            [national()],
            {"format": "ggzy.deadline-rules.v1", "rules": [["not", "a", "record"]]},
        ],
    )
    def test_a_rule_file_needs_its_format(self, tmp_path: Path, document: object) -> None:
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(document), "utf-8")
        with pytest.raises(DeadlineRuleError) as raised:
            RuleSet.from_files([path])
        assert raised.value.code == "deadline.rule_invalid"

    def test_an_unreadable_rule_file(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.json"
        path.write_text("[", "utf-8")
        with pytest.raises(DeadlineRuleError, match=r"rules\.json"):
            RuleSet.from_files([path])


class TestApplicable:
    @pytest.mark.parametrize(
        ("jurisdiction", "trade_type", "step", "expected"),
        [
            (MACHENG, "工程建设", "complaint.acceptance",
             ["nat.tb.complaint.acceptance", "hb.macheng.complaint.acceptance"]),
            (HUANGGANG, "工程建设", "complaint.acceptance", ["nat.tb.complaint.acceptance"]),
            ("420102", "工程建设", "complaint.decision", ["nat.tb.complaint.decision"]),
            (MACHENG, "政府采购", "complaint.acceptance", ["nat.gp.complaint.acceptance"]),
            (GUCHENG_LIJIANG, "工程建设", "remote_evaluation.result_copy",
             ["yn.remote_evaluation.result_copy"]),
            (KUNMING, "政府采购", "remote_evaluation.result_copy", ["yn.remote_evaluation.result_copy"]),
            (GUCHENG_LIJIANG, "其他", "remote_evaluation.record_handover",
             ["yn.lijiang.remote_evaluation.record_handover"]),
            (KUNMING, "工程建设", "remote_evaluation.record_handover", []),
            ("420102", "工程建设", "remote_evaluation.result_copy", []),
        ],
    )  # fmt: skip
    def test_by_region_trade_and_step(
        self, rules: RuleSet, jurisdiction: str, trade_type: str, step: str, expected: list[str]
    ) -> None:
        found = rules.applicable(
            jurisdiction=jurisdiction, trade_type=trade_type, procedure_step=step, at=date(2025, 10, 9)
        )
        assert [rule.rule_id for rule in found] == expected

    @pytest.mark.parametrize(
        ("at", "expected"),
        [
            (date(2012, 1, 31), []),
            (date(2022, 9, 19), ["nat.tb.complaint.acceptance"]),
            (date(2022, 9, 20), ["nat.tb.complaint.acceptance", "hb.macheng.complaint.acceptance"]),
        ],
    )
    def test_by_date_in_force(self, rules: RuleSet, at: date, expected: list[str]) -> None:
        found = rules.applicable(
            jurisdiction=MACHENG, trade_type="工程建设", procedure_step="complaint.acceptance", at=at
        )
        assert [rule.rule_id for rule in found] == expected

    def test_effective_to_is_inclusive(self) -> None:
        ended = rule_set(national(effective_to="2020-12-31"))
        ask = {"jurisdiction": MACHENG, "trade_type": "工程建设", "procedure_step": "complaint.acceptance"}
        assert len(ended.applicable(**ask, at=date(2020, 12, 31))) == 1
        assert ended.applicable(**ask, at=date(2021, 1, 1)) == []

    @pytest.mark.parametrize(
        ("jurisdiction", "trade_type", "at"),
        [
            ("4211", "工程建设", date(2025, 1, 2)),
            ("000000", "工程建设", date(2025, 1, 2)),
            (MACHENG, "建设工程", date(2025, 1, 2)),
            (MACHENG, "工程建设", datetime(2025, 1, 2, tzinfo=UTC)),
        ],
    )
    def test_bad_questions(self, rules: RuleSet, jurisdiction: str, trade_type: str, at: date) -> None:
        with pytest.raises(DeadlineInputError) as raised:
            rules.applicable(
                jurisdiction=jurisdiction, trade_type=trade_type, procedure_step="complaint.acceptance", at=at
            )
        assert raised.value.code == "deadline.invalid_input"


class TestComputeDeadline:
    def applicable(
        self, rules: RuleSet, step: str, start: datetime, jurisdiction: str = MACHENG
    ) -> list[Rule]:
        return rules.applicable(
            jurisdiction=jurisdiction, trade_type="工程建设", procedure_step=step, at=start.date()
        )

    def test_strictest_rule_wins_and_the_ceiling_is_kept(
        self, rules: RuleSet, calendar: WorkdayCalendar
    ) -> None:
        start = china(2025, 9, 30, 16)  # Tuesday before the National Day break
        deadline = compute_deadline(
            rules=self.applicable(rules, "complaint.acceptance", start), calendar=calendar, start=start
        )
        # 麻城: 1 working day → Thu 9 Oct. National: 9, 10, Sat 11 Oct (make-up workday).
        assert deadline.rule.rule_id == "hb.macheng.complaint.acceptance"
        assert deadline.due_date == date(2025, 10, 9)
        assert deadline.due == midnight_after(date(2025, 10, 9))
        assert deadline.ceiling is not None
        assert deadline.ceiling.rule.rule_id == "nat.tb.complaint.acceptance"
        assert deadline.ceiling_due == midnight_after(date(2025, 10, 11))
        assert deadline.sources == (
            "麻公管委〔2022〕2号 实施方案 二(三)1",
            "国务院令第613号 招标投标法实施条例 第六十一条",
        )
        assert [due.rule.rule_id for due in deadline.candidates] == [
            "hb.macheng.complaint.acceptance",
            "nat.tb.complaint.acceptance",
        ]

    def test_outside_the_local_jurisdiction_the_national_rule_is_its_own_ceiling(
        self, rules: RuleSet, calendar: WorkdayCalendar
    ) -> None:
        start = china(2026, 2, 13, 9)  # Friday before Spring Festival 2026
        deadline = compute_deadline(
            rules=self.applicable(rules, "complaint.acceptance", start, HUANGGANG),
            calendar=calendar,
            start=start,
        )
        # Sat 14 Feb (make-up), Tue 24 Feb, Wed 25 Feb.
        assert deadline.due_date == date(2026, 2, 25)
        assert deadline.ceiling_due == deadline.due
        assert deadline.sources == ("国务院令第613号 招标投标法实施条例 第六十一条",)

    def test_a_tie_goes_to_the_local_target(self, calendar: WorkdayCalendar) -> None:
        tied = rule_set(national(), local(amount=3))
        deadline = compute_deadline(rules=list(tied), calendar=calendar, start=china(2025, 3, 3))
        assert deadline.rule.rule_id == "t.local.acceptance"
        assert deadline.due == deadline.ceiling_due

    def test_start_is_read_in_china_time(self, rules: RuleSet, calendar: WorkdayCalendar) -> None:
        start = datetime(2025, 9, 30, 17, 0, tzinfo=UTC)  # 1 Oct 01:00 in China, a holiday
        deadline = compute_deadline(
            rules=self.applicable(rules, "complaint.acceptance", start.astimezone(CHINA_TZ)),
            calendar=calendar,
            start=start,
        )
        assert deadline.start == china(2025, 10, 1, 1)
        assert deadline.due_date == date(2025, 10, 9)
        assert deadline.due.utcoffset() == timedelta(hours=8)

    def test_excluded_periods_pause_the_clock(self, rules: RuleSet, calendar: WorkdayCalendar) -> None:
        start = china(2025, 9, 30)
        review = ExcludedPeriod(date(2025, 10, 9), date(2025, 10, 13), REVIEW)  # 9, 10, 11 (Sat), 13
        deadline = compute_deadline(
            rules=self.applicable(rules, "complaint.decision", start),
            calendar=calendar,
            start=start,
            excluded=[review],
        )
        assert deadline.rule.rule_id == "hb.macheng.complaint.decision"
        assert deadline.operative.paused == 4
        # Without the pause 15 working days end on 28 Oct; four more: 29, 30, 31 Oct, 3 Nov.
        assert deadline.due_date == date(2025, 11, 3) == calendar.add_workdays(date(2025, 9, 30), 19)
        assert deadline.ceiling is not None
        assert deadline.ceiling.due_date == calendar.add_workdays(date(2025, 9, 30), 34)

    def test_overlapping_and_early_periods_count_once(
        self, rules: RuleSet, calendar: WorkdayCalendar
    ) -> None:
        start = china(2025, 9, 30)
        periods: list[ExcludedPeriodLike] = [
            (date(2025, 9, 1), date(2025, 10, 9)),  # only 9 Oct lies after the start
            (date(2025, 10, 9), date(2025, 10, 10)),
            (date(2025, 10, 10), date(2025, 10, 10), REVIEW),
        ]
        deadline = compute_deadline(
            rules=self.applicable(rules, "complaint.decision", start),
            calendar=calendar,
            start=start,
            excluded=periods,
        )
        assert deadline.operative.paused == 2
        assert deadline.due_date == calendar.add_workdays(date(2025, 9, 30), 17)

    def test_a_pause_no_rule_allows_is_refused(self, rules: RuleSet, calendar: WorkdayCalendar) -> None:
        start = china(2025, 9, 30)
        cases: list[tuple[str, ExcludedPeriodLike]] = [
            ("complaint.decision", (date(2025, 10, 9), date(2025, 10, 9), "补正材料")),  # a 政府采购 pause
            ("complaint.acceptance", (date(2025, 10, 9), date(2025, 10, 9))),  # acceptance never pauses
        ]
        for step, period in cases:
            with pytest.raises(DeadlineInputError) as raised:
                compute_deadline(
                    rules=self.applicable(rules, step, start),
                    calendar=calendar,
                    start=start,
                    excluded=[period],
                )
            assert raised.value.code == "deadline.invalid_input"

    @pytest.mark.parametrize(
        "period",
        [
            (date(2025, 10, 13), date(2025, 10, 9)),
            (datetime(2025, 10, 9, tzinfo=UTC), datetime(2025, 10, 10, tzinfo=UTC)),
            (date(2025, 10, 9),),
        ],
    )
    def test_malformed_periods(
        self, rules: RuleSet, calendar: WorkdayCalendar, period: tuple[date, date]
    ) -> None:
        start = china(2025, 9, 30)
        with pytest.raises(DeadlineInputError) as raised:
            compute_deadline(
                rules=self.applicable(rules, "complaint.decision", start),
                calendar=calendar,
                start=start,
                excluded=[period],
            )
        assert raised.value.code == "deadline.invalid_input"

    def test_complaint_filing_window_excludes_the_objection_reply(
        self, rules: RuleSet, calendar: WorkdayCalendar
    ) -> None:
        knew = china(2025, 9, 20, 9)
        filing = self.applicable(rules, "complaint.filing", knew)
        plain = compute_deadline(rules=filing, calendar=calendar, start=knew)
        assert plain.due_date == date(2025, 9, 30)  # 10 calendar days, a Tuesday
        reply = (date(2025, 9, 22), date(2025, 9, 24), "异议答复期")
        paused = compute_deadline(rules=filing, calendar=calendar, start=knew, excluded=[reply])
        # 13 days end on Fri 3 Oct, a holiday: the period ends on the next working day.
        assert paused.due_date == date(2025, 10, 9)
        assert paused.operative.paused == 3

    def test_extension_with_the_configured_approver(self, rules: RuleSet, calendar: WorkdayCalendar) -> None:
        start = china(2025, 9, 30)
        decision = self.applicable(rules, "complaint.decision", start)
        by_amount = compute_deadline(
            rules=decision, calendar=calendar, start=start, extensions=[("监管办主要负责人", 20)]
        )
        assert by_amount.rule.rule_id == "hb.macheng.complaint.decision"
        assert by_amount.due_date == calendar.add_workdays(date(2025, 9, 30), 20)
        assert by_amount.extensions == (Extension("监管办主要负责人", new_amount=20),)
        assert by_amount.ceiling_due == midnight_after(calendar.add_workdays(date(2025, 9, 30), 30))
        by_date = compute_deadline(
            rules=decision,
            calendar=calendar,
            start=start,
            extensions=[Extension("监管办主要负责人", new_due=date(2025, 11, 7))],
        )
        assert by_date.due == midnight_after(date(2025, 11, 7))

    def test_extension_needs_the_configured_approver(self, rules: RuleSet, calendar: WorkdayCalendar) -> None:
        start = china(2025, 9, 30)
        with pytest.raises(ExtensionNotAllowedError) as raised:
            compute_deadline(
                rules=self.applicable(rules, "complaint.decision", start),
                calendar=calendar,
                start=start,
                extensions=[("承办人", 20)],
            )
        assert raised.value.code == "deadline.extension_not_allowed"

    def test_a_national_limit_is_not_extended(self, rules: RuleSet, calendar: WorkdayCalendar) -> None:
        start = china(2025, 9, 30)
        with pytest.raises(ExtensionNotAllowedError):
            compute_deadline(
                rules=self.applicable(rules, "complaint.decision", start, HUANGGANG),
                calendar=calendar,
                start=start,
                extensions=[("监管办主要负责人", 40)],
            )

    @pytest.mark.parametrize(
        "extension", [("监管办主要负责人", 31), ("监管办主要负责人", date(2025, 12, 31))]
    )
    def test_an_extension_never_passes_the_national_ceiling(
        self, rules: RuleSet, calendar: WorkdayCalendar, extension: tuple[str, object]
    ) -> None:
        start = china(2025, 9, 30)
        with pytest.raises(ExtensionExceedsCeilingError) as raised:
            compute_deadline(
                rules=self.applicable(rules, "complaint.decision", start),
                calendar=calendar,
                start=start,
                extensions=[extension],  # type: ignore[list-item]
            )
        assert raised.value.code == "deadline.extension_exceeds_ceiling"

    @pytest.mark.parametrize(
        "extension",
        [
            ("监管办主要负责人", 10),  # shorter
            ("监管办主要负责人", date(2025, 10, 28)),  # the current due date itself
            Extension("监管办主要负责人"),  # neither amount nor date
            ("监管办主要负责人", datetime(2025, 11, 7, tzinfo=UTC)),  # a day rule takes a date
            ("监管办主要负责人", True),
            Extension("监管办主要负责人", new_amount=-3),
        ],
    )
    def test_an_extension_must_extend(
        self, rules: RuleSet, calendar: WorkdayCalendar, extension: object
    ) -> None:
        start = china(2025, 9, 30)
        with pytest.raises(DeadlineInputError) as raised:
            compute_deadline(
                rules=self.applicable(rules, "complaint.decision", start),
                calendar=calendar,
                start=start,
                extensions=[extension],  # type: ignore[list-item]
            )
        assert raised.value.code == "deadline.invalid_input"

    @pytest.mark.parametrize(
        ("step", "start", "due"),
        [
            ("remote_evaluation.fault_before_start", china(2025, 10, 1, 23), china(2025, 10, 2, 1)),
            (
                "remote_evaluation.fault_during_evaluation",
                china(2026, 2, 14, 22, 30),
                china(2026, 2, 15, 2, 30),
            ),
            # Elapsed hours need no calendar: a year without data is no obstacle.
            ("remote_evaluation.fault_during_evaluation", china(2031, 3, 3, 9), china(2031, 3, 3, 13)),
        ],
    )
    def test_hour_rules(
        self, rules: RuleSet, calendar: WorkdayCalendar, step: str, start: datetime, due: datetime
    ) -> None:
        deadline = compute_deadline(
            rules=self.applicable(rules, step, start, GUCHENG_LIJIANG), calendar=calendar, start=start
        )
        assert deadline.due == due
        assert deadline.ceiling is None
        assert deadline.is_overdue(due)
        assert not deadline.is_overdue(due - timedelta(seconds=1))

    @pytest.mark.parametrize(
        ("step", "start", "due_date"),
        [
            # Concluded the Friday before Spring Festival 2026: Sat 14 Feb, 24–27 Feb, Sat 28 Feb, Mon 2 Mar.
            ("remote_evaluation.result_copy", china(2026, 2, 13, 16), date(2026, 3, 2)),
            ("remote_evaluation.result_copy", china(2025, 9, 29), date(2025, 10, 15)),
            # Handover: 9, 10, 11 (Sat), 13, 14 Oct 2025.
            ("remote_evaluation.record_handover", china(2025, 9, 30), date(2025, 10, 14)),
            ("remote_evaluation.record_handover", china(2026, 9, 30), date(2026, 10, 13)),
        ],
    )
    def test_remote_evaluation_obligations(
        self, rules: RuleSet, calendar: WorkdayCalendar, step: str, start: datetime, due_date: date
    ) -> None:
        deadline = compute_deadline(
            rules=self.applicable(rules, step, start, GUCHENG_LIJIANG), calendar=calendar, start=start
        )
        assert deadline.due_date == due_date
        assert deadline.ceiling is None
        assert deadline.sources == (deadline.rule.source,)

    @pytest.mark.parametrize("start", [china(2031, 3, 3), china(2026, 12, 28)])
    def test_a_year_without_calendar_data_fails_closed(
        self, rules: RuleSet, calendar: WorkdayCalendar, start: datetime
    ) -> None:
        needed = 2031 if start.year == 2031 else 2027
        with pytest.raises(CalendarError) as raised:
            compute_deadline(
                rules=self.applicable(rules, "complaint.decision", start), calendar=calendar, start=start
            )
        assert raised.value.code == "calendar.no_data"
        assert str(needed) in raised.value.message

    def test_cutoff_and_counting_the_start_day(self, calendar: WorkdayCalendar) -> None:
        close = rule_set(national(cutoff_time="17:30"))
        deadline = compute_deadline(rules=list(close), calendar=calendar, start=china(2025, 9, 26))
        assert deadline.due == china(2025, 9, 30, 17, 30)  # Sun 28 (make-up), Mon 29, Tue 30 Sep
        inclusive = rule_set(national(start_day_excluded=False))
        deadline = compute_deadline(rules=list(inclusive), calendar=calendar, start=china(2025, 9, 26))
        assert deadline.due_date == date(2025, 9, 29)  # Fri 26, Sun 28, Mon 29 Sep

    @pytest.mark.parametrize(
        ("kwargs", "fragment"),
        [
            ({"rules": []}, "no deadline rule"),
            ({"start": datetime(2025, 9, 30, 10)}, "aware"),  # noqa: DTZ001 - the naive start is the point
            ({"mixed": True}, "different procedure steps"),
        ],
    )
    def test_bad_questions(
        self, rules: RuleSet, calendar: WorkdayCalendar, kwargs: dict[str, Any], fragment: str
    ) -> None:
        start = china(2025, 9, 30)
        given = self.applicable(rules, "complaint.acceptance", start)
        if kwargs.pop("mixed", False):
            given += self.applicable(rules, "complaint.decision", start)
        with pytest.raises(DeadlineInputError) as raised:
            compute_deadline(**{"rules": given, "calendar": calendar, "start": start, **kwargs})
        assert raised.value.code == "deadline.invalid_input"
        assert fragment in raised.value.message

    def test_a_local_rule_without_its_ceiling_is_refused(
        self, rules: RuleSet, calendar: WorkdayCalendar
    ) -> None:
        start = china(2025, 9, 30)
        only_local = [
            rule for rule in self.applicable(rules, "complaint.acceptance", start) if not rule.is_national
        ]
        with pytest.raises(DeadlineInputError, match=r"nat\.tb\.complaint\.acceptance"):
            compute_deadline(rules=only_local, calendar=calendar, start=start)


class TestAgainstHolidaysPackage:
    """Complaint deadlines for every start day of 2024–2026 against `holidays.China` (issue 5)."""

    @pytest.mark.parametrize(
        ("jurisdiction", "step", "local_n", "national_n"),
        [
            (MACHENG, "complaint.acceptance", 1, 3),
            (MACHENG, "complaint.decision", 15, 30),
            (HUANGGANG, "complaint.decision", None, 30),
        ],
    )
    def test_every_start_day(
        self,
        rules: RuleSet,
        calendar: WorkdayCalendar,
        jurisdiction: str,
        step: str,
        local_n: int | None,
        national_n: int,
    ) -> None:
        oracle = holidays.China(years=range(2024, 2027))
        mismatches = []
        start_day = date(2024, 1, 1)
        while start_day <= date(2026, 12, 31):
            start = china(start_day.year, start_day.month, start_day.day, 15)
            ceiling = oracle.get_nth_working_day(start_day, national_n)
            if ceiling <= date(2026, 12, 31):
                found = rules.applicable(
                    jurisdiction=jurisdiction, trade_type="工程建设", procedure_step=step, at=start_day
                )
                deadline = compute_deadline(rules=found, calendar=calendar, start=start)
                operative = oracle.get_nth_working_day(start_day, local_n) if local_n else ceiling
                if (deadline.due_date, deadline.ceiling_due) != (operative, midnight_after(ceiling)):
                    mismatches.append(start_day)
            start_day += timedelta(days=1)
        assert mismatches == []
