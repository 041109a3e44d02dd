"""Deterministic sample inputs of the tender-platform source.

Writes the bundled sample set (config/samples/tender-platform/, bad/ included) and the raw inputs of
the golden cases (tests/adapters/golden/tender-platform/). Identifiers carry valid check characters
computed with the schemas.identifiers helpers; the same seed always gives the same bytes, which a
test checks against the committed files. Run from anywhere:

    python tests/adapters/make_tender_samples.py
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import orjson

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from adapters.soap import BEIJING, build_receive_info_request  # noqa: E402
from schemas.identifiers import (  # noqa: E402
    id_card_check_char,
    mod37_2_check_char,
    org_code_check_char,
    uscc_check_char,
)

SAMPLES = Path("config/samples/tender-platform")
GOLDEN = Path("tests/adapters/golden/tender-platform")
SEED = 20261122
Row = dict[str, str]


def uscc(prefix: str, region: str, body: str) -> str:
    org = body + org_code_check_char(body)
    return prefix + region + org + uscc_check_char(prefix + region + org)


def id_card(region: str, birth: str, sequence: int) -> str:
    body = f"{region}{birth}{sequence:03d}"
    return body + id_card_check_char(body)


def deal_code(platform: str, day: str, serial: int) -> str:
    data = f"{platform}{day}{serial:06d}"
    return data + mod37_2_check_char(data)


PLATFORM = uscc("12", "530000", "MB1E4703")  # 云南省公共资源交易中心, the trading platform
AGENCIES = [
    ("云南昭通恒信工程招标代理有限公司", uscc("91", "530602", "MA6K3L2X"), "530602"),
    ("曲靖市正衡工程咨询有限公司", uscc("91", "530302", "MA6N2P8Q"), "530302"),
    ("云南省建设工程招标代理有限公司", uscc("91", "530103", "21658043"), "530103"),
]
COMPANIES = [
    ("云南鲁甸建设工程有限公司", "530621", "MA6N7Q8R"),
    ("昆明滇中路桥工程有限公司", "530100", "21941845"),
    ("昭通市交通建设工程有限公司", "530600", "70982153"),
    ("曲靖宏远建筑工程有限公司", "530302", "MA6KQ1W3"),
    ("云南滇东北路桥建设有限公司", "530602", "MA6P0C4D"),
    ("会泽县金钟水利工程有限公司", "530326", "MA6L8T2E"),
    ("宣威市恒达市政工程有限公司", "530381", "MA6M5J7F"),
    ("云南乌蒙山建设集团有限公司", "530600", "MA6R3G9H"),
    ("镇雄县鑫源建筑工程有限公司", "530627", "MA6T6K1J"),
    ("陆良县通达建设有限公司", "530322", "MA6U2N4K"),
    ("云南彩云路桥工程有限公司", "530100", "MA6W7P5L"),
    ("四川川南建设工程有限公司", "510500", "MA62X9QM"),
    ("贵州黔西南水利建设有限公司", "522300", "MA6H4R6N"),
    ("云南巧家金沙建设有限公司", "530622", "MA6X1Y8P"),
    ("云南云岭教育建设工程有限公司", "530100", "MA6Y5Q3R"),
    ("云南杏林医疗建筑工程有限公司", "530100", "MA6E8W2T"),
]
PEOPLE = [
    "陈立新",
    "李娜",
    "王强",
    "张建华",
    "赵强",
    "刘洋",
    "杨丽",
    "黄伟",
    "周敏",
    "吴军",
    "徐静",
    "孙涛",
    "马红",
    "朱磊",
    "胡斌",
    "郭芳",
]


@dataclass
class Bid:
    company: tuple[str, str, str]  # name, region, USCC
    price: str  # 万元
    score: str
    manager: str
    manager_id: str
    md5: str
    cpu: str
    disk: str
    mac: str
    ip: str


@dataclass
class Section:
    code: str
    name: str
    deal: str
    content: str
    control: str  # 万元
    bids: list[Bid] = field(default_factory=list)


@dataclass
class Project:
    index: int
    slug: str
    region: str
    name: str
    tenderer: str
    kind: str  # TENDER_PROJECT_TYPE, e.g. A08 工程施工
    industry: str
    code: str
    start: datetime
    sections: list[Section]
    tenderer_code: str = ""
    agency: tuple[str, str, str] = AGENCIES[0]
    with_project: bool = True

    @property
    def tender_code(self) -> str:
        return self.code + "001"

    @property
    def self_code(self) -> str:
        return f"{self.slug.split('-')[0].upper()}-ZB-{self.start:%Y}-{self.index + 31:03d}"

    @property
    def city(self) -> str:
        return "昭通" if self.region.startswith("5306") else "曲靖"

    def at(self, days: float, hour: int = 9) -> datetime:
        return (self.start + timedelta(days=days)).replace(hour=hour, minute=0, second=0)


PROJECTS = [
    (
        "ludian-road",
        "530621",
        "鲁甸县龙头山镇至乐红镇公路改扩建工程",
        "鲁甸县交通运输局",
        "交通",
        ["K0+000至K9+300段", "K9+300至K18+600段"],
    ),
    (
        "zhaoyang-sewer",
        "530602",
        "昭通市昭阳区北部新区污水管网建设工程",
        "昭通市昭阳区住房和城乡建设局",
        "市政",
        ["一期管网", "二期管网及泵站"],
    ),
    (
        "qilin-renewal",
        "530302",
        "曲靖市麒麟区南宁街道老旧小区改造项目",
        "曲靖市麒麟区住房和城乡建设局",
        "房建",
        ["一标段", "二标段", "三标段"],
    ),
    (
        "huize-irrigation",
        "530326",
        "会泽县以礼河灌区续建配套与节水改造工程",
        "会泽县水务局",
        "水利",
        ["干渠改造", "支渠及田间工程"],
    ),
    (
        "qiaojia-school",
        "530622",
        "巧家县白鹤滩镇移民安置点配套学校建设项目",
        "巧家县教育体育局",
        "房建",
        ["施工总承包"],
    ),
    (
        "xuanwei-park",
        "530381",
        "宣威市火腿产业园区道路及基础设施建设项目",
        "宣威市工业园区管理委员会",
        "市政",
        ["园区道路", "给排水及照明"],
    ),
    (
        "zhenxiong-hospital",
        "530627",
        "镇雄县中医医院门急诊综合楼建设项目",
        "镇雄县卫生健康局",
        "房建",
        ["施工总承包"],
    ),
    (
        "luliang-water",
        "530322",
        "陆良县城区供水管网提升改造工程",
        "陆良县水务局",
        "市政",
        ["城东片区", "城西片区"],
    ),
]


def build_projects(rng: random.Random) -> list[Project]:
    projects = []
    for index, (slug, region, name, tenderer, industry, parts) in enumerate(PROJECTS):
        start = datetime(2025, 3, 3, tzinfo=BEIJING) + timedelta(days=41 * index)
        code = f"A01{region}{start:%y%m%d}{index + 1:04d}"
        project = Project(index, slug, region, name, tenderer, "A08", industry, code, start, [])
        project.tenderer_code = uscc("11", region, f"0{region[:4]}{index:03d}")
        project.agency = AGENCIES[index % len(AGENCIES)]
        project.with_project = index not in (2, 5)
        for number, part in enumerate(parts, start=1):
            section_code = f"{project.tender_code}{number:03d}"
            control = f"{rng.randrange(800, 6000)}.{rng.randrange(100):02d}"
            section = Section(
                section_code,
                f"第{'一二三'[number - 1]}标段（{part}）",
                deal_code(PLATFORM, f"{start:%Y%m%d}", index * 10 + number),
                f"{name}{part}施工，含相关附属工程",
                control,
            )
            pool = rng.sample(COMPANIES, 4)
            for seat, (company, home, body) in enumerate(pool):
                price = f"{float(control) * rng.uniform(0.88, 0.99):.2f}"
                shared = (
                    seat == 3 and number == 1
                )  # two bids made on one machine: what the indicator looks for
                machine = rng.getrandbits(48)
                bid = Bid(
                    (company, home, uscc("91", home, body)),
                    price,
                    f"{rng.uniform(78, 96):.2f}",
                    PEOPLE[(index * 5 + number * 3 + seat) % len(PEOPLE)],
                    id_card(
                        home if home.startswith("53") else "530621",
                        f"19{rng.randrange(70, 92)}0{rng.randrange(1, 10)}1{rng.randrange(0, 9)}",
                        rng.randrange(1, 999),
                    ),
                    hashlib.md5(f"{section_code}/{company}".encode(), usedforsecurity=False).hexdigest(),
                    f"BFEBFBFF000{rng.randrange(0x10000, 0xFFFFF):05X}",
                    f"S4EVNF0M{rng.randrange(100000, 999999)}",
                    "-".join(f"{(machine >> shift) & 0xFF:02X}" for shift in range(40, -8, -8)),
                    f"222.172.{rng.randrange(1, 254)}.{rng.randrange(1, 254)}",
                )
                if shared:
                    first = section.bids[0]
                    bid.cpu, bid.disk, bid.mac = first.cpu, first.disk, first.mac
                section.bids.append(bid)
            project.sections.append(section)
        projects.append(project)
    return projects


# --- documents --------------------------------------------------------------------------------


def _fields(row: Row) -> str:
    return "".join(f"<{key}>{escape(value)}</{key}>" for key, value in row.items() if value)


def xml_document(dataset: str, rows: list[Row], *, encoding: str = "UTF-8", single: bool = False) -> bytes:
    if single:
        body = f"<{dataset}>{_fields(rows[0])}</{dataset}>"
    else:
        body = (
            f"<{dataset}>"
            + "".join(f"\n  <RECORD>{_fields(row)}</RECORD>" for row in rows)
            + f"\n</{dataset}>"
        )
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{body}\n'.encode(encoding)


def batch_document(parts: list[tuple[str, list[Row]]]) -> bytes:
    inner = "".join(
        f"\n  <{dataset}>"
        + "".join(f"\n    <RECORD>{_fields(row)}</RECORD>" for row in rows)
        + f"\n  </{dataset}>"
        for dataset, rows in parts
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<DATASETS>{inner}\n</DATASETS>\n'.encode()


def json_document(dataset: str, rows: list[Row]) -> bytes:
    records = b",\n".join(orjson.dumps({key: value for key, value in row.items() if value}) for row in rows)
    return b'{"dataset": "' + dataset.encode() + b'", "records": [\n' + records + b"\n]}\n"


def soap_call(
    dataset: str, rows: list[Row], serial: str, version: datetime, plat_id: str, *, cdata: bool
) -> bytes:
    content = xml_document(dataset, rows, single=len(rows) == 1).decode().split("\n", 1)[1].strip()
    return build_receive_info_request(
        app_id="ynggzy-zb-0001",
        app_key="sample-app-key",
        serial_number=serial,
        dataset_code=dataset,
        xml_content=content,
        request_time=version + timedelta(minutes=2),
        version_number=version,
        plat_id=plat_id,
        credit_code=PLATFORM,
        cdata=cdata,
    )


def stamp(moment: datetime, style: int = 0) -> str:
    return [f"{moment:%Y-%m-%d %H:%M:%S}", f"{moment:%Y-%m-%dT%H:%M:%S}", f"{moment:%Y%m%d%H%M%S}"][style % 3]


def version_of(row: Row, fallback: datetime) -> datetime:
    """The VERSIONNUMBER a platform sends with a row: the row's DATA_TIMESTAMP when it has one."""
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(row.get("DATA_TIMESTAMP", ""), layout).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return fallback


def serial(project: Project, number: int) -> str:
    return f"5300000001{project.start:%Y%m%d}{project.index * 100 + number:06d}"


# --- rows -------------------------------------------------------------------------------------


def tender_project_row(project: Project) -> Row:
    name, agency_code, agency_region = project.agency
    i = project.index
    row: Row = {
        "DATA_TIMESTAMP": stamp(project.at(0, 10), project.index),
        "PLATFORM_CODE": PLATFORM,
        "PUB_SERVICE_PLAT_CODE": "P5300000001",
        "PROJECT_CODE": project.code,
        "TENDER_PROJECT_CODE": project.tender_code,
        "TENDER_SELF_CODE": project.self_code,
        "TENDER_PROJECT_NAME": f"{project.name}施工招标",
        "TENDER_PROJECT_TYPE": project.kind,
        "TENDER_PROJECT_INDUSTRIES_TYPE": project.industry,
        "DEAL_TYPE": "工程建设",
        "IS_TO_LAW": "1",
        "REGION_CODE": project.region,
        "TENDER_CONTENT": "；".join(section.content for section in project.sections),
        "OWNER_NAME": project.tenderer,
        "TENDERER_NAME": project.tenderer,
        "TENDERER_CODE_TYPE": "统一社会信用代码" if project.index % 2 else "97",
        "TENDERER_CODE": project.tenderer_code,
        "TENDERER_ROLE": "招标人",
        "TENDERER_REGION_CODE": project.region,
        "TENDERER_PROPERTY": "行政机关",
        "ISUNION": "0",
        "TENDER_AGENCY_NAME": name,
        "TENDER_AGENCY_CODE": agency_code,
        "TENDER_AGENCY_REGION_CODE": agency_region,
        "TENDER_MODE": "1",
        "TENDER_ORGANIZE_FORM": "2",
        "CREATE_TIME": stamp(project.at(0, 9)),
        "SUPERVISE_DEPT_NAME": project.tenderer,
        "REPORT_DUTY": PEOPLE[project.index],
    }
    if project.with_project:
        row |= {
            "PROJECT_NAME": project.name,
            "INVEST_PROJECT_CODE": f"{project.start:%y%m}-{project.region}-04-01-{783512 + 1171 * i:06d}",
            "ADDRESS": f"云南省{project.name[:3]}",
            "LEGAL_PERSON": project.tenderer,
            "FUND_SOURCE": "中央预算内投资及地方配套资金",
            "CONTRIBUTION_SCALE": "政府投资100%",
            "TOTAL_INVESTMENT": f"{sum(float(section.control) for section in project.sections) * 1.18:.2f}",
            "APPROVAL_NAME": f"关于{project.name}初步设计的批复",
            "APPROVAL_NUMBER": f"发改审批〔{project.start:%Y}〕{60 + project.index}号",
            "APPROVAL_AUTHORITY": f"{project.city}市发展和改革委员会",
        }
    return row


def section_rows(project: Project) -> list[Row]:
    return [
        {
            "DATA_TIMESTAMP": stamp(project.at(0, 10), project.index),
            "PLATFORM_CODE": PLATFORM,
            "TENDER_PROJECT_CODE": project.tender_code,
            "BID_SECTION_CODE": section.code,
            "BID_SECTION_NAME": section.name,
            "UNIFIED_DEAL_CODE": section.deal,
            "BID_SECTION_CONTENT": section.content,
            "TENDER_PROJECT_CLASSIFY_CODE": project.kind,
            "CONTROL_PRICE": section.control,
            "CONTROL_PRICE_UNIT": "万元" if project.index % 2 else "",
            "REGION_CODE": project.region,
        }
        for section in project.sections
    ]


def notice_row(project: Project, *, with_stamp: bool = True) -> Row:
    separators = ["；", ",", ";"]
    codes = [section.code for section in project.sections]
    joined = codes[0] + "".join(separators[i % 3] + code for i, code in enumerate(codes[1:]))
    return {
        "DATA_TIMESTAMP": stamp(project.at(1, 8), project.index) if with_stamp else "",
        "PLATFORM_CODE": PLATFORM,
        "PROJECT_CODE": project.code,
        "TENDER_PROJECT_CODE": project.tender_code,
        "NOTICE_CODE": f"YNGG-{project.start:%Y}-{project.index + 1:03d}01" if with_stamp else "",
        "BID_SECTION_CODES": joined,
        "UNIFIED_DEAL_CODES": ",".join(section.deal for section in project.sections),
        "NOTICE_NAME": f"{project.name}施工招标公告",
        "NOTICE_CONTENT": f"<p>{project.name}已批准建设，招标人为{project.tenderer}，现进行公开招标。</p>",
        "NOTICE_SEND_TIME": stamp(project.at(1, 9)),
        "NOTICE_MEDIA": "云南省公共资源交易信息网",
        "URL": f"https://ggzy.yn.gov.cn/jyxx/jsgcZbgg?guid={project.tender_code}",
        "NOTICE_NATURE": "1",
        "BULLETIN_TYPE": "1",
        "DOC_GET_START_TIME": stamp(project.at(1, 9)),
        "DOC_GET_END_TIME": stamp(project.at(8, 17)),
        "TENDER_DOC_GET_METHOD": "网上下载",
        "BID_DOC_REFER_END_TIME": stamp(project.at(22, 9)),
        "BID_OPEN_TIME": stamp(project.at(22, 9)),
        "DOC_PRICE": "0",
        "BULLETIN_DUTY": PEOPLE[project.index + 1],
        "EXAMINER_NAME": PEOPLE[project.index + 2],
        "REGION_CODE": project.region,
    }


def opening_row(project: Project) -> Row:
    single = len(project.sections) == 1
    return {
        "DATA_TIMESTAMP": stamp(project.at(22, 12), project.index),
        "PLATFORM_CODE": PLATFORM,
        "PROJECT_CODE": project.code,
        "TENDER_PROJECT_CODE": project.tender_code,
        "BID_SECTION_CODES": ",".join(section.code for section in project.sections),
        "UNIFIED_DEAL_CODES": ",".join(section.deal for section in project.sections),
        "BID_OPENING_ACTOR": PEOPLE[project.index + 1],
        "BID_OPENING_CONTENT": "各标段投标文件均已按时递交并解密成功。",
        "BID_OPENING_ADDRESS": f"{project.city}市公共资源交易中心第三开标室",
        "BID_OPENING_TIME": stamp(project.at(22, 9)),
        "NOTICE_NAME": "开标记录",
        "URL": f"https://ggzy.yn.gov.cn/jyxx/kbjl?guid={project.tender_code}",
        "BIDDER_COUNT": str(len(project.sections[0].bids)) if single else "",
        "REGION_CODE": project.region,
    }


def bid_rows(project: Project, section: Section, *, unit: str = "万元") -> list[Row]:
    rows = []
    for seat, bid in enumerate(section.bids):
        price = bid.price if unit == "万元" else f"{float(bid.price) * 10000:.2f}"
        sealed = project.at(21, 20) + timedelta(minutes=37 * seat + 11)
        rows.append(
            {
                "DATA_TIMESTAMP": stamp(project.at(22, 11), project.index),
                "TENDER_PROJECT_CODE": project.tender_code,
                "BID_SECTION_CODE": section.code,
                "BIDDER_NAME": bid.company[0],
                "BIDDER_ORG_CODE": bid.company[2],
                "BIDDER_REGION_CODE": bid.company[1],
                "BIDDER_CREDIT_SCORE": bid.score,
                "BID_MANAGER": bid.manager,
                "ID_CARD": bid.manager_id,
                "PM_CODE": f"云1531{project.index}{seat}{int(bid.company[2][10:16], 36) % 10**6:06d}"
                if seat % 2 == 0
                else "",
                "MARGIN_PAY_FORM": "电子保函" if seat % 2 else "",
                "BID_PRICE": price,
                "PRICE_CURRENCY": "人民币" if seat == 0 else "",
                "PRICE_UNIT": unit,
                "TIME_LIMIT": "540日历天" if seat == 0 else "",
                "BID_DOCUMENT_MD5": bid.md5.upper() if seat % 2 else bid.md5,
                "SUBMITTIME": stamp(sealed),
                "CPU_ID": bid.cpu,
                "HARD_DISK_SERIAL_NUMBER": bid.disk,
                "MAC_ADDRESS": bid.mac,
                "NET_ID": bid.ip,
                "TOOL_VERSION": "6.2.1.0",
                "REGION_CODE": project.region,
            }
        )
    return rows


def candidate_rows(project: Project, section: Section) -> list[Row]:
    ranked = sorted(section.bids, key=lambda bid: float(bid.price))[:3]
    published = project.at(27, 9)
    rows = []
    for order, bid in enumerate(ranked, start=1):
        # The publication fields come once per section; the rows of the other candidates leave them out.
        publication = order == 1
        rows.append(
            {
                "DATA_TIMESTAMP": stamp(project.at(27, 8), project.index),
                "PLATFORM_CODE": PLATFORM if publication else "",
                "TENDER_PROJECT_CODE": project.tender_code,
                "BID_SECTION_CODE": section.code,
                "UNIFIED_DEAL_CODE": section.deal if publication else "",
                "NOTICE_NAME": f"{project.name}{section.name}中标候选人公示" if publication else "",
                "NOTICE_SEND_TIME": stamp(published),
                "PUBLICITY_END_TIME": stamp(project.at(30, 17)) if publication else "",
                "URL": f"https://ggzy.yn.gov.cn/jyxx/zbhxrgs?guid={section.code}" if publication else "",
                "REGION_CODE": project.region,
                "WIN_CANDIDATE_NAME": bid.company[0],
                "WIN_CANDIDATE_CODE": bid.company[2],
                "WIN_CANDIDATE_ORDER": str(order),
                "EVALUATION_PRICE": bid.price,
                "WIN_PRICE": bid.price,
                "EVALUATION_RESULT": bid.score,
                "PM_NAME": bid.manager,
            }
        )
    # Platforms send candidates in no particular order; the adapter ranks them.
    return rows[::-1] if project.index % 2 else rows


def winner(section: Section) -> Bid:
    return min(section.bids, key=lambda bid: float(bid.price))


def award_row(project: Project, section: Section) -> Row:
    bid = winner(section)
    return {
        "DATA_TIMESTAMP": stamp(project.at(32, 10), project.index),
        "PLATFORM_CODE": PLATFORM,
        "TENDER_PROJECT_CODE": project.tender_code,
        "BID_SECTION_CODE": section.code,
        "UNIFIED_DEAL_CODE": section.deal,
        "NOTICE_NAME": f"{project.name}{section.name}中标结果公告",
        "NOTICE_CONTENT": f"<p>中标人：{bid.company[0]}</p>",
        "NOTICE_SEND_TIME": stamp(project.at(32, 9)),
        "URL": f"https://ggzy.yn.gov.cn/jyxx/zbjggg?guid={section.code}",
        "NOTICE_NATURE": "1",
        "BULLETIN_TYPE": "1",
        "WIN_BIDDER_NAME": bid.company[0],
        "BIDDER_CODE_TYPE": "法人",
        "N_BIDDER_CODE_TYPE": "统一社会信用代码",
        "WIN_BIDDER_CODE": bid.company[2],
        "BIDDER_ROLE": "中标人",
        "BID_AMOUNT": bid.price,
        "TENDER_CODE": project.self_code,
        "TRADE_PLAT": "T5300000001",
        "N_PUB_SERVICE_PLAT_CODE": "P5300000001",
        "REGION_CODE": project.region,
    }


def contract_row(project: Project, section: Section, *, unit: str = "万元") -> Row:
    bid = winner(section)
    amount = bid.price if unit == "万元" else f"{float(bid.price) * 10000:.2f}"
    signed = project.at(45)
    return {
        "DATA_TIMESTAMP": stamp(project.at(46, 10), project.index),
        "TENDER_PROJECT_CODE": project.tender_code,
        "BID_SECTION_CODE": section.code,
        "UNIFIED_DEAL_CODE": section.deal,
        "CONTRACT_CODE": f"HT-{section.code[-9:]}-01",
        "CONTRACT_NAME": f"{project.name}{section.name}施工合同",
        "TENDERER_NAME": project.tenderer,
        "TENDERER_CODE": project.tenderer_code,
        "TENDERER_REGION_CODE": project.region,
        "WIN_BIDDER_NAME": bid.company[0],
        "WIN_BIDDER_CODE": bid.company[2],
        "CONTRACT_AMOUNT": amount,
        "PRICE_UNIT": unit,
        "SIGN_DATE": f"{signed:%Y-%m-%d}",
        "TIME_LIMIT": "540日历天",
        "PLAN_START_DATE": f"{signed + timedelta(days=14):%Y-%m-%d}",
        "PLAN_END_DATE": f"{signed + timedelta(days=554):%Y-%m-%d}",
        "QUALITY": "合格",
        "PM_NAME": bid.manager,
        "PUBLISH_TIME": stamp(project.at(47, 9)),
        "PERFORMANCE_STATUS": "履约中",
        "REGION_CODE": project.region,
    }


# --- the files --------------------------------------------------------------------------------


def project_files(project: Project) -> dict[str, bytes]:
    i, files = project.index, {}
    tender, sections = tender_project_row(project), section_rows(project)
    calls = iter(range(1, 100))

    def call(dataset: str, rows: list[Row], *, cdata: bool = True, plat: str = "") -> bytes:
        version = version_of(rows[0], project.at(1, 8))
        plat_id = plat or hashlib.md5(f"{dataset}/{rows[0]}".encode(), usedforsecurity=False).hexdigest()
        return soap_call(dataset, rows, serial(project, next(calls)), version, plat_id, cdata=cdata)

    if i % 4 == 0:
        files["tender_project.xml"] = batch_document(
            [("GCJS_TENDER_PROJECT", [tender]), ("GCJS_SECTION", sections)]
        )
    elif i % 4 == 1:
        files["tender_project.xml"] = xml_document(
            "GCJS_TENDER_PROJECT", [tender], encoding="GBK", single=True
        )
        files["sections.xml"] = xml_document("GCJS_SECTION", sections)
    elif i % 4 == 2:
        files["tender_project.soap.xml"] = call("GCJS_TENDER_PROJECT", [tender])
        files["sections.json"] = json_document("GCJS_SECTION", sections)
    else:
        files["tender_project.json"] = json_document("GCJS_TENDER_PROJECT", [tender])
        files["sections.xml"] = xml_document("GCJS_SECTION", sections, encoding="GBK")

    if i % 3 == 0:
        files["notice.soap.xml"] = call(
            "GCJS_TENDER_NOTICE",
            [notice_row(project, with_stamp=False)],
            cdata=False,
            plat=f"YNGG{project.start:%Y%m%d}{i + 1:04d}",
        )
    elif i % 3 == 1:
        files["notice.xml"] = xml_document("GCJS_TENDER_NOTICE", [notice_row(project)], single=True)
    else:
        files["notice.json"] = json_document("GCJS_TENDER_NOTICE", [notice_row(project)])

    opening = [opening_row(project)]
    files["opening.json" if i % 2 == 0 else "opening.xml"] = (
        json_document("GCJS_OPENING_RECORD", opening)
        if i % 2 == 0
        else xml_document("GCJS_OPENING_RECORD", opening, single=True)
    )

    bids = [
        row
        for section in project.sections
        for row in bid_rows(project, section, unit="元" if i == 2 else "万元")
    ]
    if i == 4:
        for number, row in enumerate(bids, start=1):
            files[f"bid-{number:02d}.soap.xml"] = call("GCJS_TENDER_LIST", [row])
    elif i == 2:
        files["bids.json"] = json_document("GCJS_TENDER_LIST", bids)
    else:
        files["bids.xml"] = xml_document(
            "GCJS_TENDER_LIST", bids, encoding="GBK" if i in (0, 3, 6) else "UTF-8"
        )

    candidates = [candidate_rows(project, section) for section in project.sections]
    if i % 3 == 0:
        files["candidates.xml"] = xml_document(
            "GCJS_WIN_CANDIDATE", [row for rows in candidates for row in rows]
        )
    elif i % 3 == 1:
        for number, rows in enumerate(candidates, start=1):
            files[f"candidates-{number}.soap.xml"] = call("GCJS_WIN_CANDIDATE", rows)
    else:
        files["candidates.json"] = json_document(
            "GCJS_WIN_CANDIDATE", [row for rows in candidates for row in rows]
        )

    awards = [award_row(project, section) for section in project.sections]
    if i == 5:
        files["awards.json"] = json_document("GCJS_RESULT_NOTICE", awards)
    elif i % 2 == 0:
        files["awards.xml"] = xml_document("GCJS_RESULT_NOTICE", awards)
    else:
        for number, row in enumerate(awards, start=1):
            files[f"award-{number}.soap.xml"] = call("GCJS_RESULT_NOTICE", [row])

    contracts = [
        contract_row(project, section, unit="元" if i == 6 else "万元") for section in project.sections
    ]
    files["contracts.xml"] = xml_document(
        "GCJS_CONTRACT_PERFORMANCE", contracts, encoding="GBK" if i == 1 else "UTF-8"
    )
    return files


def exception_report(project: Project) -> Row:
    return {
        "DATA_TIMESTAMP": stamp(project.at(12, 15)),
        "PLATFORM_CODE": PLATFORM,
        "TENDER_PROJECT_CODE": project.tender_code,
        "BID_SECTION_CODES": project.sections[0].code,
        "EXCEPTION_NAME": "招标文件澄清导致开标时间推迟",
        "EXCEPITON_INFOR": "因招标文件澄清内容影响投标文件编制，开标时间顺延五日。",
        "APPROVAL_RESULT": "同意",
        "APPROVAL_TIME": stamp(project.at(13, 10)),
        "REGION_CODE": project.region,
    }


def golden_files(projects: list[Project]) -> dict[str, bytes]:
    p0, p1, p2, p3 = projects[:4]
    union_bid = bid_rows(projects[6], projects[6].sections[0])[0] | {
        "BIDDER_REGION_CODE": "530699",  # well formed, but in no edition of the region table
        "UNION_ENTERPRISE_NAME": "云南杏林医疗建筑工程有限公司；云南云岭教育建设工程有限公司",
        "UNION_ORGAN_SET_CODE": f"{COMPANIES[15][2]}-{org_code_check_char(COMPANIES[15][2])}；"
        f"{uscc('91', '530100', COMPANIES[14][2])}",
        "UNION_CONTACT_NAME": "郭芳",
        "MAC_ADDRESS": "-",
        "BIDDER_OPERATION_PERSON": "胡斌",
        "BID_DOCUMENT_NAME": "投标文件.ztb",
        "BID_DOCUMENT_SIDE": "48213504",
        "VALUATION_XML": "<JJXX><RJ>云南造价软件 V2024</RJ></JJXX>",
    }
    soap_candidates = candidate_rows(p1, p1.sections[1])
    version = p1.at(27, 8)
    award = award_row(p3, p3.sections[1])
    return {
        "tender_project_batch.xml": project_files(p0)["tender_project.xml"],
        "tender_project_gbk.xml": project_files(p1)["tender_project.xml"],
        "sections.json": json_document("GCJS_SECTION", section_rows(p2)),
        "notice_multi_section.xml": xml_document("GCJS_TENDER_NOTICE", [notice_row(p2)], single=True),
        "notice_soap.xml": project_files(p0)["notice.soap.xml"],
        "opening_multi_section.json": json_document("GCJS_OPENING_RECORD", [opening_row(p2)]),
        "bids_gbk_wan.xml": xml_document("GCJS_TENDER_LIST", bid_rows(p0, p0.sections[0]), encoding="GBK"),
        "bids_yuan.json": json_document("GCJS_TENDER_LIST", bid_rows(p2, p2.sections[0], unit="元")[:2]),
        "bid_union_member.xml": xml_document("GCJS_TENDER_LIST", [union_bid], single=True),
        "candidates_unordered.xml": xml_document(
            "GCJS_WIN_CANDIDATE", [row for section in p1.sections for row in candidate_rows(p1, section)]
        ),
        "candidates_soap.xml": soap_call(
            "GCJS_WIN_CANDIDATE",
            soap_candidates,
            serial(p1, 90),
            version,
            "8a8a8a8a7f1e2d3c017f1e2d3c4b0002",
            cdata=True,
        ),
        "award_wan.xml": xml_document("GCJS_RESULT_NOTICE", [award_row(p0, p0.sections[1])], single=True),
        "award_soap.xml": soap_call(
            "GCJS_RESULT_NOTICE",
            [award],
            serial(p3, 91),
            p3.at(32, 10),
            "8a8a8a8a7f1e2d3c017f1e2d3c4b0003",
            cdata=False,
        ),
        "contract.xml": xml_document(
            "GCJS_CONTRACT_PERFORMANCE", [contract_row(p0, p0.sections[0])], single=True
        ),
        "exception_report.xml": xml_document("GCJS_EXCEPTION_REPORT", [exception_report(p0)], single=True),
    }


def bad_files(projects: list[Project]) -> dict[str, bytes]:
    p0 = projects[0]
    section = p0.sections[0]
    award = award_row(p0, section)
    code = award["WIN_BIDDER_CODE"]
    wrong = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    bad_check = code[:17] + next(char for char in wrong if char != code[17])
    bid = bid_rows(p0, section)[0]
    bad_id = bid["ID_CARD"][:17] + ("0" if bid["ID_CARD"][17] != "0" else "1")
    bids = xml_document("GCJS_TENDER_LIST", bid_rows(p0, section)[:2])
    no_time = {key: value for key, value in award.items() if key != "NOTICE_SEND_TIME"}
    twice = candidate_rows(p0, section)
    twice[1] = twice[1] | {"WIN_CANDIDATE_ORDER": "1"}
    misread = "招标公告".encode().decode("gbk", errors="replace")
    no_region = {key: value for key, value in section_rows(p0)[0].items() if key != "REGION_CODE"}
    return {
        "xxe.xml": b'<?xml version="1.0"?>\n<!DOCTYPE GCJS_SECTION [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        b"<GCJS_SECTION><BID_SECTION_NAME>&secret;</BID_SECTION_NAME></GCJS_SECTION>\n",
        "billion_laughs.xml": b'<?xml version="1.0"?>\n<!DOCTYPE GCJS_SECTION [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        b"<GCJS_SECTION><BID_SECTION_NAME>&lol2;</BID_SECTION_NAME></GCJS_SECTION>\n",
        "truncated.xml": bids[: len(bids) * 3 // 5],
        "unknown_dataset.xml": xml_document(
            "GCJS_QUALIFI_PRE_FILE", [{"APPLICANTION_NAME": COMPANIES[0][0]}], single=True
        ),
        "bad_uscc.xml": xml_document(
            "GCJS_RESULT_NOTICE", [award | {"WIN_BIDDER_CODE": bad_check}], single=True
        ),
        "bad_id_card.xml": xml_document("GCJS_TENDER_LIST", [bid | {"ID_CARD": bad_id}], single=True),
        "wrong_encoding.xml": xml_document("GCJS_SECTION", section_rows(p0)[:1], encoding="GBK").replace(
            b'encoding="GBK"', b'encoding="UTF-8"'
        ),
        "mojibake.xml": xml_document(
            "GCJS_SECTION", [section_rows(p0)[0] | {"BID_SECTION_NAME": misread}], single=True
        ),
        "exception_report.xml": xml_document("GCJS_EXCEPTION_REPORT", [exception_report(p0)], single=True),
        "missing_field.json": json_document("GCJS_RESULT_NOTICE", [no_time]),
        "soap_dataset_mismatch.xml": soap_call(
            "GCJS_SECTION", section_rows(p0)[:1], serial(p0, 99), p0.at(1, 8), "YNGG-MISMATCH", cdata=False
        ).replace(b"<DATASETCODE>GCJS_SECTION<", b"<DATASETCODE>GCJS_RESULT_NOTICE<", 1),
        "duplicate_candidate_order.xml": xml_document("GCJS_WIN_CANDIDATE", twice),
        "no_region.xml": xml_document("GCJS_SECTION", [no_region], single=True),
    }


def render() -> dict[Path, bytes]:
    """Every generated file, by path relative to the repository root."""
    projects = build_projects(random.Random(SEED))
    files: dict[Path, bytes] = {}
    for project in projects:
        prefix = f"{project.index + 1:02d}-{project.slug}"
        files.update({SAMPLES / f"{prefix}.{name}": data for name, data in project_files(project).items()})
    files.update({SAMPLES / "bad" / name: data for name, data in bad_files(projects).items()})
    files.update({GOLDEN / name: data for name, data in golden_files(projects).items()})
    return files


def main(root: Path = ROOT) -> None:
    for path, data in render().items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
