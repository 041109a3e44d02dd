from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import RawItem
from adapters.county_center import CountyCenterAdapter
from adapters.errors import SourceFormatError
from schemas.errors import AdapterError
from schemas.regions import RegionTable
from schemas.registry import RECORD_TYPES, validate_payload
from tests.adapters.county_center_inputs import (
    ADAPTER,
    AWARD_HEADER,
    AWARD_ROW,
    BID_HEADER,
    BID_ROW,
    CELL,
    FIELDS,
    KEY,
    MAPPING,
    ROOT,
    WINNER,
    award_with,
    broken,
    csv_data,
    deal_code,
    id_card,
    normalized_or_error,
    records,
    refused_row,
    split,
    uscc,
)


class TestNormalize:
    def test_award(self) -> None:
        (record,) = records(csv_data([AWARD_HEADER, AWARD_ROW], "gbk"), "530621_中标结果.csv")
        assert (record.type, record.jurisdiction, record.ref) == (
            "tender.award",
            "530621",
            "530621_中标结果.csv:line 2",
        )
        assert record.payload["bid_amount"] == {
            "yuan": "8563000",
            "source_value": "856.3",
            "source_unit": "万元",
        }
        assert record.payload["win_bidder"] == {
            "name": "鲁甸宏达建筑工程有限公司",
            "code_type": "uscc",
            "code": WINNER,
        }
        assert (
            record.payload["data_timestamp"]
            == record.payload["notice_send_time"]
            == "2026-05-18T09:00:00+08:00"
        )

    def test_several_sections_in_one_row(self) -> None:
        header, row = award_with(
            **{
                "标段(包)编号": "A01530621001;A01530621002",
                "中标金额(万元)": "1,204.5；98",
                "统一交易标识码": f"{deal_code()}、{deal_code(serial='000012')}",
            }
        )
        first, second = records(csv_data([header, row]), "530621_中标结果.csv")
        assert [first.payload["bid_section_code"], second.payload["bid_section_code"]] == [
            "A01530621001",
            "A01530621002",
        ]
        assert [first.payload["bid_amount"]["yuan"], second.payload["bid_amount"]["yuan"]] == [
            "12045000",
            "980000",
        ]
        assert second.payload["unified_deal_code"] == deal_code(serial="000012")
        assert first.ref == second.ref

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"标段(包)编号": "A01;A02", "中标金额(万元)": "100"}, "county.section_mismatch"),
            ({"标段(包)编号": "A01;A01", "中标金额(万元)": "1;2"}, "county.duplicate_section"),
            (
                {"中标人统一社会信用代码": broken(WINNER)},
                "identifier.uscc.check_digit",
            ),
            ({"中标人统一社会信用代码": "91530621MA6K3L2X"}, "identifier.uscc.length"),
            ({"中标人名称": ""}, "tender.missing_field"),
            ({"中标金额(万元)": "-5"}, "normalize.money.negative"),
            ({"中标金额(万元)": "八百万"}, "normalize.money.invalid"),
            ({"发布时间": "2026-02-30 09:00:00"}, "normalize.time.invalid"),
            ({"发布时间": "2026-05-18"}, "normalize.time.date_only"),
            ({"发布时间": "2026518090000"}, "normalize.time.invalid"),
            ({"统一交易标识码": deal_code()[:-1] + "Q"}, "identifier.unified_deal_code.check_digit"),
            ({"公告链接": "ggzy.yn.gov.cn/x"}, "county.bad_url"),
            ({"费率(%)": "百分之二"}, "county.bad_decimal"),
            ({"中标人代码类型": "营业执照"}, "county.bad_code_type"),
            ({"公告名称": "鎷涙爣椤圭洰"}, "encoding.mojibake"),
            ({"项目编号": "A01 53 06 21 " * 15}, "county.bad_code"),
            ({"行政区划代码": "5306"}, "identifier.region.format"),
            ({"行政区划代码": "530000"}, "county.region_outside"),
        ],
    )
    def test_bad_cells(self, changes: dict[str, str], code: str) -> None:
        assert code in refused_row(*award_with(**changes))

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"公告名称": "长" * 501}, "county.value_too_long"),
            ({"项目编号": "\u200b"}, "tender.missing_field"),
            ({"发布时间": "0999-05-18 09:00:00"}, "schema.pattern"),
            ({"中标人代码类型": "其他", "中标人统一社会信用代码": "X" * 101}, "county.bad_code"),
            ({"公告名称": "\u200b"}, "tender.missing_field"),
        ],
    )
    def test_more_bad_cells(self, changes: dict[str, str], code: str) -> None:
        assert code in refused_row(*award_with(**changes))

    def test_optional_cells_that_clean_to_nothing_are_left_out(self) -> None:
        (record,) = records(
            csv_data(award_with(招标编号="\u200b", **{"费率(%)": "2.5%"})), "530621_中标结果.csv"
        )
        assert "tender_code" not in record.payload
        assert record.payload["rate"] == "2.5"

    def test_party_with_other_code_type(self) -> None:
        header, row = award_with(中标人代码类型="其他", 中标人统一社会信用代码="JY－2026－001")
        (record,) = records(csv_data([header, row]), "530621_中标结果.csv")
        assert record.payload["win_bidder"]["code_type"] == "other"
        assert record.payload["win_bidder"]["code"] == "JY-2026-001"

    def test_party_code_type_with_no_default(self) -> None:
        mapping = copy.deepcopy(MAPPING)
        del mapping["exports"]["win_result"]["code_types"]
        adapter = CountyCenterAdapter(mapping, id_key=KEY)
        (item,) = adapter.split(csv_data([AWARD_HEADER, AWARD_ROW]), filename="530621_中标结果.csv")
        assert isinstance(item, RawItem)
        with pytest.raises(AdapterError) as caught:
            adapter.normalize(item)
        assert [detail["code"] for detail in caught.value.details] == ["county.code_type_unknown"]

    def test_money_unit_not_in_a_header_bracket(self) -> None:
        mapping = copy.deepcopy(MAPPING)
        mapping["exports"]["win_result"]["columns"]["中标金额(含税)"] = "BID_AMOUNT"
        adapter = CountyCenterAdapter(mapping, id_key=KEY)
        header = [name.replace("(万元)", "(含税)") for name in AWARD_HEADER]
        with pytest.raises(SourceFormatError) as caught:
            list(adapter.split(csv_data([header, AWARD_ROW]), filename="530621_中标结果.csv"))
        assert caught.value.detail_code == "county.money_unit_unknown"

    def test_unknown_unit_in_the_unit_column(self) -> None:
        assert refused_row([*BID_HEADER, "报价单位"], [*BID_ROW, "千元"]) == ["county.money_unit_conflict"]
        plain = [*[name.replace("(万元)", "") for name in BID_HEADER], "报价单位"]
        assert refused_row(plain, [*BID_ROW, "千元"]) == ["normalize.money.unit"]

    def test_optional_party_needs_name_and_code(self) -> None:
        header = [
            "招标项目编号",
            "招标项目名称",
            "招标人名称",
            "招标人统一社会信用代码",
            "代理机构名称",
            "数据时间戳",
        ]
        row = [
            "A01",
            "某工程",
            "巧家县水务局",
            uscc("530622", "H8NDBMWC", "11"),
            "某代理公司",
            "2026/03/05 10:30",
        ]
        codes = refused_row(header, row, "530622_招标项目.csv")
        assert codes == ["tender.missing_field"]

    def test_bad_bidder_count_and_union_member_code(self) -> None:
        header = ["招标项目编号", "标段编号", "开标时间", "投标人数量", "数据时间戳"]
        row = ["A01", "A01001", "2026-05-07 09:30:00", "五", "20260507113000"]
        assert refused_row(header, row, "410225_开标记录.csv") == ["county.bad_integer"]
        union = [*BID_HEADER, "联合体成员名称", "联合体成员机构代码"]
        codes = refused_row(
            union, [*BID_ROW, "甲公司;乙公司", f"{WINNER[:-1]}0;{uscc('530602', '7Q4T1YNG')}"]
        )
        assert codes == ["identifier.uscc.check_digit"] or WINNER.endswith("0")

    def test_jurisdiction_is_required_of_every_record(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("adapters.county_center.jurisdiction_of", lambda _type, _payload: None)
        assert refused_row(AWARD_HEADER, AWARD_ROW) == ["county.region_unknown"]

    def test_every_problem_of_a_row_at_once(self) -> None:
        codes = refused_row(*award_with(中标人名称="", 发布时间="yesterday", **{"中标金额(万元)": "x"}))
        assert sorted(codes) == ["normalize.money.invalid", "normalize.time.invalid", "tender.missing_field"]

    def test_region_column_or_refusal(self) -> None:
        assert refused_row(AWARD_HEADER, AWARD_ROW, "中标结果.csv") == ["county.region_unknown"]
        (record,) = records(csv_data(award_with(行政区划代码="530621")), "中标结果.csv")
        assert record.jurisdiction == "530621"

    def test_region_unknown_to_the_table_is_a_warning(self) -> None:
        table = RegionTable.load(ROOT / "config" / "regions" / "gbt2260-2023.csv")
        adapter = CountyCenterAdapter(MAPPING, id_key=KEY, regions=table)
        (record,) = records(csv_data(award_with(行政区划代码="530699")), "中标结果.csv", adapter)
        assert record.jurisdiction == "530699"
        assert [warning["code"] for warning in record.warnings] == ["identifier.region.unknown"]

    def test_money_unit_from_header_or_unit_column(self) -> None:
        yuan = [name.replace("(万元)", "(元)") for name in BID_HEADER]
        (record,) = records(csv_data([yuan, BID_ROW]), "530621_投标人名单.csv")
        assert record.payload["bid_price"] == {"yuan": "856.3", "source_value": "856.3", "source_unit": "元"}
        plain = [*[name.replace("(万元)", "") for name in BID_HEADER], "报价单位"]
        (record,) = records(csv_data([plain, [*BID_ROW, "万元"]]), "530621_投标人名单.csv")
        assert record.payload["bid_price"]["yuan"] == "8563000"

    def test_money_unit_default_of_the_mapping(self) -> None:
        mapping = copy.deepcopy(MAPPING)
        mapping["exports"]["tender_list"]["money"]["BID_PRICE"]["unit"] = "万元"
        adapter = CountyCenterAdapter(mapping, id_key=KEY)
        header = [name.replace("(万元)", "") for name in BID_HEADER]
        (record,) = records(csv_data([header, BID_ROW]), "530621_投标人名单.csv", adapter)
        assert record.payload["bid_price"]["source_unit"] == "万元"

    def test_money_unit_unknown_to_a_replayed_item(self) -> None:
        fields = dict(
            zip(
                ["TENDER_PROJECT_CODE", "BID_SECTION_CODES", "BID_AMOUNT"],
                [*AWARD_ROW[:2], "856.3"],
                strict=True,
            )
        )
        item = RawItem(
            "replay", "county:win_result", {"fields": fields, "context": {"region_code": "530621"}}, b""
        )
        with pytest.raises(AdapterError) as caught:
            ADAPTER.normalize(item)
        assert "county.money_unit_unknown" in [detail["code"] for detail in caught.value.details]

    def test_money_unit_conflict_and_foreign_currency(self) -> None:
        assert refused_row([*BID_HEADER, "报价单位"], [*BID_ROW, "元"]) == ["county.money_unit_conflict"]
        assert refused_row([*BID_HEADER, "报价币种"], [*BID_ROW, "美元"]) == ["county.currency_unsupported"]

    def test_manager_id_travels_as_keyed_hash(self) -> None:
        number = id_card()
        header, row = [*BID_HEADER, "项目经理身份证号", "工期(日历天)"], [*BID_ROW, number.lower(), "540"]
        (item,) = split(csv_data([header, row]), "530621_投标人名单.csv")
        assert isinstance(item, RawItem)
        (record,) = ADAPTER.normalize(item)
        expected = hmac.new(KEY, number.upper().encode(), hashlib.sha256).hexdigest()
        assert record.payload["bid_manager_id"] == f"hmac-sha256:{expected}"
        assert number not in repr(record.payload)
        assert record.payload["time_limit"] == "540日历天"

    def test_bad_manager_id(self) -> None:
        bad = broken(id_card())
        assert refused_row([*BID_HEADER, "项目经理身份证号"], [*BID_ROW, bad]) == [
            "identifier.id_card.check_digit"
        ]

    def test_union_members(self) -> None:
        partner = uscc("530602", "7Q4T1YNG")
        header = [*BID_HEADER, "联合体成员名称", "联合体成员机构代码"]
        (record,) = records(
            csv_data([header, [*BID_ROW, "昭通宏达建设集团有限公司", partner]]), "530621_tbrmd.csv"
        )
        assert record.payload["union_members"] == [
            {"name": "昭通宏达建设集团有限公司", "code_type": "uscc", "code": partner, "role": "联合体成员"}
        ]
        assert refused_row(header, [*BID_ROW, "甲公司;乙公司", partner]) == ["county.union_mismatch"]

    def test_booleans_and_date_only_creation_time(self) -> None:
        header = [
            "招标项目编号",
            "招标项目名称",
            "招标人名称",
            "招标人统一社会信用代码",
            "是否依法必须招标",
            "创建时间",
            "数据时间戳",
        ]
        row = [
            "A01",
            "某工程",
            "巧家县水务局",
            uscc("530622", "H8NDBMWC", "11"),
            "否",
            "2026/03/04",
            "2026/03/05 10:30",
        ]
        (record,) = records(csv_data([header, row]), "530622_招标项目.csv")
        assert (record.payload["is_to_law"], record.payload["create_time"]) == (
            False,
            "2026-03-04T00:00:00+08:00",
        )
        assert refused_row(header, [*row[:4], "也许", *row[5:]], "530622.csv") == ["county.bad_boolean"]
        header_with_type = [*header, "交易分类"]
        assert refused_row(header_with_type, [*row, "工程"], "530622.csv") == ["county.bad_trade_type"]

    def test_item_from_elsewhere(self) -> None:
        def refused(item: RawItem) -> str:
            with pytest.raises(AdapterError) as caught:
                ADAPTER.normalize(item)
            codes = [detail["code"] for detail in caught.value.details]
            return "encoding.mojibake" if "encoding.mojibake" in codes else codes[0]

        good = {"fields": dict(zip(["TENDER_PROJECT_CODE"], ["A01"], strict=True)), "context": {}}
        assert refused(RawItem("x", "GCJS_RESULT_NOTICE", good, b"")) == "county.unknown_export"
        assert (
            refused(RawItem("x", "county:win_result", {"fields": {"NOPE": "1"}}, b""))
            == "county.unknown_field"
        )
        assert refused(RawItem("x", "county:win_result", {"fields": {"URL": 1}}, b"")) == "county.bad_item"
        mojibake = {"fields": {"NOTICE_NAME": "鎷涙爣椤圭洰缂栧彿"}, "context": {"region_code": "530621"}}
        assert refused(RawItem("x", "county:win_result", mojibake, b"")) == "encoding.mojibake"
        bad_context = {"fields": {}, "context": {"region_code": "999999"}}
        assert refused(RawItem("x", "county:win_result", bad_context, b"")) == "county.bad_item"
        assert (
            refused(RawItem("x", "county:win_result", {"fields": {}, "context": "x"}, b""))
            == "county.bad_item"
        )
        bad_units = {"fields": {}, "context": {"units": ["万元"]}}
        assert refused(RawItem("x", "county:win_result", bad_units, b"")) == "county.bad_item"


class TestNormalizeIsTotal:
    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        kind=st.sampled_from(sorted(MAPPING["exports"])),
        fields=st.dictionaries(st.sampled_from(FIELDS), CELL, max_size=14),
        context=st.fixed_dictionaries(
            {},
            optional={
                "region_code": st.sampled_from(["530621", "410225", "5306", 7]),
                "units": st.dictionaries(
                    st.sampled_from(["BID_AMOUNT", "BID_PRICE"]), st.sampled_from(["万元", "元", "%"])
                ),
            },
        ),
    )
    def test_records_that_validate_or_adapter_error(
        self, kind: str, fields: dict[str, str], context: dict[str, Any]
    ) -> None:
        allowed = set(MAPPING["exports"][kind]["columns"].values())
        item = RawItem(
            "fuzz",
            f"county:{kind}",
            {"fields": {k: v for k, v in fields.items() if k in allowed}, "context": context},
            b"",
        )
        outcome = normalized_or_error(item)
        if isinstance(outcome, AdapterError):
            assert outcome.details
            assert all(isinstance(detail["code"], str) and detail["code"] for detail in outcome.details)
            return
        for record in outcome:
            validate_payload(record.type, record.payload)
            RECORD_TYPES[record.type].model.model_validate(record.payload)
