"""The working-day calendar against two independent oracles, explicit holiday cases, and failing closed.

Oracles: `chinese_calendar` for 2004–2026 (it refuses other years) and the `holidays` package for
2024–2026 only, since it silently extrapolates past the years it knows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import holidays
import pytest

from schemas.errors import CalendarError
from schemas.workdays import (
    CalendarDataError,
    CalendarYear,
    MissingCalendarYearError,
    WorkdayCalendar,
)
from tests.schemas import make_calendar_files

CALENDAR_DIR = Path(__file__).resolve().parents[2] / "config" / "calendar"
PERIODS = (1, 3, 5, 7, 15, 30)
LAST_DAY = date(2026, 12, 31)


@pytest.fixture(scope="module")
def calendar() -> WorkdayCalendar:
    return WorkdayCalendar.from_directory(CALENDAR_DIR)


@pytest.fixture(scope="module")
def china_holidays() -> holidays.HolidayBase:
    return holidays.China(years=range(2024, 2027))


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - first).days)]


def year_document(year: int, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "year": year,
        "scope": "national",
        "notices": [{"ref": "N1", "doc_no": "N1", "title": None, "issued": None, "url": None}],
        "rest_days": [{"date": f"{year}-10-01", "festival": "国庆节", "source": "N1", "in_lieu": False}],
        "make_up_workdays": [],
    }
    document.update(changes)
    return document


class TestCalendarFiles:
    def test_one_file_per_year_2004_to_2026(self, calendar: WorkdayCalendar) -> None:
        assert sorted(path.stem for path in CALENDAR_DIR.glob("*.json")) == [
            str(y) for y in range(2004, 2027)
        ]
        assert (calendar.first_year, calendar.last_year) == (2004, 2026)
        assert calendar.covers(2026)
        assert not calendar.covers(2027)
        assert not calendar.covers(2003)

    def test_files_are_what_the_generator_writes(self) -> None:
        stale = [
            path.name
            for path, text in make_calendar_files.expected_files().items()
            if path.read_text("utf-8") != text
        ]
        assert stale == []

    @pytest.mark.parametrize("year", range(2004, 2027))
    def test_every_day_cites_a_notice_of_its_file(self, year: int) -> None:
        document = json.loads((CALENDAR_DIR / f"{year}.json").read_text("utf-8"))
        refs = {notice["ref"] for notice in document["notices"]}
        cited = {entry["source"] for key in ("rest_days", "make_up_workdays") for entry in document[key]}
        assert cited == refs
        if year >= 2008:
            numbers = [notice["doc_no"] for notice in document["notices"]]
            assert all(re.fullmatch(r"国(办)?发明电〔\d{4}〕\d+号", number or "") for number in numbers)

    def test_cross_year_new_year_days_cite_the_next_years_notice(self, calendar: WorkdayCalendar) -> None:
        worked = calendar.named_day(date(2011, 12, 31))
        assert worked is not None
        assert not worked.rest
        assert worked.source == "国办发明电〔2011〕45号"
        notice = calendar.notice(worked.source)
        assert notice is not None
        assert notice.title == "国务院办公厅关于2012年部分节假日安排的通知"

    def test_amending_notices_are_cited(self, calendar: WorkdayCalendar) -> None:
        extended = calendar.named_day(date(2020, 2, 1))
        assert extended is not None
        assert extended.rest
        assert extended.source == "国办发明电〔2020〕1号"
        labour_day = calendar.named_day(date(2019, 5, 4))
        assert labour_day is not None
        assert labour_day.source == "国办发明电〔2019〕3号"


def package_is_workday(day: date) -> bool:
    """`chinese_calendar.is_workday` with the corrections the data files document."""
    corrected = make_calendar_files.CORRECTIONS.get(day)
    return corrected[1] if corrected else chinese_calendar.is_workday(day)


class TestAgainstChineseCalendar:
    def test_every_day_2004_to_2026(self, calendar: WorkdayCalendar) -> None:
        differ = [
            day
            for year in range(2004, 2027)
            for day in days_of(year)
            if calendar.is_workday(day) != chinese_calendar.is_workday(day)
        ]
        assert differ == sorted(make_calendar_files.CORRECTIONS)

    def test_the_correction_agrees_with_the_holidays_package(self, calendar: WorkdayCalendar) -> None:
        # The 2006 notice makes Saturday 31 Dec 2005 a working day; chinese_calendar misses it.
        other = holidays.China(years=[2005, 2006])
        assert calendar.is_workday(date(2005, 12, 31))
        assert other.is_working_day(date(2005, 12, 31))
        assert not chinese_calendar.is_workday(date(2005, 12, 31))

    @pytest.mark.parametrize("year", range(2004, 2027))
    def test_add_workdays_for_every_start_day(self, calendar: WorkdayCalendar, year: int) -> None:
        # The package's working days of the year and the next 60 days (enough for 30 working days
        # across any break), asked once each: its lookups are slow.
        horizon = min(date(year, 12, 31) + timedelta(days=60), LAST_DAY)
        span = (horizon - date(year, 1, 1)).days + 1
        oracle = [
            d for d in (date(year, 1, 1) + timedelta(days=i) for i in range(span)) if package_is_workday(d)
        ]
        mismatches, first_after = [], 0
        for start in days_of(year):
            while first_after < len(oracle) and oracle[first_after] <= start:
                first_after += 1
            for n in PERIODS:
                if first_after + n - 1 < len(oracle):
                    if calendar.add_workdays(start, n) != oracle[first_after + n - 1]:
                        mismatches.append((start, n))
                else:
                    with pytest.raises(MissingCalendarYearError):
                        calendar.add_workdays(start, n)
        assert mismatches == []

    @pytest.mark.parametrize("year", [2004, 2015, 2020, 2024, 2025, 2026])
    def test_find_workday_from_working_days(self, calendar: WorkdayCalendar, year: int) -> None:
        # chinese_calendar's find_workday(n, d) steps n working days from d when d is a working day.
        mismatches = [
            (start, n)
            for start in days_of(year)
            if chinese_calendar.is_workday(start)
            for n in (1, 7)
            if start + timedelta(days=30) <= LAST_DAY
            and calendar.add_workdays(start, n) != chinese_calendar.find_workday(n, start)
        ]
        assert mismatches == []

    def test_package_refuses_the_years_the_calendar_refuses(self, calendar: WorkdayCalendar) -> None:
        for day in (date(2003, 12, 31), date(2027, 1, 4), date(2031, 6, 1)):
            with pytest.raises(NotImplementedError):
                chinese_calendar.is_workday(day)
            with pytest.raises(MissingCalendarYearError):
                calendar.is_workday(day)


class TestAgainstHolidaysPackage:
    def test_every_day_2024_to_2026(
        self, calendar: WorkdayCalendar, china_holidays: holidays.HolidayBase
    ) -> None:
        wrong = [
            day
            for year in (2024, 2025, 2026)
            for day in days_of(year)
            if calendar.is_workday(day) != china_holidays.is_working_day(day)
        ]
        assert wrong == []

    @pytest.mark.parametrize("n", PERIODS)
    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_nth_working_day(
        self, calendar: WorkdayCalendar, china_holidays: holidays.HolidayBase, year: int, n: int
    ) -> None:
        mismatches, refused = [], 0
        for start in days_of(year):
            expected = china_holidays.get_nth_working_day(start, n)
            if expected > LAST_DAY:
                # The package extrapolates 2027; the calendar must refuse instead.
                with pytest.raises(MissingCalendarYearError) as raised:
                    calendar.add_workdays(start, n)
                assert raised.value.year == 2027
                refused += 1
            elif calendar.add_workdays(start, n) != expected:
                mismatches.append(start)
        assert mismatches == []
        assert (refused > 0) == (year == 2026)

    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_workdays_between(
        self, calendar: WorkdayCalendar, china_holidays: holidays.HolidayBase, year: int
    ) -> None:
        mismatches = []
        for start in days_of(year)[::3]:
            for end in (start + timedelta(days=span) for span in (0, 1, 6, 13, 40)):
                if end > LAST_DAY:
                    continue
                inclusive = china_holidays.get_working_days_count(start, end)
                expected = inclusive - (1 if china_holidays.is_working_day(start) else 0)
                if calendar.workdays_between(start, end) != expected:
                    mismatches.append((start, end))
        assert mismatches == []


class TestHolidayCases:
    @pytest.mark.parametrize(
        ("day", "workday"),
        [
            (date(2025, 10, 11), True),  # Saturday, make-up workday of National Day 2025
            (date(2025, 9, 28), True),  # Sunday, make-up workday
            (date(2025, 10, 6), False),  # Mid-autumn, inside the National Day break
            (date(2025, 10, 8), False),  # Wednesday, day off in exchange
            (date(2025, 1, 26), True),  # Sunday, make-up workday of Spring Festival 2025
            (date(2025, 2, 4), False),
            (date(2025, 2, 8), True),
            (date(2026, 2, 14), True),  # Saturday before Spring Festival 2026
            (date(2026, 2, 23), False),
            (date(2026, 2, 28), True),
            (date(2026, 9, 20), True),  # Sunday before National Day 2026
            (date(2026, 10, 7), False),
            (date(2026, 10, 10), True),
            (date(2026, 10, 11), False),  # an ordinary Sunday
        ],
    )
    def test_is_workday(self, calendar: WorkdayCalendar, day: date, workday: bool) -> None:
        assert calendar.is_workday(day) is workday
        assert calendar.is_rest_day(day) is not workday

    @pytest.mark.parametrize(
        ("start", "n", "expected"),
        [
            (date(2025, 9, 29), 7, date(2025, 10, 15)),  # DOMAIN §9.2, both packages agree
            (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Friday → the make-up Sunday
            (date(2025, 9, 30), 1, date(2025, 10, 9)),
            (date(2025, 9, 30), 3, date(2025, 10, 11)),  # counts the make-up Saturday
            (date(2025, 10, 3), 1, date(2025, 10, 9)),  # a start on a holiday: day 1 is the next working day
            (date(2025, 1, 24), 1, date(2025, 1, 26)),
            (date(2025, 1, 27), 1, date(2025, 2, 5)),
            (date(2026, 2, 13), 1, date(2026, 2, 14)),
            (date(2026, 2, 14), 1, date(2026, 2, 24)),
            (date(2026, 2, 13), 7, date(2026, 3, 2)),  # through the break and the make-up Saturday 28 Feb
            (date(2026, 9, 18), 1, date(2026, 9, 20)),
            (date(2026, 9, 30), 1, date(2026, 10, 8)),
            (date(2026, 9, 30), 3, date(2026, 10, 10)),
            (date(2026, 9, 30), 0, date(2026, 9, 30)),
        ],
    )
    def test_add_workdays(self, calendar: WorkdayCalendar, start: date, n: int, expected: date) -> None:
        assert calendar.add_workdays(start, n) == expected
        assert calendar.workdays_between(start, expected) == n

    @pytest.mark.parametrize(
        ("start", "n", "roll", "expected"),
        [
            (date(2025, 9, 21), 10, True, date(2025, 10, 9)),  # 1 Oct is a holiday: rolls past the break
            (date(2025, 9, 21), 10, False, date(2025, 10, 1)),
            (date(2025, 10, 8), 3, True, date(2025, 10, 11)),  # a make-up Saturday is a working day
            (date(2025, 10, 15), 3, True, date(2025, 10, 20)),  # an ordinary Saturday rolls to Monday
            (date(2026, 2, 5), 10, True, date(2026, 2, 24)),  # 15 Feb 2026, first day of the break
            (date(2025, 9, 19), 10, True, date(2025, 9, 29)),  # Monday: no roll
        ],
    )
    def test_add_days(
        self, calendar: WorkdayCalendar, start: date, n: int, roll: bool, expected: date
    ) -> None:
        assert calendar.add_days(start, n, roll_if_holiday=roll) == expected

    def test_next_workday(self, calendar: WorkdayCalendar) -> None:
        assert calendar.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
        assert calendar.next_workday(date(2026, 10, 8)) == date(2026, 10, 8)

    def test_workdays_between_is_antisymmetric(self, calendar: WorkdayCalendar) -> None:
        assert calendar.workdays_between(date(2025, 10, 15), date(2025, 9, 29)) == -7
        assert calendar.workdays_between(date(2025, 10, 1), date(2025, 10, 8)) == 0


class TestFailClosed:
    @pytest.mark.parametrize(
        ("call", "year"),
        [
            (lambda c: c.is_workday(date(2027, 1, 4)), 2027),
            (lambda c: c.add_workdays(date(2031, 3, 3), 5), 2031),
            (lambda c: c.add_workdays(date(2026, 12, 30), 3), 2027),
            (lambda c: c.add_days(date(2026, 12, 25), 10), 2027),
            (lambda c: c.workdays_between(date(2026, 12, 1), date(2027, 1, 5)), 2027),
            (lambda c: c.next_workday(date(2003, 12, 31)), 2003),
            (lambda c: c.named_day(date(2040, 1, 1)), 2040),
        ],
    )
    def test_missing_year_is_refused_with_its_name(
        self, calendar: WorkdayCalendar, call: Callable[[WorkdayCalendar], object], year: int
    ) -> None:
        with pytest.raises(CalendarError) as raised:
            call(calendar)
        assert raised.value.code == "calendar.no_data"
        assert isinstance(raised.value, MissingCalendarYearError)
        assert raised.value.year == year
        assert str(year) in raised.value.message

    def test_calendar_days_without_roll_need_no_data(self, calendar: WorkdayCalendar) -> None:
        assert calendar.add_days(date(2026, 12, 25), 10, roll_if_holiday=False) == date(2027, 1, 4)

    def test_a_new_year_file_extends_the_calendar(self) -> None:
        documents = [json.loads((CALENDAR_DIR / "2026.json").read_text("utf-8")), year_document(2027)]
        extended = WorkdayCalendar.from_years(documents)
        assert extended.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 4)
        assert extended.is_rest_day(date(2027, 10, 1))


class TestBadData:
    @pytest.mark.parametrize(
        ("documents", "fragment"),
        [
            ([], "at least one year"),
            ([year_document(2030), year_document(2032)], "contiguous"),
            ([year_document(2030), year_document(2030)], "twice"),
            ([year_document(2030, scope="450000")], "unsupported scope"),
            ([{**year_document(2030), "year": "2030"}], "integer"),
            (
                [year_document(2030, rest_days=[{"date": "2031-01-01", "festival": "元旦", "source": "N1"}])],
                "not in 2030",
            ),
            (
                [
                    year_document(
                        2030, make_up_workdays=[{"date": "2030-10-08", "festival": "国庆节", "source": "N1"}]
                    )
                ],
                "not a Saturday or Sunday",
            ),
            (
                [
                    year_document(
                        2030, rest_days=[{"date": "2030-10-01", "festival": "国庆节", "source": "N9"}]
                    )
                ],
                "not one of the notices",
            ),
            (
                [
                    year_document(
                        2030, rest_days=[{"date": "2030/10/01", "festival": "国庆节", "source": "N1"}]
                    )
                ],
                "ISO date",
            ),
            (
                [
                    year_document(
                        2030,
                        make_up_workdays=[{"date": "2030-10-01", "festival": "国庆节", "source": "N1"}],
                    )
                ],
                "listed twice",
            ),
            ([year_document(2030, notices=[{"doc_no": "N1"}])], "ref"),
        ],
    )
    def test_invalid_documents_are_refused(self, documents: list[dict[str, Any]], fragment: str) -> None:
        with pytest.raises(CalendarDataError) as raised:
            WorkdayCalendar.from_years(documents)
        assert raised.value.code == "calendar.invalid_data"
        assert fragment in raised.value.message

    def test_unreadable_file(self, tmp_path: Path) -> None:
        broken = tmp_path / "2030.json"
        broken.write_text("{not json", "utf-8")
        with pytest.raises(CalendarDataError) as raised:
            WorkdayCalendar.from_files([broken])
        assert raised.value.code == "calendar.invalid_data"
        assert "2030.json" in raised.value.message

    def test_year_document_round_trip(self) -> None:
        year = CalendarYear.from_document(year_document(2030))
        assert year.year == 2030
        assert [day.day for day in year.days] == [date(2030, 10, 1)]

    @pytest.mark.parametrize("bad", [datetime(2025, 10, 1, 9, 0, tzinfo=UTC), "2025-10-01", 20251001])
    def test_dates_only(self, calendar: WorkdayCalendar, bad: object) -> None:
        with pytest.raises(TypeError):
            calendar.is_workday(bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [-1, True, 1.5])
    def test_period_lengths_are_non_negative_integers(self, calendar: WorkdayCalendar, bad: object) -> None:
        with pytest.raises(ValueError, match="non-negative integer"):
            calendar.add_workdays(date(2025, 1, 2), bad)  # type: ignore[arg-type]
