"""The tables of the county-center samples, one function per export shape (header row first)."""

from __future__ import annotations

from datetime import timedelta

from tests.adapters.county_sample_parts import Cells, Company, Factory, Section, wall

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
