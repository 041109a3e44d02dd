"""Building blocks of the county-center sample files: identifiers, names, projects, CSV and xlsx bytes.

Identifiers carry valid check characters computed with the schemas.identifiers helpers; a seeded
`Factory` makes every run produce the same values.
"""

from __future__ import annotations

import codecs
import io
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import openpyxl

from schemas.identifiers import id_card_check_char, mod37_2_check_char, org_code_check_char, uscc_check_char

_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # USCC alphabet: the embedded org code must fit it
_FIXED_TIME = (2026, 6, 1, 8, 0, 0)
Cells = Sequence[object]


def wall(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A local wall-clock time as county exports write it: China time, no offset."""
    return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001


def wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


# --- identifiers and names ---------------------------------------------------------------------


class Factory:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uscc(self, region: str, head: str = "91") -> str:
        body = "".join(self.rng.choice(_BODY_ALPHABET) for _ in range(8))
        if org_code_check_char(body) not in _BODY_ALPHABET:
            return self.uscc(region, head)
        first17 = head + region + body + org_code_check_char(body)
        return first17 + uscc_check_char(first17)

    def id_card(self, region: str) -> str:
        born = date(1968, 1, 1) + timedelta(days=self.rng.randrange(365 * 25))
        first17 = f"{region}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        return first17 + id_card_check_char(first17)

    def company(self, place: str) -> str:
        middle = self.rng.choice(
            ["宏达", "金沙", "恒信", "鼎盛", "华通", "永安", "德泽", "乌蒙", "龙源", "顺通", "兴业"]
        )
        kind = self.rng.choice(
            ["建筑工程", "路桥工程", "水利水电工程", "市政工程", "建设集团", "园林绿化工程"]
        )
        return f"{place}{middle}{kind}有限公司"

    def person(self) -> str:
        return self.rng.choice("王李张刘陈杨赵黄周吴") + self.rng.choice(
            ["建国", "丽娟", "志强", "海燕", "明", "芳", "伟", "永福"]
        )

    def amount(self, low: int, high: int) -> str:
        return f"{self.rng.randrange(low * 100, high * 100) / 100:.2f}"


def deal_code(platform: str, day: date, serial: int) -> str:
    data = f"{platform}{day:%Y%m%d}{serial:06d}"
    return data + mod37_2_check_char(data)


@dataclass
class Section:
    tender_project_code: str
    code: str
    name: str
    project_name: str
    deal_code: str
    control_price: str


TOWNS = {
    "530621": [
        "文屏镇",
        "龙头山镇",
        "火德红镇",
        "小寨镇",
        "水磨镇",
        "茨院乡",
        "桃源乡",
        "乐红镇",
        "梭山镇",
        "新街镇",
    ],
    "530622": ["白鹤滩镇", "大寨镇", "药山镇", "小河镇", "蒙姑镇", "金塘镇", "茂租镇"],
    "410225": ["城关镇", "堌阳镇", "南彰镇", "东坝头镇", "谷营镇", "仪封乡"],
    "421181": ["龟山镇", "宋埠镇", "歧亭镇", "白果镇", "中馆驿镇", "黄土岗镇", "福田河镇"],
}


def sections_of(f: Factory, *, region: str, county: str, platform: str, count: int) -> list[Section]:
    """Tender projects of one county, with one section (even numbers) or two (odd numbers)."""
    towns = TOWNS[region]
    works = [
        "农村公路提升改造工程",
        "饮水安全巩固提升工程",
        "高标准农田建设项目",
        "中心小学教学综合楼建设项目",
        "集镇污水处理工程",
        "河道综合治理工程",
        "卫生院业务用房建设项目",
        "安置点配套基础设施工程",
    ]
    result: list[Section] = []
    for number in range(1, count + 1):
        day = date(2026, 3, 1) + timedelta(days=number * 3)
        project = f"A01{region}{day:%y%m%d}{number:04d}001"
        name = f"{county}{towns[number % len(towns)]}{works[number % len(works)]}"
        for index in range(1, 2 + number % 2):
            label = "第一标段" if index == 1 else "第二标段"
            serial = number * 10 + index
            result.append(
                Section(
                    project,
                    f"{project}{index:03d}",
                    label,
                    name,
                    deal_code(platform, day, serial),
                    f.amount(300, 4000),
                )
            )
    return result


# --- file writers ------------------------------------------------------------------------------


def csv_bytes(rows: Sequence[Cells], encoding: str, *, bom: bool = False) -> bytes:
    text = "".join(",".join(_csv_cell(cell) for cell in row) + "\r\n" for row in rows)
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


def _csv_cell(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def xlsx_bytes(rows: Sequence[Cells], *, title: str = "Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    workbook.properties.created = wall(*_FIXED_TIME)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The workbook with fixed entry times and modification date, so that it is reproducible."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-06-01T00:00:00Z", content)
            target.writestr(
                zipfile.ZipInfo(entry.filename, date_time=_FIXED_TIME), content, zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


# --- parties -----------------------------------------------------------------------------------

PLACES = {
    "530621": "鲁甸",
    "530602": "昭通",
    "530102": "昆明",
    "530302": "曲靖",
    "410225": "兰考",
    "410102": "郑州",
    "421181": "麻城",
    "420102": "武汉",
}


@dataclass(frozen=True)
class Company:
    name: str
    uscc: str
    region: str


def companies(f: Factory, regions: Sequence[str], count: int) -> list[Company]:
    found: dict[str, Company] = {}
    while len(found) < count:
        region = regions[len(found) % len(regions)]
        name = f.company(PLACES[region])
        found.setdefault(name, Company(name, f.uscc(region), region))
    return list(found.values())
