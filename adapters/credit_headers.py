"""Column headers of the national 双公示 spreadsheet templates, mapped to the XK_/CF_ field names.

Local credit offices export the 行政许可 and 行政处罚 templates with the Chinese headers of the
national template rather than the field codes. Both templates share the 行政相对人 columns; the
decision-date column tells them apart. Headers match after NFKC normalisation with whitespace
removed (`adapters.tabular.map_headers`), so "罚款金额（万元）" and "罚款金额(万元)" are one header.
A column that is in neither template keeps its header as its field name and ends in `extensions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.tabular import map_headers


def _party(prefix: str) -> dict[str, str]:
    return {
        "行政相对人名称": f"{prefix}_XDR_MC",
        "行政相对人类别": f"{prefix}_XDR_LB",
        "行政相对人代码_1(统一社会信用代码)": f"{prefix}_XDR_SHXYM",
        "统一社会信用代码": f"{prefix}_XDR_SHXYM",
        "行政相对人代码_2(工商注册号)": f"{prefix}_XDR_GSZC",
        "行政相对人代码_3(组织机构代码)": f"{prefix}_XDR_ZZJG",
        "行政相对人代码_4(税务登记号)": f"{prefix}_XDR_SWDJ",
        "行政相对人代码_5(事业单位证书号)": f"{prefix}_XDR_SYDW",
        "行政相对人代码_6(社会组织登记证号)": f"{prefix}_XDR_SHZZ",
        "法定代表人": f"{prefix}_FRDB",
        "法定代表人证件类型": f"{prefix}_FR_ZJLX",
        "法定代表人证件号码": f"{prefix}_FR_ZJHM",
        "证件类型": f"{prefix}_XDR_ZJLX",
        "证件号码": f"{prefix}_XDR_ZJHM",
    }


_COMMON = {"备注": "BZ", "地方编码": "DFBM", "数据时间戳": "DATA_TIMESTAMP", "数据更新时间": "DATA_TIMESTAMP"}

LICENSE_HEADERS: Mapping[str, str] = {
    **_party("XK"),
    "行政许可决定文书名称": "XK_XKWS",
    "行政许可决定文书号": "XK_WSH",
    "许可类别": "XK_XKLB",
    "许可证书名称": "XK_XKZS",
    "许可编号": "XK_XKBH",
    "许可内容": "XK_NR",
    "许可决定日期": "XK_JDRQ",
    "有效期自": "XK_YXQZ",
    "有效期至": "XK_YXQZI",
    "许可机关": "XK_XKJG",
    "许可机关统一社会信用代码": "XK_XKJGDM",
    "当前状态": "XK_ZT",
    "数据来源单位": "XK_LYDW",
    "数据来源单位统一社会信用代码": "XK_LYDWDM",
    "信息使用范围": "XK_SYFW",
    **_COMMON,
}

PENALTY_HEADERS: Mapping[str, str] = {
    **_party("CF"),
    "行政处罚决定书文号": "CF_WSH",
    "违法行为类型": "CF_WFXW",
    "违法事实": "CF_SY",
    "处罚依据": "CF_YJ",
    "处罚类别": "CF_CFLB",
    "处罚内容": "CF_NR",
    "罚款金额(万元)": "CF_NR_FK",
    "没收违法所得、没收非法财物的金额(万元)": "CF_NR_WFFF",
    "暂扣或吊销证照名称及编号": "CF_NR_ZKDX",
    "处罚决定日期": "CF_JDRQ",
    "处罚有效期": "CF_YXQ",
    "公示截止期": "CF_GSJZQ",
    "处罚机关": "CF_CFJG",
    "处罚机关统一社会信用代码": "CF_CFJGDM",
    "数据来源单位": "CF_SJLY",
    "数据来源单位统一社会信用代码": "CF_SJLYDM",
    **_COMMON,
}

_TEMPLATES: tuple[tuple[str, Mapping[str, str], str], ...] = (
    ("XK", LICENSE_HEADERS, "XK_JDRQ"),
    ("CF", PENALTY_HEADERS, "CF_JDRQ"),
)


def template_columns(header: Sequence[str]) -> tuple[str, list[str]] | None:
    """(dataset, field name per column) when the header is a 双公示 template's, else None.

    A template is recognised by its decision-date column; a header holding both is no template.
    """
    found: list[tuple[str, list[str]]] = []
    for dataset, mapping, decision_date in _TEMPLATES:
        columns = map_headers(header, mapping, allow_unknown=True)
        if decision_date in columns.values():
            found.append((dataset, [columns.get(index, name) for index, name in enumerate(header)]))
    return found[0] if len(found) == 1 else None
