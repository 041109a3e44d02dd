"""Deterministic county-center inputs: the bundled samples, their bad/ folder and the golden inputs.

    /tmp/venv/bin/python -m tests.adapters.make_county_samples

rewrites config/samples/county-center/** and tests/adapters/golden/county-center/*.{csv,xlsx}
(golden outputs are rewritten by `pytest --update-golden`). Identifiers carry valid check
characters computed with the schemas.identifiers helpers; `build()` returns the same bytes on
every run, and a test holds the committed files to it.
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
from pathlib import Path

import openpyxl

from schemas.identifiers import id_card_check_char, mod37_2_check_char, org_code_check_char, uscc_check_char

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "county-center"
GOLDEN = ROOT / "tests" / "adapters" / "golden" / "county-center"
_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # USCC alphabet: the embedded org code must fit it
_FIXED_TIME = (2026, 6, 1, 8, 0, 0)
Cells = Sequence[object]


def wall(*parts: int) -> datetime:
    """A local wall-clock time as county exports write it: China time, no offset."""
    return datetime(*parts)  # noqa: DTZ001


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


# --- bundled samples ---------------------------------------------------------------------------

AWARD_HEADER_GBK = [
    "序号",
    "项目编号",
    "项目名称",
    "标段（包）编号",
    "标段（包）名称",
    "统一交易标识码",
    "公告名称",
    "发布时间",
    "中标人名称",
    "中标人统一社会信用代码",
    "中标金额（万元）",
    "公示负责人",
    "审核人",
]


def ludian_awards(f: Factory, sections: list[Section], winners: dict[str, Company]) -> list[Cells]:
    """中标结果 of 鲁甸县 (GBK, title row, 发布时间 as the version); two-section projects every third
    project share one row listing both sections."""
    rows: list[Cells] = [["鲁甸县公共资源交易中心中标结果公示汇总表", *[""] * 12], AWARD_HEADER_GBK]
    by_project: dict[str, list[Section]] = {}
    for section in sections:
        by_project.setdefault(section.tender_project_code, []).append(section)
    for number, group in enumerate(by_project.values(), start=1):
        sent = wall(2026, 4, 20, 9) + timedelta(days=number, hours=number % 5)
        joined = len(group) > 1 and number % 3 == 0
        batches = [group] if joined else [[section] for section in group]
        for batch in batches:
            winner = winners[batch[0].code]
            label = "" if joined else batch[0].name
            rows.append(
                [
                    len(rows) - 1,
                    batch[0].tender_project_code,
                    batch[0].project_name,
                    ";".join(s.code for s in batch),
                    ";".join(s.name for s in batch),
                    ";".join(s.deal_code for s in batch),
                    f"{batch[0].project_name}{label}中标结果公示",
                    f"{sent:%Y-%m-%d %H:%M:%S}",
                    winner.name,
                    winner.uscc,
                    ";".join(_award_amount(s) for s in batch),
                    f.person(),
                    f.person(),
                ]
            )
    return rows


def _award_amount(section: Section) -> str:
    # A thousands separator now and then, as spreadsheets print large amounts.
    value = f"{float(section.control_price) * 0.96:.2f}"
    return f"{float(value):,.2f}" if float(value) >= 1000 and section.code.endswith("1") else value


BID_HEADER = [
    "序号",
    "招标项目编号",
    "标段编号",
    "投标人名称",
    "投标人代码类型",
    "投标人统一社会信用代码",
    "投标人所在地区代码",
    "投标报价(万元)",
    "工期(日历天)",
    "项目经理",
    "项目经理身份证号",
    "是否缴纳保证金",
    "保证金到账时间",
    "签到时间",
    "联合体成员名称",
    "联合体成员机构代码",
    "数据时间戳",
]


def ludian_bids(
    f: Factory,
    sections: list[Section],
    winners: dict[str, Company],
    pool: list[Company],
    *,
    union_every: int = 5,
) -> list[Cells]:
    """投标人名单 of 鲁甸县 (UTF-8 with BOM): the winner and two or three other bidders per section."""
    rows: list[Cells] = [BID_HEADER]
    for number, section in enumerate(sections[:22], start=1):
        winner = winners[section.code]
        others = [company for company in pool if company != winner]
        bidders = [winner, *f.rng.sample(others, 2 + number % 2)]
        opened = wall(2026, 4, 10, 9, 30) + timedelta(days=number)
        for rank, bidder in enumerate(bidders):
            price = (
                _award_amount(section).replace(",", "")
                if rank == 0
                else f.amount(int(float(section.control_price) * 0.9), int(float(section.control_price)))
            )
            union = rank == 2 and number % union_every == 0
            partner = (
                next((c for c in pool[number % len(pool) :] + pool if c not in bidders), None)
                if union
                else None
            )
            rows.append(
                [
                    len(rows),
                    section.tender_project_code,
                    section.code,
                    bidder.name,
                    "统一社会信用代码",
                    bidder.uscc,
                    bidder.region,
                    price,
                    180 + 30 * (number % 6),
                    f.person(),
                    f.id_card(bidder.region),
                    "是" if (number + rank) % 7 else "否",
                    f"{opened - timedelta(days=1, minutes=rank * 17):%Y-%m-%d %H:%M:%S}",
                    f"{opened - timedelta(minutes=40 - rank * 3):%Y-%m-%d %H:%M:%S}",
                    partner.name if partner else "",
                    partner.uscc if partner else "",
                    f"{opened + timedelta(hours=3):%Y-%m-%d %H:%M:%S}",
                ]
            )
    return rows


PROJECT_HEADER = [
    "项目代码",
    "招标项目编号",
    "招标项目名称",
    "招标项目类型",
    "交易分类",
    "是否依法必须招标",
    "行政区划代码",
    "招标内容",
    "招标人名称",
    "招标人统一社会信用代码",
    "招标代理机构名称",
    "代理机构统一社会信用代码",
    "招标方式",
    "组织形式",
    "创建时间",
    "监督部门名称",
    "数据时间戳",
]
TENDERERS = [
    "巧家县交通运输局",
    "巧家县水务局",
    "巧家县教育体育局",
    "巧家县农业农村局",
    "巧家县住房和城乡建设局",
]


def qiaojia_projects(f: Factory, sections: list[Section], agencies: list[Company]) -> list[Cells]:
    """招标项目 of 巧家县 (UTF-8): 招标人 with 11-prefixed codes, 创建时间 sometimes a date only."""
    rows: list[Cells] = [PROJECT_HEADER]
    owners = {name: f.uscc("530622", "11") for name in TENDERERS}
    projects = list(dict.fromkeys(section.tender_project_code for section in sections))
    names = {section.tender_project_code: section.project_name for section in sections}
    for number, code in enumerate(projects, start=1):
        owner = TENDERERS[number % len(TENDERERS)]
        agency = agencies[number % len(agencies)] if number % 4 else None
        created = wall(2026, 3, 1, 10, 30) + timedelta(days=number * 3)
        rows.append(
            [
                code[:-3],
                code,
                names[code],
                "A08" if number % 3 else "A03",
                "工程建设",
                "是" if number % 5 else "否",
                "530622",
                f"{names[code]}施工，具体详见招标文件。",
                owner,
                owners[owner],
                agency.name if agency else "",
                agency.uscc if agency else "",
                "1",
                "2" if agency else "1",
                f"{created:%Y/%m/%d}" if number % 2 else f"{created:%Y/%m/%d %H:%M}",
                "巧家县发展和改革局",
                f"{created + timedelta(days=1):%Y/%m/%d %H:%M:%S}",
            ]
        )
    return rows


SECTION_HEADER = [
    "招标项目编号",
    "标段(包)编号",
    "标段(包)名称",
    "标段(包)内容",
    "标段分类代码",
    "最高投标限价(万元)",
    "统一交易标识码",
    "数据时间戳",
]


def qiaojia_sections(sections: list[Section], *, in_yuan: bool = False) -> list[Cells]:
    """标段信息 of 巧家县 (UTF-8, no region column: the county comes from the file name)."""
    header = [name.replace("万元", "元") if in_yuan else name for name in SECTION_HEADER]
    rows: list[Cells] = [header]
    for number, section in enumerate(sections, start=1):
        price = f"{float(section.control_price) * 10000:.0f}" if in_yuan else section.control_price
        rows.append(
            [
                section.tender_project_code,
                section.code,
                section.name,
                f"{section.project_name}{section.name}施工",
                "A08",
                price,
                section.deal_code,
                f"{wall(2026, 3, 2, 8) + timedelta(days=number):%Y-%m-%d %H:%M:%S}",
            ]
        )
    return rows


OPENING_HEADER = [
    "序号",
    "招标项目编号",
    "标段编号",
    "统一交易标识码",
    "开标时间",
    "开标地点",
    "开标主持人",
    "开标情况",
    "投标人数量",
    "数据时间戳",
]


def lankao_openings(f: Factory, sections: list[Section]) -> list[Cells]:
    """开标记录 of 兰考县 (xlsx, title row, times as Excel dates); two-section projects in one row."""
    rows: list[Cells] = [["兰考县公共资源交易中心开标记录一览表"], OPENING_HEADER]
    by_project: dict[str, list[Section]] = {}
    for section in sections:
        by_project.setdefault(section.tender_project_code, []).append(section)
    for number, group in enumerate(by_project.values(), start=1):
        opened = wall(2026, 5, 6, 9, 30) + timedelta(days=number)
        counts = [3 + (number + index) % 5 for index in range(len(group))]
        rows.append(
            [
                number,
                group[0].tender_project_code,
                ";".join(s.code for s in group),
                ";".join(s.deal_code for s in group),
                opened,
                f"兰考县公共资源交易中心第{1 + number % 3}开标室",
                f.person(),
                f"共{sum(counts)}家投标人递交投标文件，均已解密成功。",
                counts[0] if len(counts) == 1 else ";".join(map(str, counts)),
                f"{opened + timedelta(hours=2):%Y%m%d%H%M%S}",
            ]
        )
    return rows


MACHENG_HEADER = [
    "招标项目编号",
    "招标项目名称",
    "标段编号",
    "标段名称",
    "公示名称",
    "公告发布时间",
    "中标单位名称",
    "中标单位统一社会信用代码",
    "中标价（万元）",
    "费率(%)",
    "行政区划代码",
    "数据时间戳",
]


def macheng_awards(f: Factory, sections: list[Section], pool: list[Company]) -> list[Cells]:
    """中标结果 of 麻城市 (UTF-8): other spellings, 中标价（万元）, a region column, Chinese dates."""
    rows: list[Cells] = [MACHENG_HEADER]
    for number, section in enumerate(sections, start=1):
        winner = pool[number % len(pool)]
        sent = wall(2026, 5, 10, 10) + timedelta(days=number)
        rows.append(
            [
                section.tender_project_code,
                section.project_name,
                section.code,
                section.name,
                f"{section.project_name}{section.name}中标结果公示",
                f"{sent:%Y年%m月%d日 %H:%M}",
                winner.name,
                winner.uscc,
                f"{float(section.control_price) * 0.97:.4f}",
                "" if number % 4 else "2.5",
                "421181",
                f"{sent + timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
            ]
        )
    return rows


# --- assembling --------------------------------------------------------------------------------


def bundled() -> dict[str, bytes]:
    """config/samples/county-center: valid exports of four counties in five shapes."""
    f = Factory(2026)
    zhaotong = f.uscc("530600", "12")
    ludian = sections_of(f, region="530621", county="鲁甸县", platform=zhaotong, count=20)
    pool = companies(f, ["530621", "530602", "530102", "530302"], 14)
    winners = {section.code: pool[index % len(pool)] for index, section in enumerate(ludian)}
    qiaojia = sections_of(f, region="530622", county="巧家县", platform=zhaotong, count=15)
    lankao = sections_of(f, region="410225", county="兰考县", platform=f.uscc("410200", "12"), count=20)
    macheng = sections_of(f, region="421181", county="麻城市", platform=f.uscc("421100", "12"), count=10)
    hubei = companies(f, ["421181", "420102"], 6)
    return {
        "530621_鲁甸县_中标结果公示汇总表_2026Q2.csv": csv_bytes(ludian_awards(f, ludian, winners), "gbk"),
        "530621_鲁甸县_投标人名单_2026Q2.csv": csv_bytes(
            ludian_bids(f, ludian, winners, pool), "utf-8", bom=True
        ),
        "530622_巧家县_招标项目.csv": csv_bytes(qiaojia_projects(f, qiaojia, pool[:4]), "utf-8"),
        "530622_巧家县_标段信息.csv": csv_bytes(qiaojia_sections(qiaojia), "utf-8"),
        "410225_兰考县_开标记录.xlsx": xlsx_bytes(lankao_openings(f, lankao), title="开标记录"),
        "421181_麻城市_中标结果公示.csv": csv_bytes(macheng_awards(f, macheng, hubei), "utf-8"),
    }


def golden_inputs() -> dict[str, bytes]:
    """tests/adapters/golden/county-center: one small file per shape, and one of mixed good and bad rows."""
    f = Factory(7)
    platform = f.uscc("530600", "12")
    pool = companies(f, ["530621", "530602", "530102"], 6)
    ludian = sections_of(f, region="530621", county="鲁甸县", platform=platform, count=3)
    winners = {section.code: pool[index % len(pool)] for index, section in enumerate(ludian)}
    qiaojia = sections_of(f, region="530622", county="巧家县", platform=platform, count=4)
    lankao = sections_of(f, region="410225", county="兰考县", platform=f.uscc("410200", "12"), count=3)
    return {
        "530621_award_gbk.csv": csv_bytes(ludian_awards(f, ludian, winners), "gbk"),
        "530621_bid_bom.csv": csv_bytes(
            ludian_bids(f, ludian[:2], winners, pool, union_every=1), "utf-8", bom=True
        ),
        "530622_project.csv": csv_bytes(qiaojia_projects(f, qiaojia, pool[:2]), "utf-8"),
        "530622_section_yuan.csv": csv_bytes(qiaojia_sections(qiaojia[:3], in_yuan=True), "utf-8"),
        "410225_opening.xlsx": xlsx_bytes(lankao_openings(f, lankao)),
        "421181_award_mixed.csv": csv_bytes(mixed_awards(f), "utf-8"),
    }


def mixed_awards(f: Factory) -> list[Cells]:
    """Good rows beside rows each refused for one documented reason (see the golden output)."""
    sections = sections_of(f, region="421181", county="麻城市", platform=f.uscc("421100", "12"), count=6)
    rows = list(macheng_awards(f, sections, companies(f, ["421181"], 3)))
    header, good = rows[0], [list(row) for row in rows[1:]]
    good[1] = good[1][:-2]  # ragged: two cells short
    good[2][7] = good[2][7][:-1] + ("0" if good[2][7][-1] != "0" else "1")  # USCC check character
    good[3][6] = ""  # 中标单位名称 missing
    good[4][5] = "2026年13月45日 10:00"  # not a date
    good[5][10] = "530621"  # a 鲁甸县 region in a 麻城市 file
    good[6][2] = f"{good[6][2]};{good[7][2]}"  # two sections, one amount
    good[7][6] = good[7][6].encode("utf-8").decode("gbk", errors="replace")  # mojibake name
    return [header, *good]


NOT_A_WORKBOOK = "<html><body><table><tr><td>开标记录</td></tr></table></body></html>".encode()


def bad_inputs() -> dict[str, bytes]:
    """config/samples/county-center/bad: each file is refused for the reason its README gives."""
    f = Factory(404)
    platform = f.uscc("530600", "12")
    ludian = sections_of(f, region="530621", county="鲁甸县", platform=platform, count=3)
    pool = companies(f, ["530621", "530602"], 4)
    winners = {section.code: pool[index % len(pool)] for index, section in enumerate(ludian)}
    awards = ludian_awards(f, ludian, winners)[1:]  # no title row
    bids = ludian_bids(f, ludian, winners, pool)
    traditional = (
        "項目編號,標段編號,中標人名稱,中標人統一社會信用代碼,中標金額(萬元),發佈時間\r\n"
        f"{ludian[0].tender_project_code},{ludian[0].code},魯甸縣宏達建築工程有限公司,{pool[0].uscc},"
        "856.30,2026-05-18 09:00:00\r\n"
    )
    mojibake = [
        [name.encode("utf-8").decode("gbk", errors="replace") for name in map(str, bids[0])],
        *bids[1:4],
    ]
    ragged = [list(row) for row in bids[:7]]
    ragged[2] = [*ragged[2], "多余的单元格"]
    ragged[4] = ragged[4][:10]
    unknown = [[*awards[0], "中标人联系电话"], *[[*row, "0870-1234567"] for row in awards[1:]]]
    bad_uscc = [
        awards[0],
        *[[*row[:9], row[9][:-1] + ("0" if row[9][-1] != "0" else "1"), *row[10:]] for row in awards[1:]],
    ]
    return {
        "530621_中标结果_big5.csv": traditional.encode("big5"),
        "530621_中标结果_bom_gbk.csv": codecs.BOM_UTF8 + csv_bytes(awards, "gbk"),
        "530621_投标人名单_mojibake_header.csv": csv_bytes(mojibake, "utf-8"),
        "530621_投标人名单_ragged.csv": csv_bytes(ragged, "utf-8", bom=True),
        "530621_中标结果_unknown_column.csv": csv_bytes(unknown, "utf-8"),
        "530621_中标结果_empty.csv": b"",
        "530621_中标结果_bad_uscc.csv": csv_bytes(bad_uscc, "gbk"),
        "中标结果_no_county.csv": csv_bytes(awards, "utf-8"),
        "410225_开标记录_not_zip.xlsx": NOT_A_WORKBOOK,
    }


def build() -> dict[Path, bytes]:
    files = {SAMPLES / name: data for name, data in bundled().items()}
    files.update({SAMPLES / "bad" / name: data for name, data in bad_inputs().items()})
    files.update({GOLDEN / name: data for name, data in golden_inputs().items()})
    return files


def main() -> None:
    for path, data in build().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


if __name__ == "__main__":
    main()
