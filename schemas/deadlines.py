"""Deadline rules as data (DOMAIN §0 rule 1) and the computation of a due time from them.

A `Rule` is one versioned record of a rule file (config/deadlines/*.json): who it binds (a region and
its subtree), which trade type and procedure step, the period (amount + unit) and how it is counted,
what may pause it, who may extend it, its level and its source. No time limit is written in this
module. Checks on load: a rule cites a source document; a LOCAL or LOCAL-SEED rule is never looser
than its national ceiling (same unit, amount ≤); a local rule for a step that has a national rule
must name that rule as its ceiling.

`compute_deadline` counts every applicable rule from the same start on a `WorkdayCalendar`; the
strictest (earliest due) wins and is the operative deadline, and the national ceiling's due time is
kept beside it (DOMAIN §0 precedence: the local value is the target, the national value the legal
limit). Due times are aware datetimes in China time at the rule's cut-off; a `24:00` cut-off is the
first instant of the next day, so an act is on time iff it happens before `due`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar, TypeAlias, get_args

from schemas.base import TradeType
from schemas.errors import GatewayError
from schemas.regions import is_region_code, is_within, region_level
from schemas.workdays import WorkdayCalendar

CHINA_TZ = timezone(timedelta(hours=8), "UTC+08:00")  # no daylight saving since 1991
NATIONAL_REGION = "000000"  # the whole country; not a GB/T 2260 code
ANY_TRADE = "*"
UNITS = ("calendar_day", "working_day", "hour")
NATIONAL_LEVELS = ("NAT-LAW", "NAT-POL")
LOCAL_LEVELS = ("LOCAL", "LOCAL-SEED")
JURISDICTION_LEVELS = {"国家": None, "省": "province", "市": "city", "县": "county"}
RULE_FILE_FORMAT = "ggzy.deadline-rules.v1"
_CUTOFF = re.compile(r"24:00|(?:[01]\d|2[0-3]):[0-5]\d")


class DeadlineRuleError(GatewayError):
    """A rule record is invalid, or looser than its national ceiling."""

    code = "deadline.rule_invalid"
    status = 422


class DeadlineInputError(GatewayError):
    """A deadline question is malformed (naive datetime, no rule, rules of different steps …)."""

    code = "deadline.invalid_input"
    status = 422


class ExtensionNotAllowedError(GatewayError):
    """The rule allows no extension, or the approver is not the one the rule names."""

    code = "deadline.extension_not_allowed"
    status = 422


class ExtensionExceedsCeilingError(GatewayError):
    """An extension would move the operative deadline past the national ceiling."""

    code = "deadline.extension_exceeds_ceiling"
    status = 422


@dataclass(frozen=True)
class Rule:
    rule_id: str
    jurisdiction_region_code: str
    jurisdiction_level: str
    trade_type: str
    procedure_step: str
    start_event: str
    end_event: str
    amount: int
    unit: str
    start_day_excluded: bool
    roll_if_last_day_holiday: bool
    cutoff_time: str | None
    excluded_periods: tuple[str, ...]
    extension_allowed: bool
    extension_approver: str | None
    national_ceiling_rule_id: str | None
    level: str
    source_doc_no: str
    source_article: str | None
    source_url: str | None
    effective_from: date | None  # None: in force since a date not on record
    effective_to: date | None  # inclusive; None: open-ended
    note: str = ""

    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"note"})

    def __post_init__(self) -> None:
        # A tuple keeps the frozen rule hashable when it is built from a JSON list.
        object.__setattr__(self, "excluded_periods", tuple(self.excluded_periods))
        problems = _rule_problems(self)
        if problems:
            raise DeadlineRuleError(
                f"deadline rule {self.rule_id!r}: " + "; ".join(f"{f}: {m}" for f, _, m in problems),
                details=[{"pointer": f"/{f}", "code": c, "message": m} for f, c, m in problems],
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Rule:
        """A rule from its JSON record: every field present (null where allowed), none unknown."""
        if not isinstance(data, Mapping):
            raise DeadlineRuleError("a deadline rule is a JSON object")
        names = {field.name for field in fields(cls)}
        missing = sorted(names - cls.OPTIONAL - set(data))
        unknown = sorted(set(data) - names)
        if missing or unknown:
            raise DeadlineRuleError(
                f"deadline rule {data.get('rule_id')!r}: missing {missing}, unknown {unknown}",
                details=[
                    {"pointer": f"/{name}", "code": "rule.missing_field", "message": "required"}
                    for name in missing
                ]
                + [
                    {"pointer": f"/{name}", "code": "rule.unknown_field", "message": "not a rule field"}
                    for name in unknown
                ],
            )
        values = dict(data)
        values["excluded_periods"] = values["excluded_periods"] or ()
        for name in ("effective_from", "effective_to"):
            values[name] = _optional_date(values[name], rule_id=data.get("rule_id"), field=name)
        return cls(**values)

    @property
    def is_national(self) -> bool:
        return self.level in NATIONAL_LEVELS

    @property
    def source(self) -> str:
        """Document number and article, e.g. 云发改交易监督〔2020〕972号 六(十二)."""
        return f"{self.source_doc_no} {self.source_article or ''}".strip()

    def in_force(self, at: date) -> bool:
        return (self.effective_from is None or self.effective_from <= at) and (
            self.effective_to is None or at <= self.effective_to
        )

    def binds(self, jurisdiction: str) -> bool:
        """True for a national rule, and for a region's rule within that region's subtree."""
        return self.jurisdiction_region_code == NATIONAL_REGION or is_within(
            jurisdiction, self.jurisdiction_region_code
        )

    def covers_trade(self, trade_type: str) -> bool:
        return self.trade_type in (ANY_TRADE, trade_type)


def _rule_problems(rule: Rule) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []

    def check(condition: bool, field: str, message: str, code: str = "rule.invalid") -> None:
        if not condition:
            problems.append((field, code, message))

    check(
        _text(rule.rule_id) and not re.search(r"\s", rule.rule_id), "rule_id", "a non-blank id without spaces"
    )
    check(
        _text(rule.source_doc_no),
        "source_doc_no",
        "a rule without a source document is rejected",
        "rule.source_missing",
    )
    for name in ("procedure_step", "start_event", "end_event"):
        check(_text(getattr(rule, name)), name, "required")
    check(rule.jurisdiction_level in JURISDICTION_LEVELS, "jurisdiction_level", "one of 国家/省/市/县")
    if rule.jurisdiction_level == "国家":
        check(rule.jurisdiction_region_code == NATIONAL_REGION, "jurisdiction_region_code", "000000 for 国家")
    elif rule.jurisdiction_level in JURISDICTION_LEVELS:
        valid = is_region_code(rule.jurisdiction_region_code)
        check(valid, "jurisdiction_region_code", "a GB/T 2260 code")
        if valid:
            level = region_level(rule.jurisdiction_region_code)
            check(
                level == JURISDICTION_LEVELS[rule.jurisdiction_level],
                "jurisdiction_level",
                f"{rule.jurisdiction_region_code} is a {level} code",
            )
    check(
        rule.trade_type == ANY_TRADE or rule.trade_type in get_args(TradeType),
        "trade_type",
        f"one of {', '.join(get_args(TradeType))} or *",
    )
    check(type(rule.amount) is int and rule.amount > 0, "amount", "a positive integer")
    check(rule.unit in UNITS, "unit", f"one of {', '.join(UNITS)}")
    if rule.unit == "hour":
        check(rule.cutoff_time is None, "cutoff_time", "an hour period has no cut-off time")
        check(not rule.roll_if_last_day_holiday, "roll_if_last_day_holiday", "an hour period never rolls")
        check(not rule.excluded_periods, "excluded_periods", "whole-day pauses do not apply to hours")
    else:
        check(
            isinstance(rule.cutoff_time, str) and bool(_CUTOFF.fullmatch(rule.cutoff_time)),
            "cutoff_time",
            "24:00 or HH:MM (close of business)",
        )
    check(all(_text(kind) for kind in rule.excluded_periods), "excluded_periods", "named kinds of period")
    if rule.extension_allowed:
        check(_text(rule.extension_approver), "extension_approver", "an extendable rule names its approver")
    else:
        check(rule.extension_approver is None, "extension_approver", "only an extendable rule has one")
    check(rule.level in NATIONAL_LEVELS + LOCAL_LEVELS, "level", "NAT-LAW, NAT-POL, LOCAL or LOCAL-SEED")
    national_scope = rule.jurisdiction_level == "国家"
    check(rule.is_national == national_scope, "level", "national levels are exactly the 国家 rules")
    if rule.is_national:
        check(rule.national_ceiling_rule_id is None, "national_ceiling_rule_id", "a national rule has none")
    if rule.effective_from is not None and rule.effective_to is not None:
        check(rule.effective_from <= rule.effective_to, "effective_to", "before effective_from")
    return problems


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _optional_date(value: object, *, rule_id: object, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DeadlineRuleError(
            f"deadline rule {rule_id!r}: {field} is not an ISO date",
            details=[{"pointer": f"/{field}", "code": "rule.invalid", "message": "an ISO date"}],
        ) from None


class RuleSet:
    """The rules of one or more rule files, checked together (ceilings may live in another file)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.rule_id in self._rules:
                raise _set_error(rule, "rule_id", "rule id used twice")
            self._rules[rule.rule_id] = rule
        for rule in self._rules.values():
            if not rule.is_national:
                self._check_ceiling(rule)

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> RuleSet:
        """Parsed rule files: {"format": "ggzy.deadline-rules.v1", "version": n, "rules": [...]}."""
        rules: list[Rule] = []
        for document in documents:
            if not isinstance(document, Mapping) or document.get("format") != RULE_FILE_FORMAT:
                raise DeadlineRuleError(
                    f"not a deadline rule file (format {RULE_FILE_FORMAT} expected)",
                    details=[{"pointer": "/format", "code": "rule.invalid", "message": RULE_FILE_FORMAT}],
                )
            rules.extend(Rule.from_mapping(record) for record in document.get("rules") or [])
        return cls(rules)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> RuleSet:
        documents = []
        for path in paths:
            try:
                documents.append(json.loads(Path(path).read_text("utf-8")))
            except (OSError, ValueError) as exc:
                raise DeadlineRuleError(f"{Path(path).name}: cannot read rules ({exc})") from exc
        return cls.from_documents(documents)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def applicable(self, *, jurisdiction: str, trade_type: str, procedure_step: str, at: date) -> list[Rule]:
        """Rules in force on `at` binding `jurisdiction` (a GB/T 2260 code) for the trade type and step:
        the national rules and those of every region the jurisdiction lies in. National first."""
        if not is_region_code(jurisdiction):
            raise _input_error("/jurisdiction", f"{jurisdiction!r} is not a GB/T 2260 region code")
        if trade_type not in get_args(TradeType):
            raise _input_error("/trade_type", f"unknown trade type {trade_type!r}")
        if isinstance(at, datetime) or not isinstance(at, date):
            raise _input_error("/at", "a date (the day the clock starts)")
        found = [
            rule
            for rule in self._rules.values()
            if rule.procedure_step == procedure_step
            and rule.covers_trade(trade_type)
            and rule.in_force(at)
            and rule.binds(jurisdiction)
        ]
        return sorted(
            found, key=lambda rule: (not rule.is_national, rule.jurisdiction_region_code, rule.rule_id)
        )

    def _check_ceiling(self, rule: Rule) -> None:
        ceiling_id = rule.national_ceiling_rule_id
        if ceiling_id is None:
            national = sorted(
                other.rule_id
                for other in self._rules.values()
                if other.is_national
                and other.procedure_step == rule.procedure_step
                and _trades_meet(other, rule)
            )
            if national:
                raise _set_error(
                    rule, "national_ceiling_rule_id", f"must name its national ceiling ({national})"
                )
            return
        ceiling = self._rules.get(ceiling_id)
        if ceiling is None or not ceiling.is_national:
            raise _set_error(rule, "national_ceiling_rule_id", f"{ceiling_id} is not a national rule here")
        if (ceiling.procedure_step, ceiling.start_event) != (rule.procedure_step, rule.start_event):
            raise _set_error(rule, "national_ceiling_rule_id", f"{ceiling_id} counts another step or start")
        if not ceiling.covers_trade(rule.trade_type):
            raise _set_error(rule, "trade_type", f"{ceiling_id} is for {ceiling.trade_type}")
        if ceiling.unit != rule.unit:
            raise _set_error(rule, "unit", f"not comparable with {ceiling_id} ({ceiling.unit})")
        if rule.amount > ceiling.amount:
            raise _set_error(
                rule, "amount", f"{rule.amount} {rule.unit} is looser than the national {ceiling.amount}"
            )


def _trades_meet(a: Rule, b: Rule) -> bool:
    return ANY_TRADE in (a.trade_type, b.trade_type) or a.trade_type == b.trade_type


def _set_error(rule: Rule, field: str, message: str) -> DeadlineRuleError:
    return DeadlineRuleError(
        f"deadline rule {rule.rule_id!r}: {field}: {message}",
        details=[{"pointer": f"/{field}", "code": "rule.invalid", "message": message}],
    )


def _input_error(pointer: str, message: str) -> DeadlineInputError:
    return DeadlineInputError(
        message, details=[{"pointer": pointer, "code": "deadline.invalid_input", "message": message}]
    )


# --- computation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExcludedPeriod:
    """Days (inclusive) that do not count: 检验/检测/鉴定/专家评审, the 异议 reply period …

    A period pauses the rules that list excluded kinds; with a `kind`, only those listing it."""

    start: date
    end: date
    kind: str | None = None


@dataclass(frozen=True)
class Extension:
    """An approved extension: a new amount (in the rule's unit) or a new due date (hours: datetime).

    `approved_by` is the approving role, which must be the rule's `extension_approver`."""

    approved_by: str
    new_amount: int | None = None
    new_due: date | None = None


ExcludedPeriodLike: TypeAlias = ExcludedPeriod | tuple[date, date] | tuple[date, date, str]
ExtensionLike: TypeAlias = Extension | tuple[str, int | date]


@dataclass(frozen=True)
class RuleDue:
    rule: Rule
    due: datetime  # the instant the period ends (China time)
    due_date: date  # its last day
    paused: int  # days (working days for a working-day rule) not counted


@dataclass(frozen=True)
class Deadline:
    start: datetime
    operative: RuleDue  # the strictest rule, after approved extensions
    ceiling: RuleDue | None  # the national rule (the legal limit), None when no national rule exists
    candidates: tuple[RuleDue, ...]  # every rule counted, earliest first
    extensions: tuple[Extension, ...]

    @property
    def due(self) -> datetime:
        return self.operative.due

    @property
    def due_date(self) -> date:
        return self.operative.due_date

    @property
    def rule(self) -> Rule:
        return self.operative.rule

    @property
    def ceiling_due(self) -> datetime | None:
        return None if self.ceiling is None else self.ceiling.due

    @property
    def sources(self) -> tuple[str, ...]:
        """The operative rule's source, then the ceiling's when it is another rule."""
        rules = [self.rule] + ([self.ceiling.rule] if self.ceiling and self.ceiling.rule != self.rule else [])
        return tuple(rule.source for rule in rules)

    def is_overdue(self, now: datetime) -> bool:
        return now >= self.due


def compute_deadline(
    *,
    rules: Sequence[Rule],
    calendar: WorkdayCalendar,
    start: datetime,
    excluded: Sequence[ExcludedPeriodLike] = (),
    extensions: Sequence[ExtensionLike] = (),
) -> Deadline:
    """Due time of a step from its applicable rules (usually `RuleSet.applicable(...)`).

    Raises `CalendarError` (calendar.no_data) when a count needs a year without calendar data."""
    if not rules:
        raise _input_error("/rules", "no deadline rule applies")
    if len({rule.procedure_step for rule in rules}) > 1:
        raise _input_error("/rules", "the rules belong to different procedure steps")
    if not isinstance(start, datetime) or start.utcoffset() is None:
        raise _input_error("/start", "the start is an aware datetime")
    start = start.astimezone(CHINA_TZ)
    periods = [_period(item, index) for index, item in enumerate(excluded)]
    for index, period in enumerate(periods):
        if not any(_pauses(period, rule) for rule in rules):
            raise _input_error(f"/excluded/{index}", f"no rule given excludes a {period.kind or 'pause'}")
    counted = sorted(
        (_count(rule, rule.amount, calendar, start, periods) for rule in rules),
        key=lambda due: (due.due, due.rule.is_national, due.rule.rule_id),
    )
    operative = counted[0]
    ceiling = _ceiling(operative.rule, counted)
    applied = [_extension(item) for item in extensions]
    for extension in applied:
        operative = _extend(operative, extension, ceiling, calendar, start, periods)
        if ceiling is not None and ceiling.rule == operative.rule:
            ceiling = operative
    return Deadline(start, operative, ceiling, tuple(counted), tuple(applied))


def _count(
    rule: Rule, amount: int, calendar: WorkdayCalendar, start: datetime, periods: Sequence[ExcludedPeriod]
) -> RuleDue:
    if rule.unit == "hour":
        due = start + timedelta(hours=amount)
        return RuleDue(rule, due, due.date(), 0)
    anchor = start.date() - timedelta(days=0 if rule.start_day_excluded else 1)
    pauses = _merged([(p.start, p.end) for p in periods if _pauses(p, rule)])
    working = rule.unit == "working_day"

    def step(n: int) -> date:
        return calendar.add_workdays(anchor, n) if working else anchor + timedelta(days=n)

    def paused_until(last: date) -> int:
        total = 0
        for first_day, last_day in pauses:
            low, high = max(first_day, anchor + timedelta(days=1)), min(last_day, last)
            if low <= high:
                span = (
                    calendar.workdays_between(low - timedelta(days=1), high)
                    if working
                    else (high - low).days + 1
                )
                total += span
        return total

    # Paused days push the end out, which may bring more paused days in: count to a fixed point.
    last, paused = step(amount), 0
    while (again := paused_until(last)) != paused:
        paused, last = again, step(amount + again)
    if not working and rule.roll_if_last_day_holiday:
        last = calendar.next_workday(last)
    return RuleDue(rule, _cutoff(last, rule.cutoff_time), last, paused)


def _cutoff(last: date, cutoff_time: str | None) -> datetime:
    if cutoff_time in (None, "24:00"):
        return datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ)
    hours, minutes = (int(part) for part in cutoff_time.split(":"))
    return datetime.combine(last, time(hours, minutes), CHINA_TZ)


def _merged(spans: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for first_day, last_day in sorted(spans):
        if merged and first_day <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last_day))
        else:
            merged.append((first_day, last_day))
    return merged


def _pauses(period: ExcludedPeriod, rule: Rule) -> bool:
    return bool(rule.excluded_periods) and (period.kind is None or period.kind in rule.excluded_periods)


def _period(item: ExcludedPeriodLike, index: int) -> ExcludedPeriod:
    problem = _input_error(f"/excluded/{index}", "a period is two dates, the first not after the second")
    try:
        period = item if isinstance(item, ExcludedPeriod) else ExcludedPeriod(*item)
    except TypeError:
        raise problem from None
    plain = all(isinstance(d, date) and not isinstance(d, datetime) for d in (period.start, period.end))
    if not plain or period.start > period.end:
        raise problem
    return period


def _extension(item: ExtensionLike) -> Extension:
    if isinstance(item, Extension):
        return item
    approved_by, value = item
    if isinstance(value, bool):
        raise _input_error("/extensions", "an extension gives a new amount or a new due date")
    if isinstance(value, int):
        return Extension(approved_by, new_amount=value)
    return Extension(approved_by, new_due=value)


def _ceiling(rule: Rule, counted: Sequence[RuleDue]) -> RuleDue | None:
    if rule.is_national:
        return next(due for due in counted if due.rule == rule)
    if rule.national_ceiling_rule_id is None:
        return None
    for due in counted:
        if due.rule.rule_id == rule.national_ceiling_rule_id:
            return due
    raise _input_error(
        "/rules", f"the ceiling {rule.national_ceiling_rule_id} of {rule.rule_id} is not given"
    )


def _extend(
    current: RuleDue,
    extension: Extension,
    ceiling: RuleDue | None,
    calendar: WorkdayCalendar,
    start: datetime,
    periods: Sequence[ExcludedPeriod],
) -> RuleDue:
    rule = current.rule
    if not rule.extension_allowed:
        raise ExtensionNotAllowedError(f"{rule.rule_id} ({rule.source}) allows no extension")
    if extension.approved_by != rule.extension_approver:
        raise ExtensionNotAllowedError(
            f"{rule.rule_id} is extended only with the approval of {rule.extension_approver}, "
            f"not {extension.approved_by}"
        )
    if (extension.new_amount is None) == (extension.new_due is None):
        raise _input_error("/extensions", "an extension gives either a new amount or a new due date")
    if extension.new_amount is not None:
        if type(extension.new_amount) is not int or extension.new_amount <= 0:
            raise _input_error("/extensions", "a new amount is a positive integer")
        extended = _count(rule, extension.new_amount, calendar, start, periods)
    elif rule.unit == "hour":
        if not isinstance(extension.new_due, datetime) or extension.new_due.utcoffset() is None:
            raise _input_error("/extensions", "an hour rule is extended to an aware datetime")
        due = extension.new_due.astimezone(CHINA_TZ)
        extended = RuleDue(rule, due, due.date(), current.paused)
    else:
        if isinstance(extension.new_due, datetime) or not isinstance(extension.new_due, date):
            raise _input_error("/extensions", "a day rule is extended to a date")
        extended = RuleDue(
            rule, _cutoff(extension.new_due, rule.cutoff_time), extension.new_due, current.paused
        )
    if extended.due <= current.due:
        raise _input_error("/extensions", f"an extension must move the deadline past {current.due_date}")
    if ceiling is not None and ceiling.rule != rule and extended.due > ceiling.due:
        raise ExtensionExceedsCeilingError(
            f"extending {rule.rule_id} to {extended.due_date} passes the national ceiling "
            f"{ceiling.rule.rule_id} ({ceiling.due_date}, {ceiling.rule.source})"
        )
    return extended
