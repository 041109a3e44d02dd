"""The deadline rules and the working-day calendar of config/, loaded once, and due times from them.

A workflow names the procedure step and the jurisdiction whose rules count (for remote evaluation,
the host's: DOMAIN §0 rule 3); the rules in force on the start day that bind that jurisdiction are
counted by `schemas.deadlines.compute_deadline`. Remote evaluation has no trade type, so only rules
for every trade (`*`) apply. A count that needs a year without calendar data fails closed
(`calendar.no_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import config
from gateway.services.remote_errors import NoDeadlineRuleError
from schemas.deadlines import ANY_TRADE, CHINA_TZ, Deadline, Rule, RuleSet, compute_deadline
from schemas.workdays import WorkdayCalendar

CONFIG_DIR = Path(config.__file__).resolve().parent


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.from_files(sorted((CONFIG_DIR / "deadlines").glob("*.json")))


@lru_cache(maxsize=1)
def default_calendar() -> WorkdayCalendar:
    return WorkdayCalendar.from_directory(CONFIG_DIR / "calendar")


@dataclass(frozen=True)
class DuePolicy:
    """Which rules and calendar count; tests hand in their own."""

    rules: RuleSet
    calendar: WorkdayCalendar

    @classmethod
    def default(cls) -> DuePolicy:
        return cls(default_rules(), default_calendar())

    def rules_for(self, step: str, *, jurisdiction: str, start: datetime) -> list[Rule]:
        day = start.astimezone(CHINA_TZ).date()
        return [
            rule for rule in self.rules
            if rule.procedure_step == step and rule.trade_type == ANY_TRADE
            and rule.in_force(day) and rule.binds(jurisdiction)
        ]

    def has_rule(self, step: str, *, jurisdiction: str, start: datetime) -> bool:
        return bool(self.rules_for(step, jurisdiction=jurisdiction, start=start))

    def deadline(self, step: str, *, jurisdiction: str, start: datetime) -> Deadline:
        rules = self.rules_for(step, jurisdiction=jurisdiction, start=start)
        if not rules:
            raise NoDeadlineRuleError(f"no deadline rule for {step} binds {jurisdiction}")
        return compute_deadline(rules=rules, calendar=self.calendar, start=start)
