"""Write config/calendar/<year>.json (2004–2026) from the `chinese-calendar` package's tables.

    /tmp/venv/bin/python tests/schemas/make_calendar_files.py          # (re)write the files
    /tmp/venv/bin/python tests/schemas/make_calendar_files.py --check  # exit 1 if a file differs

The package is a one-off source and the test oracle, never a runtime dependency: once written, the
JSON files are the data `schemas.workdays.WorkdayCalendar` reads. The notice table below (document
number, issue date, address) and the corrections of the package's data are the project's own;
config/calendar/README.md says where each value comes from. Every day is attributed to the notice
that announced it: the December days of a New Year arrangement belong to the next year's notice,
and three later notices changed an arrangement.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

CALENDAR_DIR = Path(__file__).resolve().parents[2] / "config" / "calendar"
FIRST_YEAR, LAST_YEAR = 2004, 2026
PACKAGE = "chinese-calendar 1.11.0"

FESTIVALS_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

_GOV = "https://www.gov.cn"


def _notice(
    ref: str, title: str | None, doc_no: str | None, issued: str | None, url: str | None
) -> dict[str, Any]:
    return {"ref": ref, "doc_no": doc_no, "title": title, "issued": issued, "url": url}


def _yearly(year: int, doc_no: str | None, issued: str | None, url: str | None) -> dict[str, Any]:
    title = f"国务院办公厅关于{year}年部分节假日安排的通知"
    return _notice(doc_no or title, title, doc_no, issued, url)


# The 2005 notice is known only from a quotation of its text; its title is not on record.
_NOTICE_2005 = _notice("国务院办公厅2005年元旦、春节、“五一”、“十一”放假调休安排", None, None, None, None)


# Arrangement year -> (document number, issue date, address of the notice on gov.cn). Document
# numbers and issue dates are known from 2008; before that only addresses of public copies are.
_YEARLY: dict[int, tuple[str | None, str | None, str | None]] = {
    2006: (None, None, "jrzg/2005-12/22/content_133837.htm"),
    2007: (None, None, "fwxx/sh/2006-12/18/content_471877.htm"),
    2008: ("国办发明电〔2007〕52号", "2007-12-15", "zwgk/2007-12/18/content_837184.htm"),
    2009: ("国办发明电〔2008〕42号", "2008-12-04", "zwgk/2008-12/10/content_1174014.htm"),
    2010: ("国办发明电〔2009〕27号", "2009-12-08", "zwgk/2009-12/08/content_1482691.htm"),
    2011: ("国办发明电〔2010〕40号", "2010-12-10", "zwgk/2010-12/10/content_1762643.htm"),
    2012: ("国办发明电〔2011〕45号", "2011-12-06", "zwgk/2011-12/06/content_2012097.htm"),
    2013: ("国办发明电〔2012〕33号", "2012-12-08", "zwgk/2012-12/10/content_2286598.htm"),
    2014: ("国办发明电〔2013〕28号", "2013-12-11", "zwgk/2013-12/11/content_2546204.htm"),
    2015: ("国办发明电〔2014〕28号", "2014-12-16", "zhengce/content/2014-12/16/content_9302.htm"),
    2016: ("国办发明电〔2015〕18号", "2015-12-10", "zhengce/content/2015-12/10/content_10394.htm"),
    2017: ("国办发明电〔2016〕17号", "2016-12-01", "zhengce/content/2016-12/01/content_5141603.htm"),
    2018: ("国办发明电〔2017〕12号", "2017-11-30", "zhengce/content/2017-11/30/content_5243579.htm"),
    2019: ("国办发明电〔2018〕15号", "2018-12-04", "zhengce/content/2018-12/06/content_5346276.htm"),
    2020: ("国办发明电〔2019〕16号", "2019-11-21", "zhengce/content/2019-11/21/content_5454164.htm"),
    2021: ("国办发明电〔2020〕27号", "2020-11-25", "zhengce/content/2020-11/25/content_5564127.htm"),
    2022: ("国办发明电〔2021〕11号", "2021-10-25", "zhengce/content/2021-10/25/content_5644835.htm"),
    2023: ("国办发明电〔2022〕16号", "2022-12-08", "zhengce/content/2022-12/08/content_5730844.htm"),
    2024: ("国办发明电〔2023〕7号", "2023-10-25", "zhengce/content/202310/content_6911527.htm"),
    2025: ("国办发明电〔2024〕12号", "2024-11-12", "zhengce/content/202411/content_6986382.htm"),
    2026: ("国办发明电〔2025〕7号", "2025-11-04", "zhengce/zhengceku/202511/content_7047091.htm"),
}
YEARLY_NOTICES: dict[int, dict[str, Any]] = {
    2004: _yearly(2004, None, None, None),
    2005: _NOTICE_2005,
    **{
        year: _yearly(year, doc_no, issued, f"{_GOV}/{path}" if path else None)
        for year, (doc_no, issued, path) in _YEARLY.items()
    },
}

# Notices that changed an arrangement after it was published: (year, festival) -> notice.
AMENDING_NOTICES: dict[tuple[int, str], dict[str, Any]] = {
    (2015, "Anti-Fascist 70th Day"): _notice(
        "国发明电〔2015〕1号",
        "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知",
        "国发明电〔2015〕1号",
        None,
        f"{_GOV}/zhengce/content/2015-05/13/content_9742.htm",
    ),
    (2019, "Labour Day"): _notice(
        "国办发明电〔2019〕3号",
        "国务院办公厅关于调整2019年劳动节假期安排的通知",
        "国办发明电〔2019〕3号",
        None,
        f"{_GOV}/zhengce/content/2019-03/22/content_5375877.htm",
    ),
}
# 国办发明电〔2020〕1号 extended the 2020 Spring Festival to 2 February (31 Jan – 2 Feb off).
_EXTENSION_2020 = _notice(
    "国办发明电〔2020〕1号",
    "国务院办公厅关于延长2020年春节假期的通知",
    "国办发明电〔2020〕1号",
    None,
    f"{_GOV}/zhengce/content/2020-01/27/content_5472352.htm",
)
_EXTENDED_2020 = {date(2020, 1, 31), date(2020, 2, 1), date(2020, 2, 2)}


# Days the package has wrong, corrected from the notice: day -> (festival, worked).
# The 2006 notice: "将12月31日(星期六)、1月1日(星期日)两个公休日调至1月2日(星期一)、3日(星期二)，
# 12月31日(星期六)上班" (the package lists no make-up workday in 2005; `holidays.China` agrees with
# the notice).
CORRECTIONS: dict[date, tuple[str, bool]] = {date(2005, 12, 31): ("New Year's Day", True)}


def notice_for(day: date, festival: str) -> dict[str, Any]:
    """The notice that announced `day` as a day off or a make-up workday of `festival`."""
    if day in _EXTENDED_2020:
        return _EXTENSION_2020
    arrangement_year = day.year + 1 if festival == "New Year's Day" and day.month == 12 else day.year
    return AMENDING_NOTICES.get((arrangement_year, festival), YEARLY_NOTICES[arrangement_year])


def build_year(
    year: int,
    holidays: Mapping[date, str],
    workdays: Mapping[date, str],
    in_lieu: Mapping[date, str],
) -> dict[str, Any]:
    """One year's document from the package's three tables (day -> festival name)."""
    notices: dict[str, dict[str, Any]] = {}

    def entry(day: date, festival: str) -> dict[str, Any]:
        notice = notice_for(day, festival)
        notices[notice["ref"]] = notice
        return {"date": day.isoformat(), "festival": FESTIVALS_ZH[festival], "source": notice["ref"]}

    rest_days = [
        {**entry(day, name), "in_lieu": day in in_lieu}
        for day, name in sorted(holidays.items())
        if day.year == year
    ]
    make_up = [entry(day, name) for day, name in sorted(workdays.items()) if day.year == year]
    return {
        "year": year,
        "scope": "national",
        "notices": sorted(notices.values(), key=lambda notice: (notice["issued"] is None, notice["ref"])),
        "rest_days": rest_days,
        "make_up_workdays": make_up,
        "provenance": f"generated by tests/schemas/make_calendar_files.py from {PACKAGE}",
    }


def render(document: Mapping[str, Any]) -> str:
    """Indented JSON with one list item per line, so that a change to one day is a one-line diff."""
    lines = ["{"]
    for index, (key, value) in enumerate(document.items()):
        comma = "," if index < len(document) - 1 else ""
        if isinstance(value, list):
            items = [f"    {json.dumps(item, ensure_ascii=False)}" for item in value]
            body = ",\n".join(items)
            lines.append(f'  "{key}": [\n{body}\n  ]{comma}' if items else f'  "{key}": []{comma}')
        else:
            lines.append(f'  "{key}": {json.dumps(value, ensure_ascii=False)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def corrected_tables() -> tuple[dict[date, str], dict[date, str], dict[date, str]]:
    """The package's holidays, workdays and in-lieu days, with CORRECTIONS applied."""
    from chinese_calendar import constants

    holidays, workdays = dict(constants.holidays), dict(constants.workdays)
    in_lieu = dict(constants.in_lieu_days)
    for day, (festival, worked) in CORRECTIONS.items():
        for table in (holidays, workdays, in_lieu):
            table.pop(day, None)
        (workdays if worked else holidays)[day] = festival
    return holidays, workdays, in_lieu


def expected_files() -> dict[Path, str]:
    tables = corrected_tables()
    return {
        CALENDAR_DIR / f"{year}.json": render(build_year(year, *tables))
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[str] = []
    for path, text in expected_files().items():
        current = path.read_text("utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(text, "utf-8")
    if stale:
        verb = "differ" if check else "written"
        sys.stderr.write(f"{len(stale)} calendar file(s) {verb}: {', '.join(stale)}\n")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
