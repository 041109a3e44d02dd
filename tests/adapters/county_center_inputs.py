"""Inputs shared by the county-center adapter tests: identifiers, small exports, the adapter."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import strategies as st

from adapters.base import NormalizedRecord, RawItem, RejectedItem
from adapters.county_center import CountyCenterAdapter
from adapters.county_center_mapping import load_mapping
from adapters.errors import SourceFormatError
from schemas.errors import AdapterError
from schemas.identifiers import id_card_check_char, mod37_2_check_char, org_code_check_char, uscc_check_char

ROOT = Path(__file__).resolve().parents[2]
MAPPING = load_mapping(ROOT / "config" / "mappings" / "county-center.json")
KEY = b"county-center-test-key-0123456789"
ADAPTER = CountyCenterAdapter(MAPPING, id_key=KEY)


def uscc(region: str, body: str = "MA6K3L2X", head: str = "91") -> str:
    first17 = head + region + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def id_card(first17: str = "53062119850421908") -> str:
    return first17 + id_card_check_char(first17)


def deal_code(day: str = "20260304", serial: str = "000011") -> str:
    data = uscc("530600", "AY4CL12T", "12") + day + serial
    return data + mod37_2_check_char(data)


def broken(code: str) -> str:
    """The code with a wrong check character."""
    return code[:-1] + ("0" if code[-1] != "0" else "1")


WINNER = uscc("530621")
AWARD_HEADER = [
    "项目编号",
    "标段(包)编号",
    "公告名称",
    "发布时间",
    "中标人名称",
    "中标人统一社会信用代码",
    "中标金额(万元)",
]
AWARD_ROW = [
    "A01530621",
    "A01530621001",
    "某工程中标结果公示",
    "2026-05-18 09:00:00",
    "鲁甸宏达建筑工程有限公司",
    WINNER,
    "856.3",
]
BID_HEADER = [
    "招标项目编号",
    "标段编号",
    "投标人名称",
    "投标人统一社会信用代码",
    "投标报价(万元)",
    "数据时间戳",
]
BID_ROW = ["A01530621", "A01530621001", "鲁甸宏达建筑工程有限公司", WINNER, "856.3", "2026-05-18 12:00:00"]


def csv_data(rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> bytes:
    def cell(text: str) -> str:
        return f'"{text}"' if "," in text and not text.startswith('"') else text

    return "".join(",".join(map(cell, row)) + "\r\n" for row in rows).encode(encoding)


def split(data: bytes, filename: str, content_type: str = "") -> list[RawItem | RejectedItem]:
    return list(ADAPTER.split(data, filename=filename, content_type=content_type))


def records(data: bytes, filename: str, adapter: CountyCenterAdapter = ADAPTER) -> list[NormalizedRecord]:
    items = list(adapter.split(data, filename=filename))
    assert all(isinstance(item, RawItem) for item in items)
    return [record for item in items for record in adapter.normalize(item)]  # type: ignore[arg-type]


def refused_file(data: bytes, filename: str, content_type: str = "") -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        split(data, filename, content_type)
    return caught.value


def refused_row(
    header: Sequence[str], row: Sequence[str], filename: str = "530621_中标结果.csv"
) -> list[str]:
    (item,) = split(csv_data([header, row]), filename)
    if isinstance(item, RejectedItem):  # refused by split already (mojibake)
        return [detail["code"] for detail in item.reasons]
    with pytest.raises(AdapterError) as caught:
        ADAPTER.normalize(item)
    return [detail["code"] for detail in caught.value.details]


def award_with(**changes: str) -> tuple[list[str], list[str]]:
    header, row = list(AWARD_HEADER), list(AWARD_ROW)
    for name, value in changes.items():
        if name in header:
            row[header.index(name)] = value
        else:
            header.append(name)
            row.append(value)
    return header, row


FIELDS = sorted({field for spec in MAPPING["exports"].values() for field in spec["columns"].values()})
CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "是",
            "否",
            "856.3",
            "1,204.5;98",
            "2026-05-18 09:00:00",
            "20260518090000",
            WINNER,
            "530621",
            "A01;A02",
            id_card(),
            deal_code(),
            "https://ggzy.yn.gov.cn/a",
            "万元",
            "元",
            "统一社会信用代码",
        ]
    ),
)


def normalized_or_error(item: RawItem) -> list[NormalizedRecord] | AdapterError:
    try:
        return ADAPTER.normalize(item)
    except AdapterError as exc:
        return exc


def split_or_error(data: bytes, name: str) -> Sequence[RawItem | RejectedItem | SourceFormatError]:
    try:
        return split(data, name)
    except SourceFormatError as exc:
        return [exc]
