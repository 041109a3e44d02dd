"""Writes the credit-china samples: config/samples/credit-china/ and the golden inputs.

Run from the repository root: `python -m tests.adapters.make_credit_samples`. Output is
deterministic; codes carry check characters computed with schemas.identifiers. The enterprises come
from the construction-market roster, so that screening can join the two sources; the four screening
cases (in force, revoked, expired publicity, old code only) are listed in the README of the samples.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.adapters.make_construction_samples import (
    BLACKLISTED_BY_OLD_CODE,
    BLACKLISTED_IN_FORCE,
    BLACKLISTED_REVOKED,
    BY_KEY,
    Enterprise,
    id_card,
    uscc,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "credit-china"
GOLDEN = ROOT / "tests" / "adapters" / "golden" / "credit-china"


@dataclass(frozen=True)
class Authority:
    name: str
    region: str
    body8: str
    abbreviation: str

    @property
    def uscc(self) -> str:
        return uscc("11", self.region, self.body8)


AUTHORITIES = {
    "yn_zjt": Authority("云南省住房和城乡建设厅", "530000", "01524417", "云建"),
    "km_zjj": Authority("昆明市住房和城乡建设局", "530100", "01526730", "昆住建"),
    "zt_zjj": Authority("昭通市住房和城乡建设局", "530600", "01529738", "昭住建"),
    "qj_zjj": Authority("曲靖市住房和城乡建设局", "530300", "01531048", "曲住建"),
    "yx_zjj": Authority("玉溪市住房和城乡建设局", "530400", "01532871", "玉住建"),
    "cx_zjj": Authority("楚雄彝族自治州住房和城乡建设局", "532300", "01535287", "楚住建"),
    "dl_sw": Authority("大理白族自治州水务局", "532900", "01536604", "大水"),
    "ld_jt": Authority("鲁甸县交通运输局", "530621", "01530621", "鲁交"),
    "gd_zjj": Authority("昆明市官渡区住房和城乡建设局", "530111", "01541167", "官住建"),
    "km_sc": Authority("昆明市市场监督管理局", "530100", "MB1K5027", "昆市监"),
    "yn_fgw": Authority("云南省发展和改革委员会", "530000", "01524412", "云发改"),
    "zt_fgw": Authority("昭通市发展和改革委员会", "530600", "01529701", "昭发改"),
    "cd_zjj": Authority("成都市住房和城乡建设局", "510100", "00870159", "成住建"),
}

# Enterprises that appear only in credit data (not in the construction-market roster).
OUTSIDERS = {
    "hengtong": Enterprise("hengtong", "昆明恒通劳务分包有限公司", "530111", "68527104", "钱永福", "", ""),
    "shuan": Enterprise("shuan", "四川蜀安建筑劳务有限公司", "510104", "MA6C8E2K", "邓世平", "", ""),
    "jintai": Enterprise("jintai", "官渡区金泰建材经营部", "530111", "MA6K7R3N", "苏金泰", "", ""),
    "qianxing": Enterprise("qianxing", "贵州黔兴市政工程有限公司", "520102", "MA6H9P2L", "龙再兴", "", ""),
    "zhongyi": Enterprise("zhongyi", "云南中怡建筑装饰工程有限公司", "530102", "MA6N4T7W", "钟怡", "", ""),
}
FIRMS = {**BY_KEY, **OUTSIDERS}


def firm_code(firm: Enterprise) -> str:
    # 个体工商户 are registered under 92 (工商, 个体工商户).
    return uscc("92", firm.region, firm.body8) if firm.name.endswith("经营部") else firm.uscc


def rep_id(firm: Enterprise, index: int) -> str:
    born = date(1965 + index % 20, 1 + index % 12, 1 + index % 27).strftime("%Y%m%d")
    return id_card(firm.region, born, f"{(index * 53) % 499 * 2 + 1:03d}")


def later(day: str, days: int, clock: str = "09:30:00") -> str:
    return f"{(date.fromisoformat(day) + timedelta(days=days)).isoformat()} {clock}"


def years_on(day: str, years: int, months: int = 0) -> str:
    start = date.fromisoformat(day)
    month = start.month - 1 + months
    return (date(start.year + years + month // 12, month % 12 + 1, start.day) - timedelta(days=1)).isoformat()


# --- 行政许可 ---------------------------------------------------------------------------------

_LICENSES = (
    # firm, authority, decision date, kind
    ("dianjian", "yn_zjt", "2024-03-15", "资质"),
    ("guandu", "km_zjj", "2024-05-08", "安许"),
    ("xishan", "yn_zjt", "2024-06-20", "资质"),
    ("chenggong", "km_zjj", "2025-01-13", "施工许可"),
    ("ludian", "zt_zjj", "2024-03-15", "资质"),
    ("xinda", "zt_zjj", "2023-11-02", "安许"),
    ("qilin", "qj_zjj", "2024-09-10", "资质"),
    ("hongta", "yx_zjj", "2022-12-01", "安许"),
    ("yizhou", "cx_zjj", "2024-02-27", "资质"),
    ("cang_er", "yn_zjt", "2025-04-18", "安许"),
    ("kaiyuan", "yn_zjt", "2025-07-07", "资质"),
    ("puer", "yn_zjt", "2025-08-19", "安许"),
    ("yongchang", "yn_zjt", "2025-10-09", "资质"),
    ("gucheng", "yn_zjt", "2026-01-12", "安许"),
    ("jincheng", "cd_zjj", "2025-06-03", "施工许可"),
    ("dongchuan", "km_zjj", "2026-02-24", "施工许可"),
    ("guandu", "gd_zjj", "2026-04-16", "施工许可"),
    ("zhongyi", "km_zjj", "2026-05-21", "资质"),
    ("jintai", "km_sc", "2026-06-30", "经营"),
    ("dianjian", "km_zjj", "2026-07-15", "施工许可"),
)
_PERSONS = (
    ("陈立新", "530621", "19800315", "建筑工程"),
    ("普艳芬", "532301", "19870922", "市政公用工程"),
    ("和庆华", "530702", "19760508", "水利水电工程"),
    ("李光荣", "530113", "19820111", "矿业工程"),
)


def _license_fields(kind: str, number: int, day: str) -> dict[str, str]:
    year = day[:4]
    if kind == "资质":
        return {
            "XK_XKWS": "建筑业企业资质许可决定书",
            "XK_XKZS": "建筑业企业资质证书",
            "XK_XKBH": f"D253{number:06d}",
            "XK_NR": "核准建筑工程施工总承包二级、市政公用工程施工总承包三级资质",
            "XK_XKLB": "认可",
            "XK_YXQZI": years_on(day, 5),
        }
    if kind == "安许":
        return {
            "XK_XKWS": "建筑施工企业安全生产许可证核发决定",
            "XK_XKZS": "安全生产许可证",
            "XK_XKBH": f"（云）JZ安许证字〔{year}〕{number:06d}",
            "XK_NR": "准予核发建筑施工企业安全生产许可证",
            "XK_XKLB": "普通",
            "XK_YXQZI": years_on(day, 3),
        }
    if kind == "经营":
        return {
            "XK_XKWS": "准予设立登记通知书",
            "XK_XKZS": "营业执照",
            "XK_XKBH": f"5301{number:010d}",
            "XK_NR": "准予个体工商户设立登记：建材零售",
            "XK_XKLB": "登记",
            "XK_YXQZI": "2099-12-31",
        }
    return {
        "XK_XKWS": "建筑工程施工许可决定书",
        "XK_XKZS": "建筑工程施工许可证",
        "XK_XKBH": f"{number:018d}",
        "XK_NR": "准予建筑工程施工许可",
        "XK_XKLB": "普通",
        "XK_YXQZI": years_on(day, 1),
    }


def license_rows() -> list[dict[str, str]]:
    rows = []
    for index, (key, authority_key, day, kind) in enumerate(_LICENSES):
        firm, authority = FIRMS[key], AUTHORITIES[authority_key]
        row = {
            "XK_XDR_MC": firm.name,
            "XK_XDR_LB": "个体工商户" if kind == "经营" else "法人及非法人组织",
            "XK_XDR_SHXYM": firm_code(firm),
            "XK_FRDB": firm.legal_rep,
            "XK_FR_ZJLX": "身份证",
            "XK_FR_ZJHM": rep_id(firm, index),
            "XK_WSH": f"{authority.abbreviation}许〔{day[:4]}〕第{index * 37 % 900 + 100:04d}号",
            **_license_fields(kind, 530000 + index * 7919 % 99999, day),
            "XK_JDRQ": day,
            "XK_YXQZ": day,
            "XK_XKJG": authority.name,
            "XK_XKJGDM": authority.uscc,
            "XK_ZT": "1",
            "XK_LYDW": authority.name,
            "XK_LYDWDM": authority.uscc,
            "DFBM": authority.region,
            "DATA_TIMESTAMP": later(day, 3 + index % 4),
        }
        if firm.old_code is not None:
            row["XK_XDR_ZZJG"] = firm.old_code
        rows.append(row)
    for index, (name, region, born, profession) in enumerate(_PERSONS):
        authority, day = AUTHORITIES["yn_zjt"], f"2025-0{3 + index}-1{index}"
        rows.append(
            {
                "XK_XDR_MC": name,
                "XK_XDR_LB": "自然人",
                "XK_XDR_ZJLX": "身份证",
                "XK_XDR_ZJHM": id_card(region, born, f"{31 + index * 2:03d}"),
                "XK_WSH": f"云建许〔2025〕二建第{120 + index:04d}号",
                "XK_XKWS": "二级建造师注册准予许可决定书",
                "XK_XKLB": "普通",
                "XK_XKZS": "中华人民共和国二级建造师注册证书",
                "XK_XKBH": f"云253{(index + 3) * 1234567 % 10**9:09d}",
                "XK_NR": f"准予二级建造师初始注册（{profession}专业）",
                "XK_JDRQ": day,
                "XK_YXQZ": day,
                "XK_YXQZI": years_on(day, 3),
                "XK_XKJG": authority.name,
                "XK_XKJGDM": authority.uscc,
                "XK_ZT": "1",
                "XK_LYDW": authority.name,
                "XK_LYDWDM": authority.uscc,
                "XK_SYFW": "全社会",
                "DFBM": authority.region,
                "DATA_TIMESTAMP": later(day, 2),
            }
        )
    return rows


LICENSE_TEMPLATE = (
    ("行政相对人名称", "XK_XDR_MC"),
    ("行政相对人类别", "XK_XDR_LB"),
    ("行政相对人代码_1(统一社会信用代码)", "XK_XDR_SHXYM"),
    ("行政相对人代码_2(工商注册号)", "XK_XDR_GSZC"),
    ("行政相对人代码_3(组织机构代码)", "XK_XDR_ZZJG"),
    ("行政相对人代码_4(税务登记号)", "XK_XDR_SWDJ"),
    ("行政相对人代码_5(事业单位证书号)", "XK_XDR_SYDW"),
    ("行政相对人代码_6(社会组织登记证号)", "XK_XDR_SHZZ"),
    ("法定代表人", "XK_FRDB"),
    ("法定代表人证件类型", "XK_FR_ZJLX"),
    ("法定代表人证件号码", "XK_FR_ZJHM"),
    ("证件类型", "XK_XDR_ZJLX"),
    ("证件号码", "XK_XDR_ZJHM"),
    ("行政许可决定文书名称", "XK_XKWS"),
    ("行政许可决定文书号", "XK_WSH"),
    ("许可类别", "XK_XKLB"),
    ("许可证书名称", "XK_XKZS"),
    ("许可编号", "XK_XKBH"),
    ("许可内容", "XK_NR"),
    ("许可决定日期", "XK_JDRQ"),
    ("有效期自", "XK_YXQZ"),
    ("有效期至", "XK_YXQZI"),
    ("许可机关", "XK_XKJG"),
    ("许可机关统一社会信用代码", "XK_XKJGDM"),
    ("当前状态", "XK_ZT"),
    ("数据来源单位", "XK_LYDW"),
    ("数据来源单位统一社会信用代码", "XK_LYDWDM"),
    ("备注", "BZ"),
    ("地方编码", "DFBM"),
    ("数据时间戳", "DATA_TIMESTAMP"),
)


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def template_csv(rows: list[dict[str, str]], encoding: str = "gbk") -> bytes:
    header = [title for title, _ in LICENSE_TEMPLATE]
    return csv_bytes(
        header, [[row.get(field, "") for _, field in LICENSE_TEMPLATE] for row in rows], encoding
    )


def code_csv(rows: list[dict[str, str]], encoding: str) -> bytes:
    header: list[str] = []
    for row in rows:
        header += [name for name in row if name not in header]
    return csv_bytes(header, [[row.get(name, "") for name in header] for row in rows], encoding)


# --- 行政处罚 ---------------------------------------------------------------------------------

_OFFENCES = (
    (
        "未取得施工许可证擅自施工",
        "《建筑工程施工许可管理办法》第十二条",
        "罚款",
        "责令停止施工，限期改正，处工程合同价款1%的罚款",
    ),
    ("违反安全生产管理规定", "《建设工程安全生产管理条例》第六十二条", "警告;罚款", "给予警告，并处罚款"),
    (
        "串通投标",
        "《中华人民共和国招标投标法》第五十三条",
        "罚款;没收违法所得",
        "处中标项目金额千分之五的罚款，没收违法所得",
    ),
    (
        "以他人名义投标",
        "《中华人民共和国招标投标法实施条例》第六十八条",
        "罚款",
        "处中标项目金额千分之五的罚款",
    ),
    (
        "违法分包",
        "《建设工程质量管理条例》第六十二条",
        "罚款;没收违法所得",
        "责令改正，没收违法所得，并处工程合同价款0.5%的罚款",
    ),
    ("扬尘污染防治措施不到位", "《中华人民共和国大气污染防治法》第一百一十五条", "罚款", "责令改正，处罚款"),
    ("未按规定办理竣工验收备案", "《建设工程质量管理条例》第五十六条", "罚款", "责令改正，处罚款"),
    ("拖欠农民工工资", "《保障农民工工资支付条例》第五十六条", "罚款", "责令限期改正，逾期未改正，处罚款"),
)
_PENALTIES = (
    # firm, authority, decision date, offence, fine (万元), confiscation (万元), publicity months
    ("guandu", "gd_zjj", "2025-03-12", 0, "12.86", "", 12),
    ("xishan", "km_zjj", "2025-06-18", 1, "3", "", 6),
    ("xinda", "zt_zjj", "2026-02-27", 2, "25.4", "3.46", 36),
    ("qilin", "qj_zjj", "2025-02-20", 7, "8", "", 12),
    ("hongta", "yx_zjj", "2023-03-15", 5, "2.5", "", 12),
    ("yizhou", "cx_zjj", "2026-05-12", 3, "18.09", "", 36),
    ("cang_er", "dl_sw", "2025-11-04", 4, "9.6", "1.2", 24),
    ("ludian", "ld_jt", "2024-08-20", 3, "2.00634", "", 12),
    ("puer", "yn_zjt", "2026-01-22", 6, "20", "", 12),
    ("jincheng", "cd_zjj", "2025-09-09", 1, "5", "", 6),
    ("hengtong", "km_zjj", "2021-04-26", 7, "10", "", 36),
    ("shuan", "cd_zjj", "2024-12-05", 4, "15.3", "2.05", 24),
    ("qianxing", "yn_zjt", "2025-05-30", 2, "31.2", "4.8", 36),
    ("zhongyi", "km_zjj", "2026-03-03", 5, "1.5", "", 6),
    ("dongchuan", "km_zjj", "2026-08-14", 0, "6.37", "", 12),
    ("kaiyuan", "yn_zjt", "2026-06-16", 1, "4", "", 12),
    ("gucheng", "yn_zjt", "2025-12-19", 6, "3.2", "", 6),
    ("jintai", "km_sc", "2026-04-08", 5, "0.5", "", 3),
)
_PUNISHED_PERSONS = (
    ("王建华", "530111", "19790412", "gd_zjj", "2026-02-09", 1, "1.5"),
    ("李学军", "530602", "19830620", "zt_zjj", "2025-10-15", 3, "2"),
)


def penalty_rows() -> list[dict[str, str]]:
    rows = []
    for index, (key, authority_key, day, offence, fine, confiscated, months) in enumerate(_PENALTIES):
        firm, authority = FIRMS[key], AUTHORITIES[authority_key]
        offence_type, basis, category, content = _OFFENCES[offence]
        row = {
            "CF_WSH": f"{authority.abbreviation}罚〔{day[:4]}〕{index * 13 % 90 + 10}号",
            "CF_XDR_MC": firm.name,
            "CF_XDR_LB": "个体工商户" if firm.name.endswith("经营部") else "法人及非法人组织",
            "CF_XDR_SHXYM": firm_code(firm),
            "CF_FRDB": firm.legal_rep,
            "CF_FR_ZJLX": "身份证",
            "CF_FR_ZJHM": rep_id(firm, index + 40),
            "CF_WFXW": offence_type,
            "CF_SY": f"经查，{firm.name}在承建项目中存在{offence_type}的违法行为，事实清楚，证据确凿。",
            "CF_YJ": basis,
            "CF_CFLB": category,
            "CF_NR": f"{content}：罚款人民币{fine}万元"
            + (f"，没收违法所得{confiscated}万元" if confiscated else ""),
            "CF_NR_FK": fine,
            "CF_JDRQ": day,
            "CF_YXQ": years_on(day, 0, max(months, 6)),
            "CF_GSJZQ": years_on(day, 0, months),
            "CF_CFJG": authority.name,
            "CF_CFJGDM": authority.uscc,
            "CF_SJLY": authority.name,
            "CF_SJLYDM": authority.uscc,
            "DFBM": authority.region,
            "DATA_TIMESTAMP": later(day, 4 + index % 3, "15:20:00"),
        }
        if confiscated:
            row["CF_NR_WFFF"] = confiscated
        if firm.old_code is not None:
            row["CF_XDR_ZZJG"] = firm.old_code
        rows.append(row)
    for index, (name, region, born, authority_key, day, offence, fine) in enumerate(_PUNISHED_PERSONS):
        authority = AUTHORITIES[authority_key]
        offence_type, basis, _, _ = _OFFENCES[offence]
        rows.append(
            {
                "CF_WSH": f"{authority.abbreviation}罚〔{day[:4]}〕个{index + 1}号",
                "CF_XDR_MC": name,
                "CF_XDR_LB": "自然人",
                "CF_XDR_ZJLX": "身份证",
                "CF_XDR_ZJHM": id_card(region, born, f"{57 + index * 4:03d}"),
                "CF_WFXW": offence_type,
                "CF_SY": f"当事人{name}作为项目负责人，对{offence_type}负有直接责任。",
                "CF_YJ": basis,
                "CF_CFLB": "罚款",
                "CF_NR": f"对项目负责人处罚款人民币{fine}万元",
                "CF_NR_FK": fine,
                "CF_JDRQ": day,
                "CF_YXQ": years_on(day, 1),
                "CF_GSJZQ": years_on(day, 1),
                "CF_CFJG": authority.name,
                "CF_CFJGDM": authority.uscc,
                "CF_SJLY": authority.name,
                "CF_SJLYDM": authority.uscc,
                "DFBM": authority.region,
                "DATA_TIMESTAMP": later(day, 5, "11:05:00"),
            }
        )
    return rows


# --- 黑名单, 撤销黑名单, 信用修复 ----------------------------------------------------------------

_BLACKLIST = (
    # code, firm key, authority, record date, years, reason, confined action
    (
        "YNSXHMD-2026-000112",
        BLACKLISTED_IN_FORCE,
        "zt_zjj",
        "2026-03-16",
        3,
        "在昭阳区凤凰山隧道照明节能改造工程投标中与其他投标人串通投标，情节严重",
        "自列入之日起三年内不得参加依法必须进行招标的项目投标",
    ),
    (
        "YNSXHMD-2025-000087",
        BLACKLISTED_REVOKED,
        "qj_zjj",
        "2025-04-10",
        3,
        "拖欠农民工工资数额较大，经责令限期支付逾期仍未支付",
        "限制参加政府投资项目投标，限制新增资质审批",
    ),
    (
        "YNSXHMD-2026-000135",
        BLACKLISTED_BY_OLD_CODE,
        "cx_zjj",
        "2026-06-08",
        3,
        "在楚雄市鹿城小学综合楼新建工程投标中提供虚假业绩骗取中标，情节严重",
        "三年内不得参加依法必须进行招标的项目投标",
    ),
    (
        "KMSXHMD-2021-000031",
        "hengtong",
        "km_zjj",
        "2021-05-10",
        3,
        "拖欠农民工工资，经行政处罚后仍拒不改正",
        "限制参加政府投资项目投标",
    ),
    (
        "SCSXHMD-2024-000412",
        "shuan",
        "cd_zjj",
        "2024-12-20",
        3,
        "违法分包，致使工程发生较大质量事故",
        "三年内不得参加依法必须进行招标的项目投标",
    ),
    (
        "YNSXHMD-2025-000154",
        "qianxing",
        "yn_zjt",
        "2025-06-16",
        3,
        "串通投标，情节特别严重",
        "三年内不得参加依法必须进行招标的项目投标",
    ),
    (
        "KMSXHMD-2026-000058",
        "jintai",
        "km_sc",
        "2026-05-06",
        1,
        "销售不合格建筑材料，拒不履行行政处罚决定",
        "限制参与政府采购活动",
    ),
    (
        "YNSXHMD-2025-000201",
        "zhongyi",
        "yn_zjt",
        "2025-09-01",
        2,
        "以他人名义投标，情节严重",
        "两年内不得参加依法必须进行招标的项目投标",
    ),
)
_BLACKLISTED_PERSONS = (
    (
        "YNSXHMD-2025-000178",
        "李学军",
        "530602",
        "19830620",
        "061",
        "yn_zjt",
        "2025-11-03",
        3,
        "担任项目负责人期间发生较大生产安全事故，负有直接责任",
        "三年内不得担任施工项目负责人",
    ),
    (
        "YNSXHMD-2026-000023",
        "段红兵",
        "532901",
        "19750805",
        "113",
        "dl_sw",
        "2026-01-19",
        2,
        "在水利工程质量检测中出具虚假报告",
        "两年内不得从事水利工程质量检测活动",
    ),
)


def blacklist_rows() -> list[dict[str, str]]:
    rows = []
    for index, (code, key, authority_key, day, years, why, confined) in enumerate(_BLACKLIST):
        firm, authority = FIRMS[key], AUTHORITIES[authority_key]
        by_old_code = key == BLACKLISTED_BY_OLD_CODE and firm.old_code is not None
        row = {
            "BLACKLIST_CODE": code,
            "F_MDLB": "8",
            "BODY_NAME": firm.name,
            "BODY_CODE": firm.old_code if by_old_code and firm.old_code else firm_code(firm),
            "BODY_TYPE": "个体工商户" if firm.name.endswith("经营部") else "法人",
            "BODY_ROLE": "投标人",
            "RECORD_REASON": why,
            "RECORD_DATE": day,
            "GOVERNMENT": authority.name,
            "GOVERNMENT_CODE": authority.uscc,
            "DOCUMENT_CODE": f"{authority.abbreviation}信〔{day[:4]}〕{index * 7 + 11}号",
            "REVOCATION_STATUS": "0",
            "CONFINED_ACTION": confined,
            "START_DATE": day,
            "END_DATE": years_on(day, years),
            "SCOPE": "社会公开",
            "REGION_CODE": authority.region,
            "DATA_TIMESTAMP": later(day, 1),
        }
        if by_old_code:  # an older export: the body is known by its 组织机构代码 and its own region only
            row["BODY_REGION_CODE"] = firm.region
        rows.append(row)
    for code, name, region, born, sequence, authority_key, day, years, why, confined in _BLACKLISTED_PERSONS:
        authority = AUTHORITIES[authority_key]
        rows.append(
            {
                "BLACKLIST_CODE": code,
                "F_MDLB": "8",
                "BODY_NAME": name,
                "BODY_CODE": id_card(region, born, sequence),
                "BODY_TYPE": "自然人",
                "BODY_ROLE": "项目负责人",
                "BODY_REGION_CODE": region,
                "RECORD_REASON": why,
                "RECORD_DATE": day,
                "GOVERNMENT": authority.name,
                "GOVERNMENT_CODE": authority.uscc,
                "DOCUMENT_CODE": f"{authority.abbreviation}信〔{day[:4]}〕{len(rows) + 3}号",
                "REVOCATION_STATUS": "0",
                "CONFINED_ACTION": confined,
                "START_DATE": day,
                "END_DATE": years_on(day, years),
                "SCOPE": "社会公开",
                "DATA_TIMESTAMP": later(day, 2),
            }
        )
    return rows


def revocation_rows(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    by_code = {row["BLACKLIST_CODE"]: row for row in entries}
    qilin = dict(
        by_code["YNSXHMD-2025-000087"],
        REVOCATION_STATUS="1",
        REVOCATION_DATE="2026-05-20",
        REVOCATION_REASON="经行政复议，撤销原认定决定",
        DATA_TIMESTAMP="2026-05-21 10:00:00",
    )
    zhongyi = dict(
        by_code["YNSXHMD-2025-000201"],
        REVOCATION_DATE="2026-09-28",
        REVOCATION_REASON="信用修复申请经审核同意，移出名单",
        DATA_TIMESTAMP="2026-09-29 16:40:00",
    )
    del zhongyi["REVOCATION_STATUS"]  # the 撤销黑名单 dataset implies it
    return [qilin, zhongyi]


def repair_rows(penalties: list[dict[str, str]]) -> list[dict[str, str]]:
    by_party = {row["CF_XDR_MC"]: row for row in penalties}
    fgw, zt_fgw = AUTHORITIES["yn_fgw"], AUTHORITIES["zt_fgw"]

    def body(key: str) -> dict[str, str]:
        firm = FIRMS[key]
        return {"BODY_NAME": firm.name, "BODY_CODE": firm_code(firm), "BODY_TYPE": "法人"}

    def penalty_target(key: str) -> dict[str, str]:
        penalty = by_party[FIRMS[key].name]
        return {
            "TARGET_TYPE": "CF",
            "TARGET_CODE": penalty["CF_WSH"],
            "TARGET_AUTHORITY_CODE": penalty["CF_CFJGDM"],
        }

    return [
        {
            "REPAIR_CODE": "XYXF-530000-2026-0101",
            **body("guandu"),
            **penalty_target("guandu"),
            "APPLY_DATE": "2025-07-01",
            "REPAIR_RESULT": "1",
            "DECISION_DATE": "2025-07-09",
            "STOP_PUBLICITY_DATE": "2025-07-10",
            "REPAIR_GOVERNMENT": fgw.name,
            "REPAIR_GOVERNMENT_CODE": fgw.uscc,
            "REPAIR_REASON": "已履行行政处罚决定并完成整改，公示期满三个月",
            "REGION_CODE": fgw.region,
            "DATA_TIMESTAMP": "2025-07-10 09:00:00",
        },
        {
            "REPAIR_CODE": "XYXF-530600-2026-0017",
            **body("ludian"),
            **penalty_target("ludian"),
            "APPLY_DATE": "2024-11-25",
            "REPAIR_RESULT": "1",
            "DECISION_DATE": "2024-12-02",
            "STOP_PUBLICITY_DATE": "2024-12-03",
            "REPAIR_GOVERNMENT": zt_fgw.name,
            "REPAIR_GOVERNMENT_CODE": zt_fgw.uscc,
            "REPAIR_REASON": "已缴纳罚款并提交信用承诺书",
            "REGION_CODE": zt_fgw.region,
            "DATA_TIMESTAMP": "2024-12-03 10:30:00",
        },
        {
            "REPAIR_CODE": "XYXF-530000-2026-0188",
            **body("xishan"),
            **penalty_target("xishan"),
            "APPLY_DATE": "2026-11-16",
            "REPAIR_RESULT": "0",
            "REPAIR_GOVERNMENT": fgw.name,
            "REPAIR_GOVERNMENT_CODE": fgw.uscc,
            "REGION_CODE": fgw.region,
            "DATA_TIMESTAMP": "2026-11-17 14:00:00",
        },
        {
            "REPAIR_CODE": "XYXF-530600-2026-0042",
            **body("xinda"),
            **penalty_target("xinda"),
            "APPLY_DATE": "2026-06-02",
            "REPAIR_RESULT": "2",
            "DECISION_DATE": "2026-06-12",
            "REPAIR_GOVERNMENT": zt_fgw.name,
            "REPAIR_GOVERNMENT_CODE": zt_fgw.uscc,
            "REPAIR_REASON": "处罚公示未满最短公示期，且仍在严重失信主体名单内，不予修复",
            "REGION_CODE": zt_fgw.region,
            "DATA_TIMESTAMP": "2026-06-12 17:10:00",
        },
        {
            "REPAIR_CODE": "XYXF-530000-2026-0150",
            **body("zhongyi"),
            "TARGET_TYPE": "BLACK_LIST",
            "TARGET_CODE": "YNSXHMD-2025-000201",
            "APPLY_DATE": "2026-09-08",
            "REPAIR_RESULT": "1",
            "DECISION_DATE": "2026-09-26",
            "STOP_PUBLICITY_DATE": "2026-09-28",
            "REPAIR_GOVERNMENT": fgw.name,
            "REPAIR_GOVERNMENT_CODE": fgw.uscc,
            "REPAIR_REASON": "已主动纠正失信行为，履行相关义务并作出信用承诺",
            "REGION_CODE": fgw.region,
            "DATA_TIMESTAMP": "2026-09-28 11:20:00",
        },
        {
            "REPAIR_CODE": "XYXF-510100-2026-0033",
            **body("jincheng"),
            **penalty_target("jincheng"),
            "APPLY_DATE": "2026-01-15",
            "REPAIR_RESULT": "1",
            "DECISION_DATE": "2026-01-27",
            "STOP_PUBLICITY_DATE": "2026-01-28",
            "REPAIR_GOVERNMENT": "成都市发展和改革委员会",
            "REPAIR_GOVERNMENT_CODE": uscc("11", "510100", "00870111"),
            "REPAIR_REASON": "整改到位，公示期满",
            "REGION_CODE": "510100",
            "DATA_TIMESTAMP": "2026-01-28 09:45:00",
        },
    ]


# --- files ------------------------------------------------------------------------------------


def dumps(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_samples() -> None:
    licenses, penalties, entries = license_rows(), penalty_rows(), blacklist_rows()
    write(SAMPLES, "xk_licenses_gbk.csv", template_csv(licenses[:12]))
    write(SAMPLES, "xk_licenses.json", dumps(licenses[12:]))
    write(SAMPLES, "cf_penalties_gbk.csv", code_csv(penalties[:10], "gbk"))
    write(SAMPLES, "cf_penalties.json", dumps({"dataset": "CF", "records": penalties[10:]}))
    write(SAMPLES, "black_list.json", dumps({"dataset": "BLACK_LIST", "records": entries}))
    write(
        SAMPLES,
        "black_list_revocations.json",
        dumps({"dataset": "BLACK_LIST_REVOKE", "records": revocation_rows(entries)}),
    )
    write(
        SAMPLES, "credit_repairs.json", dumps({"dataset": "CREDIT_REPAIR", "records": repair_rows(penalties)})
    )
    write_bad(licenses, penalties, entries)


def write_bad(
    licenses: list[dict[str, str]], penalties: list[dict[str, str]], entries: list[dict[str, str]]
) -> None:
    bad = SAMPLES / "bad"
    code = penalties[0]["CF_XDR_SHXYM"]
    wrong_uscc = dict(penalties[0], CF_XDR_SHXYM=code[:17] + ("0" if code[-1] != "0" else "1"))
    write(bad, "cf_bad_uscc.json", dumps({"dataset": "CF", "records": [wrong_uscc]}))
    person = next(row for row in licenses if row["XK_XDR_LB"] == "自然人")
    number = person["XK_XDR_ZJHM"]
    wrong_id = dict(person, XK_XDR_ZJHM=number[:17] + ("1" if number[-1] != "1" else "2"))
    write(bad, "xk_bad_id_card.json", dumps([wrong_id]))
    # UTF-8 text decoded as GBK with replacement characters, then saved again as UTF-8.
    garbled = dict(
        penalties[1], CF_XDR_MC=penalties[1]["CF_XDR_MC"].encode("utf-8").decode("gbk", errors="replace")
    )
    write(bad, "cf_mojibake.csv", code_csv([garbled], "utf-8"))
    write(bad, "empty.csv", b"")
    write(bad, "xk_big5.csv", "名稱,許可機關\n臺北市營造工程有限公司,臺北市政府都市發展局\n".encode("big5"))
    write(
        bad,
        "unknown_dataset.json",
        dumps({"dataset": "HONG_MING_DAN", "records": [{"NAME": "守信红名单主体"}]}),
    )
    revoked = dict(entries[1], REVOCATION_STATUS="1", DATA_TIMESTAMP="2026-05-21 10:00:00")
    write(bad, "black_list_revoked_without_date.json", dumps({"dataset": "BLACK_LIST", "records": [revoked]}))
    no_region = {name: value for name, value in penalties[2].items() if name != "DFBM"}
    write(bad, "cf_without_region.json", dumps([no_region]))
    write(bad, "truncated.json", dumps({"dataset": "CF", "records": penalties[:2]})[:700])


def write_golden() -> None:
    licenses, penalties, entries = license_rows(), penalty_rows(), blacklist_rows()
    masked = dict(
        licenses[-1], XK_XDR_ZJHM=licenses[-1]["XK_XDR_ZJHM"][:10] + "****" + licenses[-1]["XK_XDR_ZJHM"][14:]
    )
    write(GOLDEN, "xk_template_gbk.csv", template_csv([licenses[0], licenses[-2], masked]))
    extra = dict(licenses[4], XK_LXDH="0870-3122456")
    write(GOLDEN, "xk_codes.csv", code_csv([extra], "utf-8"))
    long_window = dict(penalties[2], CF_GSJZQ=years_on(penalties[2]["CF_JDRQ"], 4))
    no_end = {name: value for name, value in penalties[6].items() if name != "CF_GSJZQ"}
    write(
        GOLDEN,
        "cf_penalty.json",
        dumps({"dataset": "CF", "records": [penalties[0], long_window, no_end, penalties[-1]]}),
    )
    write(
        GOLDEN,
        "blacklist.json",
        dumps({"dataset": "BLACK_LIST", "records": [entries[0], entries[2], entries[-2]]}),
    )
    write(
        GOLDEN,
        "blacklist_revocation.json",
        dumps({"dataset": "BLACK_LIST_REVOKE", "records": revocation_rows(entries)}),
    )
    status_only = dict(
        entries[4],
        REVOCATION_STATUS="已撤销",
        REVOCATION_DATE="2026-02-11",
        DATA_TIMESTAMP="2026-02-12 08:00:00",
    )
    write(GOLDEN, "blacklist_status.json", dumps([status_only]))
    write(
        GOLDEN,
        "credit_repair.json",
        dumps({"dataset": "CREDIT_REPAIR", "records": repair_rows(penalties)[2:5]}),
    )
    both = {**{k: v for k, v in licenses[1].items() if k.startswith("XK_")}, "CF_WSH": "昆住建罚〔2025〕1号"}
    bad_uscc = dict(penalties[3], CF_CFJGDM=penalties[3]["CF_CFJGDM"][:17] + "0")
    write(
        GOLDEN, "mixed.json", dumps([licenses[5], penalties[5], {"NAME": "无法识别"}, both, bad_uscc, [1, 2]])
    )
    write(GOLDEN, "mismatch.json", dumps({"dataset": "XK", "records": [penalties[7], licenses[7]]}))


def main() -> None:
    write_samples()
    write_golden()


if __name__ == "__main__":
    main()
