"""China working-day calendar: the days off and 调休 make-up workdays of each year, read from data files.

The data is one JSON document per year (config/calendar/<year>.json, see its README), taken from the
yearly 国务院办公厅 holiday notice; nothing about any year is written in this module. Semantics:

- A **working day** is a make-up workday (调休上班), or a Monday–Friday that the notice does not give
  off. Every other day is a **rest day**: a day off of the notice (statutory, or given in exchange),
  or an ordinary Saturday or Sunday.
- **"N个工作日"** (`add_workdays`) counts working days after the start day: the start day is
  excluded, day 1 is the first working day after it.
- **"N日"** (`add_days`, 民法典 arts 200–204): the start day is excluded. When the last day is a rest
  day the period ends on the next working day. Art 203's 法定休假日 is read as every rest day of this
  calendar — a weekend is a 休假日 unless 调休 made it a workday — as 财政部令第94号 art 42 words it for
  政府采购 ("期间届满的最后一日是节假日的，以节假日后的第一日为期间届满的日期") [I: DOMAIN §9.3].
- **Fail closed**: every question about a day of a year without data raises
  `MissingCalendarYearError` (code `calendar.no_data`) naming the year. The covered years must be
  contiguous, so an answer never skips over a missing year.

Nothing is read at import; `WorkdayCalendar.from_files` / `from_directory` take explicit paths.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.errors import CalendarError, GatewayError

SUPPORTED_SCOPES = frozenset({"national"})
_FIRST_WEEKEND_DAY = 5  # date.weekday(): Saturday


class MissingCalendarYearError(CalendarError):
    """A computation needs a day of a year that has no calendar data: it is not guessed."""

    def __init__(self, year: int, covered: tuple[int, int]) -> None:
        super().__init__(
            f"no working-day calendar data for {year} (data covers {covered[0]}–{covered[1]}); "
            f"a deadline that needs {year} is not guessed: add config/calendar/{year}.json from the "
            "国务院办公厅 holiday notice",
            details=[{"pointer": "", "code": self.code, "message": f"no calendar data for {year}"}],
        )
        self.year = year


class CalendarDataError(GatewayError):
    """A calendar data file is malformed or inconsistent."""

    code = "calendar.invalid_data"
    status = 500


@dataclass(frozen=True)
class Notice:
    """A 国务院办公厅 (or 国务院) notice that announced days off and make-up workdays."""

    ref: str  # how the day entries cite it: the document number, or a label when none is known
    doc_no: str | None
    title: str | None
    issued: date | None
    url: str | None


@dataclass(frozen=True)
class CalendarDay:
    """A day the notice names: a day off (`rest=True`) or a make-up workday."""

    day: date
    rest: bool
    festival: str
    source: str  # Notice.ref
    in_lieu: bool = False  # a weekday off in exchange for a worked weekend day (informational)


@dataclass(frozen=True)
class CalendarYear:
    year: int
    days: tuple[CalendarDay, ...]
    notices: tuple[Notice, ...]

    @classmethod
    def from_document(cls, document: Mapping[str, Any], *, origin: str = "") -> CalendarYear:
        return _parse_year(document, origin or "calendar document")


class WorkdayCalendar:
    """Working days over a contiguous range of years with data."""

    def __init__(self, years: Iterable[CalendarYear]) -> None:
        by_year: dict[int, CalendarYear] = {}
        for calendar_year in years:
            if calendar_year.year in by_year:
                raise CalendarDataError(f"calendar year {calendar_year.year} given twice")
            by_year[calendar_year.year] = calendar_year
        if not by_year:
            raise CalendarDataError("a working-day calendar needs at least one year of data")
        first, last = min(by_year), max(by_year)
        gaps = sorted(set(range(first, last + 1)) - set(by_year))
        if gaps:
            raise CalendarDataError(f"calendar years must be contiguous: {first}–{last} lacks {gaps}")
        self._first, self._last = first, last
        self._years = by_year
        self._named = {entry.day: entry for year in by_year.values() for entry in year.days}
        self._notices = {notice.ref: notice for year in by_year.values() for notice in year.notices}
        day, end = date(first, 1, 1), date(last, 12, 31)
        workdays: list[int] = []
        while day <= end:
            if self._named_or_weekday_is_workday(day):
                workdays.append(day.toordinal())
            day += timedelta(days=1)
        # Sorted ordinals of every working day: each count or step is one binary search.
        self._workdays = workdays

    @classmethod
    def from_years(cls, data: Iterable[Mapping[str, Any]]) -> WorkdayCalendar:
        """Build from parsed year documents (the JSON objects of config/calendar/*.json)."""
        return cls(_parse_year(document, f"year document {index}") for index, document in enumerate(data))

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> WorkdayCalendar:
        years = []
        for path in paths:
            try:
                document = json.loads(Path(path).read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise CalendarDataError(f"{Path(path).name}: cannot read calendar data ({exc})") from exc
            years.append(_parse_year(document, Path(path).name))
        return cls(years)

    @classmethod
    def from_directory(cls, directory: str | Path) -> WorkdayCalendar:
        """Every `*.json` file of a directory (config/calendar)."""
        return cls.from_files(sorted(Path(directory).glob("*.json")))

    @property
    def first_year(self) -> int:
        return self._first

    @property
    def last_year(self) -> int:
        return self._last

    def covers(self, year: int) -> bool:
        return self._first <= year <= self._last

    def is_workday(self, day: date) -> bool:
        self._require_covered(_plain_date(day))
        return self._named_or_weekday_is_workday(day)

    def is_rest_day(self, day: date) -> bool:
        return not self.is_workday(day)

    def named_day(self, day: date) -> CalendarDay | None:
        """The notice's entry for `day` (day off or make-up workday), None for an ordinary day."""
        self._require_covered(_plain_date(day))
        return self._named.get(day)

    def notice(self, ref: str) -> Notice | None:
        return self._notices.get(ref)

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        self._require_covered(_plain_date(day))
        index = bisect_left(self._workdays, day.toordinal())
        return self._workday_at(index)

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after `start` ("N个工作日": the start day excluded); n=0 gives start."""
        self._require_covered(_plain_date(start))
        if _count(n) == 0:
            return start
        return self._workday_at(bisect_right(self._workdays, start.toordinal()) + n - 1)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: `workdays_between(a, add_workdays(a, n)) == n`; negative if b < a."""
        self._require_covered(_plain_date(a))
        self._require_covered(_plain_date(b))
        return bisect_right(self._workdays, b.toordinal()) - bisect_right(self._workdays, a.toordinal())

    def add_days(self, start: date, n: int, roll_if_holiday: bool = True) -> date:
        """Last day of an n-calendar-day period ("N日": the start day excluded).

        With `roll_if_holiday` a last day that is a rest day moves to the next working day, which
        needs calendar data for that day; without it no calendar data is needed.
        """
        last = _plain_date(start) + timedelta(days=_count(n))
        return self.next_workday(last) if roll_if_holiday else last

    def _named_or_weekday_is_workday(self, day: date) -> bool:
        entry = self._named.get(day)
        if entry is not None:
            return not entry.rest
        return day.weekday() < _FIRST_WEEKEND_DAY

    def _workday_at(self, index: int) -> date:
        if index >= len(self._workdays):
            raise MissingCalendarYearError(self._last + 1, (self._first, self._last))
        return date.fromordinal(self._workdays[index])

    def _require_covered(self, day: date) -> None:
        if not self.covers(day.year):
            raise MissingCalendarYearError(day.year, (self._first, self._last))


def _plain_date(value: object) -> date:
    # A datetime is a date subclass; accepting one would silently drop its time zone.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}")
    return value


def _count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"a period length is a non-negative integer, got {n!r}")
    return n


def _parse_year(document: Mapping[str, Any], origin: str) -> CalendarYear:
    def fail(pointer: str, message: str) -> CalendarDataError:
        return CalendarDataError(
            f"{origin}: {pointer or '/'}: {message}",
            details=[{"pointer": pointer, "code": "calendar.invalid_data", "message": message}],
        )

    def iso_date(value: object, pointer: str) -> date:
        if isinstance(value, str) and len(value) == len("YYYY-MM-DD"):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise fail(pointer, f"not an ISO date (YYYY-MM-DD): {value!r}")

    if not isinstance(document, Mapping):
        raise fail("", "a year document is a JSON object")
    year = document.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise fail("/year", "year must be an integer")
    if document.get("scope") not in SUPPORTED_SCOPES:
        raise fail("/scope", f"unsupported scope {document.get('scope')!r} (supported: national)")
    notices: list[Notice] = []
    for index, raw in enumerate(document.get("notices") or []):
        ref = raw.get("ref") if isinstance(raw, Mapping) else None
        if not isinstance(ref, str) or not ref.strip():
            raise fail(f"/notices/{index}/ref", "every notice needs a ref")
        issued = raw.get("issued")
        notices.append(
            Notice(
                ref=ref,
                doc_no=raw.get("doc_no"),
                title=raw.get("title"),
                issued=None if issued is None else iso_date(issued, f"/notices/{index}/issued"),
                url=raw.get("url"),
            )
        )
    refs = {notice.ref for notice in notices}
    days: list[CalendarDay] = []
    seen: set[date] = set()
    for key, rest in (("rest_days", True), ("make_up_workdays", False)):
        for index, raw in enumerate(document.get(key) or []):
            pointer = f"/{key}/{index}"
            if not isinstance(raw, Mapping):
                raise fail(pointer, "a day entry is a JSON object")
            day = iso_date(raw.get("date"), f"{pointer}/date")
            if day.year != year:
                raise fail(f"{pointer}/date", f"{day} is not in {year}")
            if day in seen:
                raise fail(f"{pointer}/date", f"{day} is listed twice")
            if not rest and day.weekday() < _FIRST_WEEKEND_DAY:
                raise fail(f"{pointer}/date", f"make-up workday {day} is not a Saturday or Sunday")
            if raw.get("source") not in refs:
                raise fail(f"{pointer}/source", f"source {raw.get('source')!r} is not one of the notices")
            festival = raw.get("festival")
            if not isinstance(festival, str) or not festival:
                raise fail(f"{pointer}/festival", "every day names its festival")
            seen.add(day)
            days.append(
                CalendarDay(day, rest, festival, raw["source"], bool(raw.get("in_lieu", False)) and rest)
            )
    return CalendarYear(year=year, days=tuple(days), notices=tuple(notices))
