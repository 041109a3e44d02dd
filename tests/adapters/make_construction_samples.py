"""Writes the construction-market samples: config/samples/construction-market/ and the golden inputs.

Run from the repository root: `python -m tests.adapters.make_construction_samples`. Output is
deterministic. Every code carries a check character computed with schemas.identifiers, so the
sample set is valid by construction; `bad/` holds inputs that are broken on purpose.

The enterprise roster is shared with the credit-china samples (make_credit_samples), so that a
blacklist entry naming an enterprise only by its old 组织机构代码 can be matched to the `entity`
record that carries both that code (OLD_CODE) and the USCC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.identifiers import id_card_check_char, org_code_check_char, uscc_check_char

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "construction-market"
GOLDEN = ROOT / "tests" / "adapters" / "golden" / "construction-market"

REGION_NAMES = {
    "530102": "云南省-昆明市-五华区",
    "530111": "云南省-昆明市-官渡区",
    "530112": "云南省-昆明市-西山区",
    "530113": "云南省-昆明市-东川区",
    "530114": "云南省-昆明市-呈贡区",
    "530621": "云南省-昭通市-鲁甸县",
    "530602": "云南省-昭通市-昭阳区",
    "530302": "云南省-曲靖市-麒麟区",
    "530402": "云南省-玉溪市-红塔区",
    "532301": "云南省-楚雄彝族自治州-楚雄市",
    "532901": "云南省-大理白族自治州-大理市",
    "532502": "云南省-红河哈尼族彝族自治州-开远市",
    "530802": "云南省-普洱市-思茅区",
    "530502": "云南省-保山市-隆阳区",
    "530702": "云南省-丽江市-古城区",
    "510104": "四川省-成都市-锦江区",
    "520102": "贵州省-贵阳市-南明区",
    "450103": "广西壮族自治区-南宁市-青秀区",
    "430104": "湖南省-长沙市-岳麓区",
    "370212": "山东省-青岛市-崂山区",
}


def org_code(body8: str) -> str:
    return body8 + org_code_check_char(body8)


def uscc(prefix: str, region: str, body8: str) -> str:
    first17 = prefix + region + org_code(body8)
    return first17 + uscc_check_char(first17)


def id_card(region: str, born: str, sequence: str) -> str:
    first17 = region + born + sequence
    return first17 + id_card_check_char(first17)


def hyphenated(code9: str) -> str:
    return f"{code9[:8]}-{code9[8]}"


@dataclass(frozen=True)
class Enterprise:
    key: str
    name: str
    region: str
    body8: str  # 主体标识码 body; an old firm's 组织机构代码 before 2015, an MA… code after
    legal_rep: str
    registration_type: str
    street: str

    @property
    def uscc(self) -> str:
        return uscc("91", self.region, self.body8)

    @property
    def old_code(self) -> str | None:
        """OLD_CODE as the platform exports it: only firms registered before the USCC reform have one."""
        return None if self.body8.startswith("MA") else hyphenated(org_code(self.body8))


_LLC = "有限责任公司（自然人投资或控股）"
_STATE = "有限责任公司（国有独资）"
ENTERPRISES: tuple[Enterprise, ...] = (
    Enterprise(
        "dianjian", "云南滇建第一建设有限公司", "530102", "21652017", "刘建国", _STATE, "五华区人民西路218号"
    ),
    Enterprise(
        "guandu", "昆明官渡市政工程有限公司", "530111", "21970341", "王志强", _LLC, "官渡区关上中路56号"
    ),
    Enterprise(
        "xishan", "云南西山路桥建设集团有限公司", "530112", "29108765", "李春华", _LLC, "西山区滇池路1120号"
    ),
    Enterprise(
        "chenggong", "昆明呈贡城投建设工程有限公司", "530114", "MA6K3T9B", "赵明", _STATE, "呈贡区春融街88号"
    ),
    Enterprise(
        "ludian", "云南鲁甸建设工程有限公司", "530621", "MA6N7Q8R", "马永红", _LLC, "鲁甸县文屏镇建设路18号"
    ),
    Enterprise(
        "xinda", "昭通市昭阳区鑫达建筑劳务有限公司", "530602", "71305428", "陈德明", _LLC, "昭阳区凤凰路72号"
    ),
    Enterprise(
        "qilin", "曲靖麒麟水利水电工程有限公司", "530302", "21728806", "张卫东", _LLC, "麒麟区寥廓南路305号"
    ),
    Enterprise(
        "hongta", "玉溪红塔园林绿化工程有限公司", "530402", "75718293", "杨丽", _LLC, "红塔区珊瑚路16号"
    ),
    Enterprise(
        "yizhou", "楚雄彝州建筑安装工程有限公司", "532301", "21976503", "普国华", _LLC, "楚雄市鹿城南路41号"
    ),
    Enterprise(
        "cang_er", "大理苍洱建设工程有限公司", "532901", "70983125", "段家旺", _LLC, "大理市下关镇建设路9号"
    ),
    Enterprise(
        "kaiyuan", "开远城市建设工程有限公司", "532502", "MA6P2W4C", "李家顺", _STATE, "开远市灵泉西路27号"
    ),
    Enterprise(
        "puer", "云南普洱茶城建筑工程有限公司", "530802", "73807216", "罗应才", _LLC, "思茅区振兴大道133号"
    ),
    Enterprise(
        "yongchang", "保山永昌建设工程有限公司", "530502", "MA6L8D2F", "杨开林", _LLC, "隆阳区保岫东路66号"
    ),
    Enterprise(
        "gucheng", "丽江古城建筑工程有限公司", "530702", "21920064", "和志刚", _LLC, "古城区福慧路7号"
    ),
    Enterprise(
        "jincheng",
        "四川锦城建设工程有限公司",
        "510104",
        "20188932",
        "周明亮",
        _LLC,
        "锦江区东大街下东大街段99号",
    ),
    Enterprise(
        "nanming", "贵州南明路桥工程有限公司", "520102", "MA6H4E7G", "吴国强", _LLC, "南明区花果园大街18号"
    ),
    Enterprise(
        "qingxiu", "广西青秀建筑工程有限公司", "450103", "19823746", "黄志勇", _LLC, "青秀区民族大道131号"
    ),
    Enterprise(
        "yuelu", "湖南岳麓建设集团有限公司", "430104", "18376524", "刘卫平", _LLC, "岳麓区麓山南路32号"
    ),
    Enterprise(
        "laoshan", "青岛崂山建筑安装工程有限公司", "370212", "16359082", "孙海涛", _LLC, "崂山区香港东路195号"
    ),
    Enterprise(
        "dongchuan",
        "云南东川矿山建设工程有限公司",
        "530113",
        "MA6Q5R1H",
        "陈光荣",
        _LLC,
        "东川区铜都街道碧谷路12号",
    ),
)
BY_KEY = {enterprise.key: enterprise for enterprise in ENTERPRISES}

# Screening cases of the credit samples (see config/samples/credit-china/README.md).
BLACKLISTED_IN_FORCE = "xinda"
BLACKLISTED_REVOKED = "qilin"
PENALTY_EXPIRED = "hongta"
BLACKLISTED_BY_OLD_CODE = "yizhou"

CHINA = timedelta(hours=8)


def epoch_ms(moment: str) -> int:
    local = datetime.fromisoformat(moment).replace(tzinfo=UTC) - CHINA
    return int(local.timestamp() * 1000)


def company_rows() -> list[dict[str, Any]]:
    rows = []
    for index, firm in enumerate(ENTERPRISES):
        row: dict[str, Any] = {
            "QY_ID": f"00{index + 23:02d}A{index * 7919 % 100000:05d}F",
            "QY_ORG_CODE": firm.uscc,
            "QY_NAME": firm.name,
            "QY_FR_NAME": firm.legal_rep,
            "QY_REGION": firm.region,
            "QY_REGION_NAME": REGION_NAMES[firm.region],
            "QY_GSZCLX_NAME": firm.registration_type,
            "QY_ADDR": "".join(REGION_NAMES[firm.region].split("-")[:2]) + firm.street,
            "QY_SRC_TYPE": "1",
            "COLLECT_TIME": epoch_ms(f"2026-11-{10 + index % 9:02d}T0{index % 10}:1{index % 6}:45"),
        }
        if firm.old_code is not None:
            row["OLD_CODE"] = firm.old_code
        rows.append(row)
    return rows


_QUALIFICATIONS = (
    ("施工总承包", "建筑工程施工总承包一级", "住房和城乡建设部"),
    ("施工总承包", "市政公用工程施工总承包二级", "云南省住房和城乡建设厅"),
    ("施工总承包", "公路工程施工总承包二级", "云南省住房和城乡建设厅"),
    ("施工总承包", "水利水电工程施工总承包三级", "云南省住房和城乡建设厅"),
    ("专业承包", "地基基础工程专业承包一级", "云南省住房和城乡建设厅"),
    ("专业承包", "建筑装修装饰工程专业承包二级", "云南省住房和城乡建设厅"),
    ("专业承包", "环保工程专业承包三级", "云南省住房和城乡建设厅"),
    ("施工劳务", "施工劳务不分等级", "昆明市住房和城乡建设局"),
)
_PROVINCE_AUTHORITY = {
    "51": "四川省住房和城乡建设厅",
    "52": "贵州省住房和城乡建设厅",
    "45": "广西壮族自治区住房和城乡建设厅",
    "43": "湖南省住房和城乡建设厅",
    "37": "山东省住房和城乡建设厅",
}


def qualification_rows() -> list[dict[str, Any]]:
    rows = []
    for index, firm in enumerate(ENTERPRISES):
        certificate = f"D2{firm.region[:2]}{(index * 48271 + 1031) % 1000000:06d}"
        for offset in range(1 + index % 2):
            kind, name, authority = _QUALIFICATIONS[(index + offset * 3) % len(_QUALIFICATIONS)]
            if firm.region[:2] != "53" and authority != "住房和城乡建设部":
                authority = _PROVINCE_AUTHORITY[firm.region[:2]]
            issued = date(2021 + index % 4, 1 + index % 12, 1 + (index * 3) % 27)
            expires = date(issued.year + 5, issued.month, issued.day) - timedelta(days=1)
            rows.append(
                {
                    "QY_ORG_CODE": firm.uscc,
                    "QY_NAME": firm.name,
                    "QY_REGION": firm.region,
                    "APT_TYPE_NAME": kind,
                    "APT_CERTNO": certificate,
                    "APT_NAME": name,
                    "APT_GET_DATE": issued.isoformat(),
                    "APT_EDATE": expires.isoformat(),
                    "APT_GRANT_UNIT": authority,
                    "APT_STATUS": "有效",
                    "DATA_TIMESTAMP": f"2026-11-{10 + index % 9:02d} 08:30:00",
                }
            )
    return rows


_PEOPLE = (
    ("陈立新", "男"),
    ("李秀英", "女"),
    ("王建华", "男"),
    ("张丽萍", "女"),
    ("刘志远", "男"),
    ("杨红梅", "女"),
    ("赵国庆", "男"),
    ("黄晓燕", "女"),
    ("周建军", "男"),
    ("吴玉兰", "女"),
    ("徐海波", "男"),
    ("孙晓梅", "女"),
    ("马文斌", "男"),
    ("朱丽华", "女"),
    ("胡志强", "男"),
    ("郭淑芬", "女"),
    ("何永康", "男"),
    ("罗春燕", "女"),
    ("段建明", "男"),
    ("普艳芬", "女"),
    ("和庆华", "男"),
    ("李光荣", "男"),
    ("字丽娟", "女"),
    ("鲁家兴", "男"),
)
_PROFESSIONS = ("建筑工程", "市政公用工程", "公路工程", "水利水电工程", "矿业工程", "机电工程")
_PROVINCE_ABBREVIATION = {"53": "云", "51": "川", "52": "贵", "45": "桂", "43": "湘", "37": "鲁"}


def staff_rows() -> list[dict[str, Any]]:
    rows = []
    for index, (person, sex) in enumerate(_PEOPLE):
        firm = ENTERPRISES[index % len(ENTERPRISES)]
        born = date(1968 + index % 20, 1 + index % 12, 1 + (index * 7) % 28).strftime("%Y%m%d")
        sequence = f"{(index * 37) % 50 * 2 + (1 if sex == '男' else 0):03d}"
        first_class = index % 3 != 2
        level = "1" if first_class else "2"
        serial = (index * 7349 + 1131) % 10**9
        certificate = f"{_PROVINCE_ABBREVIATION[firm.region[:2]]}{level}{firm.region[:2]}{serial:09d}"
        start = date(2023 + index % 3, 1 + (index * 5) % 12, 1 + index % 28)
        rows.append(
            {
                "QY_ORG_CODE": firm.uscc,
                "QY_NAME": firm.name,
                "QY_REGION": firm.region,
                "RY_NAME": person,
                "IDCARD": id_card(firm.region, born, sequence),
                "RY_CARDTYPE_NAME": "居民身份证",
                "RY_SEX_NAME": sex,
                "REG_TYPE_NAME": "一级注册建造师" if first_class else "二级注册建造师",
                "REG_CERTNO": certificate,
                "REG_SEAL_CODE": certificate,
                "REG_PROF_NAME": _PROFESSIONS[index % len(_PROFESSIONS)],
                "REG_SDATE": start.isoformat(),
                "REG_EDATE": (date(start.year + 3, start.month, start.day) - timedelta(days=1)).isoformat(),
                "VERSIONNUMBER": f"202611{12 + index % 8:02d}09{index % 60:02d}00",
            }
        )
    return rows


_BUILD_OWNERS = (
    ("昆明市官渡区城市建设投资有限公司", "530111", "MA6K1B2C"),
    ("昭通市交通建设投资有限公司", "530602", "MA6N2D3E"),
    ("曲靖市水务产业投资有限公司", "530302", "MA6P3F4G"),
    ("楚雄州城市建设投资有限公司", "532301", "MA6Q4H5J"),
)
_PROJECTS = (
    (
        "官渡区矣六街道保障性租赁住房建设项目",
        "530111",
        "01",
        "总建筑面积约4.57万平方米，含住宅6栋及地下车库",
        "12850.36",
        "45678.90",
    ),
    ("鲁甸县龙头山镇至乐红镇公路改扩建工程", "530621", "03", "路线全长18.6公里，二级公路标准", "8650", "0"),
    ("麒麟区南城门水库除险加固工程", "530302", "04", "坝体防渗加固、溢洪道改造及管理用房", "3260.5", "1260"),
    (
        "楚雄市鹿城小学综合楼新建工程",
        "532301",
        "01",
        "综合教学楼一栋，地上5层，建筑面积8960平方米",
        "2980.75",
        "8960",
    ),
    ("五华区西翥片区污水管网提升改造工程", "530102", "02", "新建污水管网12.4公里及提升泵站2座", "6420", "0"),
    ("呈贡区吴家营片区道路综合改造工程", "530114", "02", "道路改造3.2公里，含雨污分流及照明", "5180.2", "0"),
    ("昭阳区凤凰山隧道照明节能改造工程", "530602", "02", "隧道照明更换LED灯具及智能控制系统", "760.48", "0"),
    ("大理市下关镇老旧小区改造项目", "532901", "01", "改造小区14个，涉及住户2860户", "4350", "168000"),
    ("开远市灵泉中学学生宿舍楼工程", "532502", "01", "学生宿舍楼2栋，建筑面积12600平方米", "3650.8", "12600"),
    ("思茅区茶城大道雨水管网工程", "530802", "02", "雨水管网6.8公里", "2480", "0"),
    ("隆阳区青华海湿地公园配套工程", "530502", "05", "园路、栈道、景观照明及配套用房", "4120.66", "3200"),
    ("古城区金山片区供水管网改造工程", "530702", "02", "供水管网改造9.5公里及加压泵站1座", "3310", "0"),
)


_CITY_ABBREVIATION = {
    "5301": "昆",
    "5306": "昭",
    "5303": "曲",
    "5323": "楚",
    "5329": "大",
    "5325": "红",
    "5308": "普",
    "5305": "保",
    "5307": "丽",
}


def project_rows() -> list[dict[str, str]]:
    rows = []
    for index, (name, county, kind, size, invest, area) in enumerate(_PROJECTS):
        owner, owner_region, owner_body = _BUILD_OWNERS[index % len(_BUILD_OWNERS)]
        approved = date(2024, 1 + index % 12, 5 + index)
        begins = approved + timedelta(days=90 + index * 11)
        row = {
            "PRJNUM": f"{county}{approved.strftime('%y%m%d')}{index + 1:04d}",
            "PROVINCEPRJNUM": f"{county}{approved.strftime('%Y%m%d')}{index + 1:04d}",
            "PRJNAME": name,
            "PRJTYPENUM": kind,
            "PROVINCENUM": county[:2] + "0000",
            "CITYNUM": county[:4] + "00",
            "COUNTYNUM": county,
            "ADDRESS": REGION_NAMES[county].replace("-", "") + "项目现场",
            "BUILDCORPNAME": owner,
            "BUILDCORPCODE": uscc("91", owner_region, owner_body),
            "PRJPROPERTYNUM": "001" if index % 3 else "002",
            "PRJFUNCTIONNUM": f"{100 + index % 5 * 100}",
            "ALLINVEST": invest,
            "ALLAREA": area,
            "PRJAPPROVALLEVELNUM": "2" if index % 2 else "3",
            "PRJAPPROVALNUM": f"{_CITY_ABBREVIATION[county[:4]]}发改投资〔2024〕{20 + index * 3}号",
            "PRJAPPROVALDATE": approved.isoformat(),
            "PRJAPPROVALDEPART": REGION_NAMES[county].split("-")[1] + "发展和改革委员会",
            "NATIONALPERCENTTAGE": "100",
            "FUNDSOURCE": "财政资金" if index % 2 else "地方政府专项债券及财政配套资金",
            "PRJSIZE": size,
            "PRJCODE": f"{approved.strftime('%y%m')}-{county}-04-01-{(index * 7919 + 100003) % 1000000:06d}",
            "BEGINDATE": begins.isoformat(),
            "ENDDATE": (begins + timedelta(days=540)).isoformat(),
            "CREATEDATE": f"{approved.isoformat()} 10:{15 + index:02d}:00",
            "DATASOURCE": "1",
            "DATALEVEL": "3",
            "DATA_TIMESTAMP": f"2026-11-{12 + index % 8:02d} 16:{10 + index:02d}:00",
        }
        if area == "0":
            del row["ALLAREA"]
        rows.append(row)
    return rows


def xml_document(dataset: str, rows: list[dict[str, str]]) -> bytes:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    records = "".join(
        "  <RECORD>\n"
        + "".join(f"    <{key}>{escape(value)}</{key}>\n" for key, value in row.items())
        + "  </RECORD>\n"
        for row in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{dataset}>\n{records}</{dataset}>\n'.encode()


def dumps(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def write_samples() -> None:
    companies, qualifications, staff, projects = (
        company_rows(),
        qualification_rows(),
        staff_rows(),
        project_rows(),
    )
    write(SAMPLES, "enterprises.json", dumps({"dataset": "JZSC_COMPANY", "records": companies}))
    write(SAMPLES, "qualifications.json", dumps(qualifications))
    write(SAMPLES, "registered_staff.json", dumps({"records": staff}))
    write(SAMPLES, "projects.xml", xml_document("JZSC_PROJECT", projects))
    write_bad(companies, staff, projects)


def write_bad(
    companies: list[dict[str, Any]], staff: list[dict[str, Any]], projects: list[dict[str, str]]
) -> None:
    bad = SAMPLES / "bad"
    wrong_check = dict(companies[1], QY_ORG_CODE=companies[1]["QY_ORG_CODE"][:17] + "0")
    write(bad, "company_bad_uscc.json", dumps({"dataset": "JZSC_COMPANY", "records": [wrong_check]}))
    last = staff[0]["IDCARD"][-1]
    wrong_id = dict(staff[0], IDCARD=staff[0]["IDCARD"][:17] + ("1" if last != "1" else "2"))
    write(bad, "staff_bad_id_card.json", dumps({"dataset": "JZSC_REG_STAFF", "records": [wrong_id]}))
    # GBK bytes shown as Latin-1, then saved as UTF-8: what a wrongly configured export produces.
    garbled = dict(companies[2], QY_NAME=companies[2]["QY_NAME"].encode("gbk").decode("latin-1"))
    write(bad, "company_mojibake.json", dumps({"dataset": "JZSC_COMPANY", "records": [garbled]}))
    write(bad, "empty.json", b"")
    write(bad, "projects_gbk.json", json.dumps([projects[0]], ensure_ascii=False).encode("gbk"))
    write(bad, "unknown_dataset.xml", xml_document("JZSC_BID_EVALUATION", projects[:1]))
    write(bad, "truncated.xml", xml_document("JZSC_PROJECT", projects[:2])[:900])
    old = companies[0]["OLD_CODE"]
    wrong_old = dict(companies[0], OLD_CODE=old[:-1] + ("0" if old[-1] != "0" else "1"))
    write(bad, "company_bad_old_code.json", dumps([wrong_old]))


def write_golden() -> None:
    companies, qualifications, staff, projects = (
        company_rows(),
        qualification_rows(),
        staff_rows(),
        project_rows(),
    )
    write(GOLDEN, "company.json", dumps({"dataset": "JZSC_COMPANY", "records": [companies[0], companies[3]]}))
    mismatched = dict(companies[5], OLD_CODE=hyphenated(org_code("30010203")), QY_REGION="530699")
    write(GOLDEN, "company_warnings.json", dumps([mismatched]))
    write(GOLDEN, "qualification.json", dumps(qualifications[:3]))
    foreign = dict(staff[1], RY_CARDTYPE_NAME="港澳居民来往内地通行证", IDCARD="H01234567", RY_SEX_NAME="女")
    write(GOLDEN, "reg_staff.json", dumps({"dataset": "JZSC_REG_STAFF", "records": [staff[0], foreign]}))
    write(GOLDEN, "project.xml", xml_document("JZSC_PROJECT", projects[:2]))
    extra = dict(projects[2], LOCATIONX="103.7961", LOCATIONY="25.4901", COUNTYNUM="")
    write(GOLDEN, "project_city_region.json", dumps([extra]))
    unknown = {"PAYLOAD": "无法识别的记录"}
    broken = dict(staff[2], REG_SDATE="2026-02-30", RY_NAME="")
    write(GOLDEN, "mixed.json", dumps([companies[7], unknown, broken, "not an object"]))


def main() -> None:
    write_samples()
    write_golden()


if __name__ == "__main__":
    main()
