from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import NormalizedRecord, RawItem, RejectedItem
from adapters.errors import SourceFormatError
from adapters.soap import BEIJING, build_receive_info_request
from adapters.tender_platform import ADAPTER, MAPPERS, UNSUPPORTED, TenderPlatformAdapter, sniff
from schemas.errors import AdapterError
from schemas.identifiers import id_card_check_char, mod37_2_check_char, org_code_check_char, uscc_check_char
from schemas.regions import RegionTable
from schemas.registry import get_record_type, validate_payload
from tests.adapters import make_tender_samples as make
from tests.adapters.conftest import golden_cases

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "tender-platform"
KEY = b"tender-platform test pseudonymisation key"
REGIONS = RegionTable.load(
    ROOT / "config" / "regions" / "gbt2260-2023.csv",
    ROOT / "config" / "regions" / "gbt2260-retired-2002-2014.csv",
)
TENDER = TenderPlatformAdapter(id_key=KEY, regions=REGIONS)
PROJECTS = make.build_projects(random.Random(make.SEED))
P0, P2 = PROJECTS[0], PROJECTS[2]
SECTION = P0.sections[0]


def uscc(region: str, body: str) -> str:
    org = body + org_code_check_char(body)
    return "91" + region + org + uscc_check_char("91" + region + org)


def xml(dataset: str, *rows: Mapping[str, str]) -> bytes:
    return make.xml_document(dataset, [dict(row) for row in rows], single=len(rows) == 1)


def items(data: bytes, adapter: TenderPlatformAdapter = TENDER, filename: str = "in.xml") -> list[Any]:
    return list(adapter.split(data, filename=filename))


def records(data: bytes, adapter: TenderPlatformAdapter = TENDER) -> list[NormalizedRecord]:
    found = []
    for item in items(data, adapter):
        assert isinstance(item, RawItem), item
        found.extend(adapter.normalize(item))
    for record in found:
        assert_valid(record)
    return found


def refusal(data: bytes) -> list[dict[str, Any]]:
    [item] = items(data)
    with pytest.raises(AdapterError) as caught:
        TENDER.normalize(item)
    assert caught.value.code == "adapter.invalid_payload"
    assert caught.value.status == 422
    return caught.value.details


def codes(details: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(detail["code"], detail["pointer"]) for detail in details}


def assert_valid(record: NormalizedRecord) -> None:
    validate_payload(record.type, record.payload)
    get_record_type(record.type).model.model_validate(record.payload)


def soap(dataset: str, content: bytes, *, version: str = "20250304080000", plat_id: str = "PLAT-1") -> bytes:
    body = content.decode().split("\n", 1)[1].strip()
    return build_receive_info_request(
        app_id="app",
        app_key="key",
        serial_number="530000000120250304000001",
        dataset_code=dataset,
        xml_content=body,
        request_time=datetime(2025, 3, 4, 8, 2, tzinfo=BEIJING),
        version_number=datetime.strptime(version, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING),
        plat_id=plat_id,
        credit_code=make.PLATFORM,
    )


def without(row: Mapping[str, str], *names: str) -> dict[str, str]:
    return {key: value for key, value in row.items() if key not in names}


class TestSniff:
    def test_kinds_by_content(self) -> None:
        assert sniff(b'\xef\xbb\xbf  {"dataset": "GCJS_SECTION"}') == "json"
        assert sniff(xml("GCJS_SECTION", make.section_rows(P0)[0])) == "xml"
        assert sniff(soap("GCJS_SECTION", xml("GCJS_SECTION", make.section_rows(P0)[0]))) == "soap"
        assert sniff(b"<?xml version='1.0'?><!-- x --><GCJS_SECTION/>") == "xml"


class TestSplit:
    def test_batch_of_several_datasets_gives_one_item_per_row(self) -> None:
        data = make.batch_document(
            [("GCJS_TENDER_PROJECT", [make.tender_project_row(P0)]), ("GCJS_SECTION", make.section_rows(P0))]
        )
        found = items(data, filename="batch.xml")
        assert [(item.ref, item.dataset) for item in found] == [
            ("batch.xml#0", "GCJS_TENDER_PROJECT"),
            ("batch.xml#1", "GCJS_SECTION"),
            ("batch.xml#2", "GCJS_SECTION"),
        ]
        assert all(item.raw == data for item in found)

    def test_soap_item_ref_is_the_serial_number(self) -> None:
        [item] = items(soap("GCJS_SECTION", xml("GCJS_SECTION", make.section_rows(P0)[0])))
        assert item.ref == "530000000120250304000001"
        assert item.row["@call"]["VERSIONNUMBER"] == "20250304080000"

    def test_soap_raw_bytes_leave_the_app_key_out(self) -> None:
        data = soap("GCJS_SECTION", xml("GCJS_SECTION", make.section_rows(P0)[0]))
        assert b"<appKey>key</appKey>" in data
        [item] = items(data)
        assert b"<appKey></appKey>" in item.raw
        [again] = items(item.raw)
        assert again.row == item.row

    def test_soap_call_with_several_rows_numbers_its_items(self) -> None:
        content = make.xml_document("GCJS_SECTION", make.section_rows(P0))
        found = items(soap("GCJS_SECTION", content))
        assert [item.ref for item in found] == ["530000000120250304000001#0", "530000000120250304000001#1"]

    def test_json_records(self) -> None:
        found = items(make.json_document("GCJS_SECTION", make.section_rows(P2)), filename="s.json")
        assert [item.ref for item in found] == ["s.json#0", "s.json#1", "s.json#2"]
        assert found[2].row["BID_SECTION_NAME"] == "第三标段（三标段）"

    def test_gbk_file_is_read_in_its_declared_encoding(self) -> None:
        data = make.xml_document("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION), encoding="GBK")
        assert "云南".encode() not in data
        [first, *_] = items(data)
        assert first.row["BIDDER_NAME"] == SECTION.bids[0].company[0]

    def test_candidate_rows_are_gathered_per_section(self) -> None:
        rows = [row for section in P0.sections for row in make.candidate_rows(P0, section)]
        interleaved = rows[::2] + rows[1::2]
        found = items(make.xml_document("GCJS_WIN_CANDIDATE", interleaved))
        assert len(found) == 2
        assert {item.row["@section"] for item in found} == {section.code for section in P0.sections}
        assert all(len(item.row["@rows"]) == 3 for item in found)

    def test_candidate_row_without_a_section_is_an_item_of_its_own(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows[0] = without(rows[0], "BID_SECTION_CODE")
        found = items(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert len(found) == 2
        assert "@rows" not in found[0].row
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(found[0])
        assert ("tender.missing_field", "/BID_SECTION_CODE") in codes(caught.value.details)

    def test_reserved_field_names_in_json_are_rejected_items(self) -> None:
        row = make.section_rows(P0)[0] | {"@call": "forged"}
        [rejected] = items(make.json_document("GCJS_SECTION", [row]), filename="s.json")
        assert isinstance(rejected, RejectedItem)
        assert rejected.ref == "s.json#0"
        assert rejected.reasons[0]["code"] == "json.bad_shape"

    def test_unknown_dataset_in_a_batch_refuses_the_whole_upload(self) -> None:
        data = make.batch_document(
            [("GCJS_SECTION", make.section_rows(P0)), ("GCJS_BID_EVALUATION", [{"A": "1"}])]
        )
        with pytest.raises(SourceFormatError) as caught:
            items(data)
        assert caught.value.detail_code == "xml.unknown_dataset"

    def test_unknown_dataset_in_json(self) -> None:
        with pytest.raises(SourceFormatError) as caught:
            items(b'{"dataset": "GCJS_QUALIFI_PRE_FILE", "records": [{"A": "1"}]}')
        assert caught.value.detail_code == "json.unknown_dataset"


class TestVersion:
    def test_data_timestamp_wins_over_versionnumber(self) -> None:
        row = make.section_rows(P0)[0] | {"DATA_TIMESTAMP": "2025-03-05 10:00:00"}
        [record] = records(soap("GCJS_SECTION", xml("GCJS_SECTION", row), version="20250306080000"))
        assert record.payload["data_timestamp"] == "2025-03-05T10:00:00+08:00"

    def test_versionnumber_when_the_row_has_no_data_timestamp(self) -> None:
        row = without(make.section_rows(P0)[0], "DATA_TIMESTAMP")
        [record] = records(soap("GCJS_SECTION", xml("GCJS_SECTION", row), version="20250306080000"))
        assert record.payload["data_timestamp"] == "2025-03-06T08:00:00+08:00"

    def test_no_version_at_all(self) -> None:
        details = refusal(xml("GCJS_SECTION", without(make.section_rows(P0)[0], "DATA_TIMESTAMP")))
        assert codes(details) == {("tender.missing_field", "/DATA_TIMESTAMP")}

    def test_unreadable_data_timestamp(self) -> None:
        details = refusal(xml("GCJS_SECTION", make.section_rows(P0)[0] | {"DATA_TIMESTAMP": "下周三"}))
        assert codes(details) == {("normalize.time.invalid", "/DATA_TIMESTAMP")}


class TestTenderProject:
    def test_project_and_tender_project(self) -> None:
        project, tender = records(xml("GCJS_TENDER_PROJECT", make.tender_project_row(P0)))
        assert (project.type, tender.type) == ("project", "tender.project")
        assert project.payload["total_investment"]["source_unit"] == "万元"
        assert project.payload["invest_project_code"].endswith("-530621-04-01-783512")
        assert tender.payload["tenderer"]["code_type"] == "uscc"
        assert tender.payload["trade_type"] == "工程建设"
        assert tender.jurisdiction == project.jurisdiction == "530621"
        assert "extensions" not in project.payload

    def test_no_project_without_project_fields(self) -> None:
        [tender] = records(xml("GCJS_TENDER_PROJECT", make.tender_project_row(PROJECTS[2])))
        assert tender.type == "tender.project"

    def test_project_needs_its_code(self) -> None:
        details = refusal(xml("GCJS_TENDER_PROJECT", without(make.tender_project_row(P0), "PROJECT_CODE")))
        assert codes(details) == {("tender.missing_field", "/PROJECT_CODE")}

    def test_every_missing_required_field_is_named(self) -> None:
        row = without(make.tender_project_row(P2), "TENDER_PROJECT_NAME", "REGION_CODE", "TENDERER_CODE")
        assert codes(refusal(xml("GCJS_TENDER_PROJECT", row))) == {
            ("tender.missing_field", "/TENDER_PROJECT_NAME"),
            ("tender.missing_field", "/REGION_CODE"),
            ("tender.missing_field", "/TENDERER_CODE"),
        }

    def test_a_numeric_code_type_is_kept_and_the_code_read_by_its_shape(self) -> None:
        [tender] = records(
            xml("GCJS_TENDER_PROJECT", make.tender_project_row(P2) | {"TENDERER_CODE_TYPE": "97"})
        )
        assert tender.payload["tenderer"]["code_type"] == "uscc"
        assert tender.payload["extensions"]["TENDERER_CODE_TYPE"] == "97"

    def test_a_deal_type_code_stays_an_extension(self) -> None:
        [tender] = records(xml("GCJS_TENDER_PROJECT", make.tender_project_row(P2) | {"DEAL_TYPE": "A01"}))
        assert "trade_type" not in tender.payload
        assert tender.payload["extensions"]["DEAL_TYPE"] == "A01"

    def test_full_width_codes_become_half_width(self) -> None:
        row = make.tender_project_row(P2)
        wide = row["TENDER_PROJECT_CODE"].translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})
        [tender] = records(xml("GCJS_TENDER_PROJECT", row | {"TENDER_PROJECT_CODE": wide}))
        assert tender.payload["tender_project_code"] == row["TENDER_PROJECT_CODE"]


class TestNotice:
    def test_sections_separated_by_commas_and_semicolons(self) -> None:
        row = make.notice_row(P2)
        assert "；" in row["BID_SECTION_CODES"]
        [notice] = records(xml("GCJS_TENDER_NOTICE", row))
        assert notice.payload["bid_section_codes"] == [section.code for section in P2.sections]
        assert notice.payload["unified_deal_codes"] == [section.deal for section in P2.sections]

    def test_soap_platid_is_the_notice_id(self) -> None:
        row = make.notice_row(P0, with_stamp=False)
        [notice] = records(soap("GCJS_TENDER_NOTICE", xml("GCJS_TENDER_NOTICE", row), plat_id="YNGG-77"))
        assert notice.payload["notice_code"] == "YNGG-77"

    def test_a_file_notice_needs_its_id(self) -> None:
        details = refusal(xml("GCJS_TENDER_NOTICE", without(make.notice_row(P0), "NOTICE_CODE")))
        assert codes(details) == {("tender.missing_field", "/NOTICE_CODE")}

    def test_a_wrong_deal_code_check_character(self) -> None:
        broken = SECTION.deal[:-1] + ("A" if SECTION.deal[-1] != "A" else "B")
        details = refusal(xml("GCJS_TENDER_NOTICE", make.notice_row(P0) | {"UNIFIED_DEAL_CODES": broken}))
        assert codes(details) == {("identifier.unified_deal_code.check_digit", "/UNIFIED_DEAL_CODES")}

    def test_a_url_with_spaces(self) -> None:
        details = refusal(xml("GCJS_TENDER_NOTICE", make.notice_row(P0) | {"URL": "ggzy.yn.gov.cn/a b"}))
        assert codes(details) == {("tender.invalid_value", "/URL")}


class TestOpening:
    def test_one_record_per_section_with_its_deal_code(self) -> None:
        found = records(make.json_document("GCJS_OPENING_RECORD", [make.opening_row(P2)]))
        assert [record.payload["bid_section_code"] for record in found] == [s.code for s in P2.sections]
        assert [record.payload["unified_deal_code"] for record in found] == [s.deal for s in P2.sections]
        assert {record.type for record in found} == {"tender.opening"}

    def test_deal_codes_that_do_not_pair_stay_in_extensions(self) -> None:
        row = make.opening_row(P2) | {"UNIFIED_DEAL_CODES": P2.sections[0].deal}
        found = records(xml("GCJS_OPENING_RECORD", row))
        assert len(found) == 3
        assert all("unified_deal_code" not in record.payload for record in found)
        assert found[0].payload["extensions"]["UNIFIED_DEAL_CODES"] == P2.sections[0].deal

    def test_needs_its_sections(self) -> None:
        details = refusal(xml("GCJS_OPENING_RECORD", without(make.opening_row(P2), "BID_SECTION_CODES")))
        assert ("tender.missing_field", "/BID_SECTION_CODES") in codes(details)


class TestBid:
    def bid(self, **changes: str) -> dict[str, Any]:
        row = make.bid_rows(P0, SECTION)[0] | changes
        [record] = records(xml("GCJS_TENDER_LIST", {key: value for key, value in row.items() if value}))
        return dict(record.payload)

    def test_price_in_wan_yuan(self) -> None:
        price = self.bid(BID_PRICE="4012.68")["bid_price"]
        assert price == {"yuan": "40126800", "source_value": "4012.68", "source_unit": "万元"}

    def test_price_in_yuan(self) -> None:
        price = self.bid(BID_PRICE="40126800.50", PRICE_UNIT="元")["bid_price"]
        assert price == {"yuan": "40126800.5", "source_value": "40126800.50", "source_unit": "元"}

    def test_price_without_unit_is_in_wan_yuan(self) -> None:
        assert self.bid(BID_PRICE="856.300000", PRICE_UNIT="")["bid_price"]["yuan"] == "8563000"

    def test_foreign_currency_is_refused(self) -> None:
        row = make.bid_rows(P0, SECTION)[0] | {"PRICE_CURRENCY": "USD"}
        assert codes(refusal(xml("GCJS_TENDER_LIST", row))) == {
            ("tender.unsupported_currency", "/PRICE_CURRENCY")
        }

    def test_unknown_unit_is_refused(self) -> None:
        row = make.bid_rows(P0, SECTION)[0] | {"PRICE_UNIT": "千元"}
        assert codes(refusal(xml("GCJS_TENDER_LIST", row))) == {("normalize.money.unit", "/BID_PRICE")}

    def test_fingerprint_is_made_comparable(self) -> None:
        bid_file = self.bid(
            BID_DOCUMENT_MD5="9E107D9D372BB6826BD81D3542A419D6", MAC_ADDRESS="00-1a-2b-3c-4d-5e"
        )["bid_file"]
        assert bid_file["bid_document_md5"] == "9e107d9d372bb6826bd81d3542a419d6"
        assert bid_file["mac_address"] == "00:1A:2B:3C:4D:5E"
        assert bid_file["submit_time"].endswith("+08:00")

    def test_placeholder_mac_is_kept_as_sent(self) -> None:
        payload = self.bid(MAC_ADDRESS="无")
        assert "mac_address" not in payload["bid_file"]
        assert payload["extensions"]["MAC_ADDRESS"] == "无"

    def test_malformed_mac(self) -> None:
        row = make.bid_rows(P0, SECTION)[0] | {"MAC_ADDRESS": "00-1A-2B"}
        assert codes(refusal(xml("GCJS_TENDER_LIST", row))) == {("tender.invalid_value", "/MAC_ADDRESS")}

    def test_id_number_travels_as_keyed_hash_only(self) -> None:
        number = SECTION.bids[0].manager_id
        payload = self.bid()
        expected = hmac.new(KEY, number.encode(), hashlib.sha256).hexdigest()
        assert payload["bid_manager_id"] == f"hmac-sha256:{expected}"
        assert number not in orjson.dumps(payload).decode()

    def test_without_a_key_the_id_number_is_withheld(self) -> None:
        [record] = records(xml("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION)[0]), adapter=ADAPTER)
        assert "bid_manager_id" not in record.payload
        assert [warning["code"] for warning in record.warnings] == ["privacy.id_number_withheld"]
        assert SECTION.bids[0].manager_id not in orjson.dumps(record.payload).decode()

    def test_wrong_id_check_digit(self) -> None:
        number = SECTION.bids[0].manager_id
        wrong = number[:17] + ("0" if number[17] != "0" else "1")
        details = refusal(xml("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION)[0] | {"ID_CARD": wrong}))
        assert codes(details) == {("identifier.id_card.check_digit", "/ID_CARD")}

    def test_wrong_uscc_check_digit(self) -> None:
        code = SECTION.bids[0].company[2]
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        details = refusal(xml("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION)[0] | {"BIDDER_ORG_CODE": wrong}))
        assert codes(details) == {("identifier.uscc.check_digit", "/BIDDER_ORG_CODE")}

    def test_unknown_region_is_a_warning(self) -> None:
        [record] = records(
            xml("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION)[0] | {"BIDDER_REGION_CODE": "530699"})
        )
        assert record.payload["bidder"]["region_code"] == "530699"
        assert [(w["code"], w["pointer"]) for w in record.warnings] == [
            ("identifier.region.unknown", "/BIDDER_REGION_CODE")
        ]

    def test_malformed_region_is_an_error(self) -> None:
        details = refusal(
            xml("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION)[0] | {"BIDDER_REGION_CODE": "5306"})
        )
        assert codes(details) == {("identifier.region.format", "/BIDDER_REGION_CODE")}

    def test_union_members(self) -> None:
        body = "MA6E8W2T"
        member = f"{body}-{org_code_check_char(body)}"
        payload = self.bid(
            UNION_ENTERPRISE_NAME="甲公司；乙公司", UNION_ORGAN_SET_CODE=f"{member}，{uscc('530100', body)}"
        )
        assert [(m["code_type"], m["role"]) for m in payload["union_members"]] == [
            ("org_code", "联合体成员"),
            ("uscc", "联合体成员"),
        ]

    def test_union_members_need_a_code_each(self) -> None:
        row = make.bid_rows(P0, SECTION)[0] | {
            "UNION_ENTERPRISE_NAME": "甲公司；乙公司",
            "UNION_ORGAN_SET_CODE": "X",
        }
        assert codes(refusal(xml("GCJS_TENDER_LIST", row))) == {
            ("tender.invalid_value", "/UNION_ORGAN_SET_CODE")
        }

    def test_a_bid_belongs_to_one_section(self) -> None:
        row = without(make.bid_rows(P0, SECTION)[0], "BID_SECTION_CODE") | {
            "BID_SECTION_CODES": ",".join(s.code for s in P0.sections)
        }
        assert codes(refusal(xml("GCJS_TENDER_LIST", row))) == {
            ("tender.multiple_sections", "/BID_SECTION_CODES")
        }


class TestCandidates:
    def test_ranked_by_order_whatever_the_row_order(self) -> None:
        rows = make.candidate_rows(P0, SECTION)[::-1]
        [record] = records(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        candidates = record.payload["candidates"]
        assert [candidate["order"] for candidate in candidates] == [1, 2, 3]
        assert candidates[0]["win_price"]["source_unit"] == "万元"
        assert record.payload["notice_name"].endswith("中标候选人公示")
        assert record.payload["bid_section_code"] == SECTION.code

    def test_latest_row_version_is_the_record_version(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows[2] = rows[2] | {"DATA_TIMESTAMP": "2030-01-01 00:00:00"}
        [record] = records(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert record.payload["data_timestamp"] == "2030-01-01T00:00:00+08:00"

    def test_two_candidates_with_one_rank(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows[2] = rows[2] | {"WIN_CANDIDATE_ORDER": "1"}
        details = refusal(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert codes(details) == {("tender.duplicate_candidate_order", "/2/WIN_CANDIDATE_ORDER")}

    def test_rows_that_disagree_on_the_publication(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows[1] = rows[1] | {"NOTICE_NAME": "另一份公示"}
        details = refusal(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert codes(details) == {("tender.inconsistent_rows", "/1/NOTICE_NAME")}

    def test_rank_is_required(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows[0] = without(rows[0], "WIN_CANDIDATE_ORDER")
        details = refusal(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert codes(details) == {("tender.missing_field", "/0/WIN_CANDIDATE_ORDER")}

    def test_rows_that_are_not_records(self) -> None:
        item = RawItem("x", "GCJS_WIN_CANDIDATE", {"@rows": ["not a row"]}, b"")
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(item)
        assert caught.value.details[0]["code"] == "tender.bad_shape"

    def test_fields_that_differ_between_candidates_are_kept_per_candidate(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows = [row | {"REMARK": f"备注{index}"} for index, row in enumerate(rows)]
        [record] = records(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert record.payload["extensions"]["CANDIDATE_FIELDS"] == [
            {"REMARK": "备注0"},
            {"REMARK": "备注1"},
            {"REMARK": "备注2"},
        ]


class TestAward:
    def test_amount_in_wan_yuan_and_the_winner(self) -> None:
        [award] = records(
            xml("GCJS_RESULT_NOTICE", make.award_row(P0, SECTION) | {"BID_AMOUNT": "1234.5678"})
        )
        assert award.payload["bid_amount"] == {
            "yuan": "12345678",
            "source_value": "1234.5678",
            "source_unit": "万元",
        }
        assert award.payload["win_bidder"]["code_type"] == "uscc"
        assert award.payload["extensions"] == {"BIDDER_CODE_TYPE": "法人"}
        assert award.payload["pub_service_plat_code"] == "P5300000001"

    def test_one_section_only(self) -> None:
        row = without(make.award_row(P0, SECTION), "BID_SECTION_CODE") | {"BID_SECTION_CODES": "A;B"}
        assert codes(refusal(xml("GCJS_RESULT_NOTICE", row))) == {
            ("tender.multiple_sections", "/BID_SECTION_CODES")
        }

    def test_no_region_no_jurisdiction(self) -> None:
        details = refusal(xml("GCJS_RESULT_NOTICE", without(make.award_row(P0, SECTION), "REGION_CODE")))
        assert codes(details) == {("tender.no_jurisdiction", "/REGION_CODE")}


class TestContract:
    def test_contract_with_performance_fields_kept(self) -> None:
        [contract] = records(xml("GCJS_CONTRACT_PERFORMANCE", make.contract_row(P0, SECTION, unit="元")))
        assert contract.type == "contract"
        assert contract.payload["contract_amount"]["source_unit"] == "元"
        assert contract.payload["contractor"]["role"] == "中标人"
        assert contract.payload["extensions"] == {"PERFORMANCE_STATUS": "履约中"}

    def test_needs_its_number_and_signing_date(self) -> None:
        row = without(make.contract_row(P0, SECTION), "CONTRACT_CODE", "SIGN_DATE")
        assert codes(refusal(xml("GCJS_CONTRACT_PERFORMANCE", row))) == {
            ("tender.missing_field", "/CONTRACT_CODE"),
            ("tender.missing_field", "/SIGN_DATE"),
        }


class TestRefusedItems:
    def test_exception_reports_have_no_record_type(self) -> None:
        details = refusal(xml("GCJS_EXCEPTION_REPORT", make.exception_report(P0)))
        assert [detail["code"] for detail in details] == ["tender.unsupported_dataset"]

    def test_unknown_dataset_item(self) -> None:
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(RawItem("x", "GCJS_QUALIFI_PRE_FILE", {}, b""))
        assert caught.value.details[0]["code"] == "xml.unknown_dataset"

    def test_row_with_non_text_field_names(self) -> None:
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(RawItem("x", "GCJS_SECTION", {1: "a"}, b""))  # type: ignore[dict-item]
        assert caught.value.details[0]["code"] == "tender.bad_shape"

    def test_nested_value_where_text_is_expected(self) -> None:
        row = make.section_rows(P0)[0] | {"BID_SECTION_NAME": {"A": "1"}}
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(RawItem("x", "GCJS_SECTION", row, b""))
        assert codes(caught.value.details) == {("tender.invalid_value", "/BID_SECTION_NAME")}

    def test_mojibake_in_a_hand_made_item(self) -> None:
        misread = "招标公告".encode().decode("gbk", errors="replace")
        row = make.section_rows(P0)[0] | {"BID_SECTION_NAME": misread}
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(RawItem("x", "GCJS_SECTION", row, b""))
        assert codes(caught.value.details) == {("encoding.mojibake", "/BID_SECTION_NAME")}


class TestFieldEdges:
    def bid(self, adapter: TenderPlatformAdapter = TENDER, **changes: str) -> NormalizedRecord:
        row = make.bid_rows(P0, SECTION)[0] | changes
        [record] = records(
            xml("GCJS_TENDER_LIST", {key: value for key, value in row.items() if value}), adapter
        )
        return record

    def refused_bid(self, **changes: str) -> set[tuple[str, str]]:
        return codes(refusal(xml("GCJS_TENDER_LIST", make.bid_rows(P0, SECTION)[0] | changes)))

    def test_union_member_with_a_wrong_check_character(self) -> None:
        body = "MA6E8W2T"
        wrong = "0" if org_code_check_char(body) != "0" else "1"
        found = self.refused_bid(UNION_ENTERPRISE_NAME="甲公司", UNION_ORGAN_SET_CODE=f"{body}-{wrong}")
        assert found == {("identifier.org_code.check_digit", "/UNION_ENTERPRISE_NAME/0/CODE")}

    def test_a_person_as_bidder(self) -> None:
        number = SECTION.bids[0].manager_id
        assert self.bid(BIDDER_ORG_CODE=number).payload["bidder"]["code_type"] == "id_card"

    def test_a_code_of_no_known_kind(self) -> None:
        bidder = self.bid(BIDDER_ORG_CODE="530621000012345").payload["bidder"]
        assert (bidder["code_type"], bidder["code"]) == ("other", "530621000012345")
        assert self.refused_bid(BIDDER_ORG_CODE="A" * 120) == {("tender.invalid_value", "/BIDDER_ORG_CODE")}

    def test_an_agency_code_without_its_name(self) -> None:
        row = without(make.tender_project_row(P2), "TENDER_AGENCY_NAME")
        assert codes(refusal(xml("GCJS_TENDER_PROJECT", row))) == {
            ("tender.missing_field", "/TENDER_AGENCY_NAME")
        }

    def test_a_passport_number_is_hashed_without_the_id_card_check(self) -> None:
        payload = self.bid(ID_CARD_TYPE="护照", ID_CARD="E12345678").payload
        expected = hmac.new(KEY, b"E12345678", hashlib.sha256).hexdigest()
        assert payload["bid_manager_id"] == f"hmac-sha256:{expected}"
        found = self.refused_bid(ID_CARD_TYPE="护照", ID_CARD="E" * 80)
        assert found == {("tender.invalid_value", "/ID_CARD")}

    def test_other_personal_numbers_leave_only_as_hashes(self) -> None:
        number = SECTION.bids[1].manager_id
        kept = self.bid(BIDDER_OPERATION_PERSON_ID=number).payload["extensions"]["BIDDER_OPERATION_PERSON_ID"]
        assert kept == "hmac-sha256:" + hmac.new(KEY, number.encode(), hashlib.sha256).hexdigest()
        withheld = self.bid(ADAPTER, BIDDER_OPERATION_PERSON_ID=number)
        assert "BIDDER_OPERATION_PERSON_ID" not in withheld.payload.get("extensions", {})
        assert ("privacy.id_number_withheld", "/BIDDER_OPERATION_PERSON_ID") in {
            (warning["code"], warning["pointer"]) for warning in withheld.warnings
        }

    def test_json_numbers_are_read_as_written(self) -> None:
        row: dict[str, Any] = make.bid_rows(P0, SECTION)[0] | {
            "BID_PRICE": 4012.68,
            "BIDDER_CREDIT_SCORE": 92,
        }
        [record] = records(orjson.dumps({"GCJS_TENDER_LIST": row}))
        assert record.payload["bid_price"]["source_value"] == "4012.68"
        assert record.payload["bidder_credit_score"] == "92"

    def test_malformed_values(self) -> None:
        assert self.refused_bid(BID_DOCUMENT_MD5="not-a-digest") == {
            ("tender.invalid_value", "/BID_DOCUMENT_MD5")
        }
        assert self.refused_bid(BIDDER_CREDIT_SCORE="优") == {
            ("tender.invalid_value", "/BIDDER_CREDIT_SCORE")
        }
        assert self.refused_bid(BID_DOCUMENT_SIDE="七兆") == {("tender.invalid_value", "/BID_DOCUMENT_SIDE")}
        assert self.refused_bid(IS_LOST="maybe") == {("tender.invalid_value", "/IS_LOST")}
        assert self.refused_bid(TENDER_PROJECT_CODE="\u200b") == {
            ("tender.invalid_value", "/TENDER_PROJECT_CODE")
        }

    def test_invisible_text_counts_as_missing(self) -> None:
        row = make.section_rows(P0)[0] | {"BID_SECTION_NAME": "\u200b\u200b"}
        assert codes(refusal(xml("GCJS_SECTION", row))) == {("tender.missing_field", "/BID_SECTION_NAME")}

    def test_rate_with_a_percent_sign(self) -> None:
        [award] = records(xml("GCJS_RESULT_NOTICE", make.award_row(P0, SECTION) | {"RATE": "3.5%"}))
        assert award.payload["rate"] == "3.5"

    def test_investment_project_code(self) -> None:
        project, _ = records(
            xml("GCJS_TENDER_PROJECT", without(make.tender_project_row(P0), "INVEST_PROJECT_CODE"))
        )
        assert "invest_project_code" not in project.payload
        row = make.tender_project_row(P0) | {"INVEST_PROJECT_CODE": "2503-530621-04"}
        found = codes(refusal(xml("GCJS_TENDER_PROJECT", row)))
        assert found == {("identifier.invest_project_code.format", "/INVEST_PROJECT_CODE")}

    def test_a_field_read_for_two_records_reports_once(self) -> None:
        details = refusal(xml("GCJS_TENDER_PROJECT", make.tender_project_row(P0) | {"REGION_CODE": "5306"}))
        assert [(detail["code"], detail["pointer"]) for detail in details] == [
            ("identifier.region.format", "/REGION_CODE")
        ]

    def test_dates_and_blank_optional_text(self) -> None:
        row = make.contract_row(P0, SECTION) | {"SIGN_DATE": "2025-13-45"}
        assert codes(refusal(xml("GCJS_CONTRACT_PERFORMANCE", row))) == {
            ("normalize.date.invalid", "/SIGN_DATE")
        }
        [contract] = records(
            xml("GCJS_CONTRACT_PERFORMANCE", make.contract_row(P0, SECTION) | {"QUALITY": "\u200b"})
        )
        assert "quality" not in contract.payload

    def test_a_bid_without_fingerprint_or_manager_number(self) -> None:
        fingerprint = (
            "BID_DOCUMENT_MD5",
            "SUBMITTIME",
            "CPU_ID",
            "HARD_DISK_SERIAL_NUMBER",
            "MAC_ADDRESS",
            "NET_ID",
        )
        row = without(make.bid_rows(P0, SECTION)[0], "ID_CARD", "TOOL_VERSION", *fingerprint)
        [record] = records(make.json_document("GCJS_TENDER_LIST", [row | {"REMARK": "   "}]))
        assert "bid_file" not in record.payload
        assert "bid_manager_id" not in record.payload
        assert "extensions" not in record.payload

    def test_nested_source_fields_are_kept_verbatim(self) -> None:
        attachments = [{"ATTACHMENT_CODE": "F001"}, {"ATTACHMENT_CODE": "F002"}]
        row: dict[str, Any] = make.award_row(P0, SECTION) | {"ATTACHMENTS": attachments}
        [award] = records(orjson.dumps({"dataset": "GCJS_RESULT_NOTICE", "records": [row]}))
        assert award.payload["extensions"]["ATTACHMENTS"] == attachments

    def test_a_bidder_without_a_name(self) -> None:
        details = refusal(xml("GCJS_TENDER_LIST", without(make.bid_rows(P0, SECTION)[0], "BIDDER_NAME")))
        assert [(detail["code"], detail["pointer"]) for detail in details] == [
            ("tender.missing_field", "/BIDDER_NAME")
        ]

    def test_a_tender_project_without_agency(self) -> None:
        agency = ("TENDER_AGENCY_NAME", "TENDER_AGENCY_CODE", "TENDER_AGENCY_REGION_CODE")
        [tender] = records(xml("GCJS_TENDER_PROJECT", without(make.tender_project_row(P2), *agency)))
        assert "tender_agency" not in tender.payload

    def test_an_opening_without_deal_codes(self) -> None:
        found = records(xml("GCJS_OPENING_RECORD", without(make.opening_row(P2), "UNIFIED_DEAL_CODES")))
        assert len(found) == 3
        assert all("unified_deal_code" not in record.payload for record in found)

    def test_candidates_of_a_call_without_data_timestamp(self) -> None:
        rows = [without(row, "DATA_TIMESTAMP") for row in make.candidate_rows(P0, SECTION)]
        content = make.xml_document("GCJS_WIN_CANDIDATE", rows)
        [record] = records(soap("GCJS_WIN_CANDIDATE", content, version="20250401120000"))
        assert record.payload["data_timestamp"] == "2025-04-01T12:00:00+08:00"

    def test_a_contract_belongs_to_one_section(self) -> None:
        row = make.contract_row(P0, SECTION) | {"BID_SECTION_CODE": f"{SECTION.code},{P0.sections[1].code}"}
        assert codes(refusal(xml("GCJS_CONTRACT_PERFORMANCE", row))) == {
            ("tender.invalid_value", "/BID_SECTION_CODE")
        }

    def test_values_beyond_the_schema_are_refused(self) -> None:
        row = make.section_rows(P0)[0] | {"BID_SECTION_NAME": "标" * 600}
        assert codes(refusal(xml("GCJS_SECTION", row))) == {("schema.maxLength", "/bid_section_name")}

    def test_a_hand_made_call_with_an_unreadable_versionnumber(self) -> None:
        row = without(make.section_rows(P0)[0], "DATA_TIMESTAMP") | {"@call": {"VERSIONNUMBER": "yesterday"}}
        with pytest.raises(AdapterError) as caught:
            TENDER.normalize(RawItem("x", "GCJS_SECTION", row, b""))
        assert codes(caught.value.details) == {("normalize.time.invalid", "/@call/VERSIONNUMBER")}

    def test_candidate_row_without_tender_project_is_not_gathered(self) -> None:
        rows = make.candidate_rows(P0, SECTION)
        rows[1] = without(rows[1], "TENDER_PROJECT_CODE")
        found = items(make.xml_document("GCJS_WIN_CANDIDATE", rows))
        assert [len(item.row.get("@rows", [None])) for item in found] == [2, 1]


def render(path: Path) -> dict[str, Any]:
    rendered: list[dict[str, Any]] = []
    for item in TENDER.split(path.read_bytes(), filename=path.name):
        if isinstance(item, RejectedItem):
            rendered.append({"ref": item.ref, "rejected": list(item.reasons)})
            continue
        try:
            found = TENDER.normalize(item)
        except AdapterError as exc:
            rendered.append({"ref": item.ref, "dataset": item.dataset, "refused": exc.details})
            continue
        rendered.append(
            {
                "ref": item.ref,
                "dataset": item.dataset,
                "records": [
                    {
                        "type": r.type,
                        "jurisdiction": r.jurisdiction,
                        "warnings": list(r.warnings),
                        "payload": r.payload,
                    }
                    for r in found
                ],
            }
        )
    return {"items": rendered}


GOLDEN = golden_cases("tender-platform", "*.xml", "*.json")


class TestGolden:
    def test_cases_cover_the_shapes(self) -> None:
        names = {path.name for path in GOLDEN}
        assert len(GOLDEN) >= 15
        assert {"notice_multi_section.xml", "bids_gbk_wan.xml", "notice_soap.xml", "award_wan.xml"} <= names

    @pytest.mark.parametrize("path", GOLDEN, ids=lambda path: path.name)
    def test_output_matches_golden(self, path: Path, golden: Callable[[Path, Any], None]) -> None:
        rendered = render(path)
        golden(path, rendered)
        for item in rendered["items"]:
            for record in item.get("records", ()):
                validate_payload(record["type"], record["payload"])
                get_record_type(record["type"]).model.model_validate(record["payload"])


def sample_files() -> list[Path]:
    return sorted(path for path in SAMPLES.iterdir() if path.is_file() and path.suffix in (".xml", ".json"))


class TestSampleSet:
    def test_every_sample_normalizes_and_validates(self) -> None:
        counts: dict[str, int] = {}
        for path in sample_files():
            for record in records(path.read_bytes()):
                counts[record.type] = counts.get(record.type, 0) + 1
        assert sum(counts.values()) >= 150
        assert set(counts) == {
            "project",
            "tender.project",
            "tender.section",
            "tender.notice",
            "tender.opening",
            "tender.bid",
            "tender.candidate",
            "tender.award",
            "contract",
        }

    def test_the_keyless_adapter_refuses_none_either(self) -> None:
        withheld = 0
        for path in sample_files():
            for record in records(path.read_bytes(), ADAPTER):
                assert "bid_manager_id" not in record.payload
                withheld += sum(
                    warning["code"] == "privacy.id_number_withheld" for warning in record.warnings
                )
        assert withheld == 60

    def test_samples_hold_every_input_shape(self) -> None:
        contents = [path.read_bytes() for path in sample_files()]
        kinds = {sniff(data) for data in contents}
        assert kinds == {"xml", "soap", "json"}
        assert any(b'encoding="GBK"' in data for data in contents)
        assert any(b"<PRICE_UNIT>\xcd\xf2\xd4\xaa</PRICE_UNIT>" in data for data in contents)  # 万元 in GBK

    def test_samples_stay_small(self) -> None:
        total = sum(path.stat().st_size for path in SAMPLES.rglob("*") if path.is_file())
        assert total < 200 * 1024

    def test_committed_files_are_what_the_generator_writes(self) -> None:
        generated = make.render()
        for relative, data in generated.items():
            assert (ROOT / relative).read_bytes() == data, relative
        committed = {path.relative_to(ROOT) for path in SAMPLES.rglob("*") if path.is_file()}
        assert committed - set(generated) == {Path("config/samples/tender-platform/README.md")}


BAD = {
    "xxe.xml": ("split", "xml.external_entity"),
    "billion_laughs.xml": ("split", "xml.entity_expansion"),
    "truncated.xml": ("split", "xml.truncated"),
    "unknown_dataset.xml": ("split", "xml.unknown_dataset"),
    "wrong_encoding.xml": ("split", "encoding.undeclared_mismatch"),
    "mojibake.xml": ("split", "encoding.mojibake"),
    "soap_dataset_mismatch.xml": ("split", "soap.dataset_mismatch"),
    "bad_uscc.xml": ("normalize", "identifier.uscc.check_digit"),
    "bad_id_card.xml": ("normalize", "identifier.id_card.check_digit"),
    "missing_field.json": ("normalize", "tender.missing_field"),
    "no_region.xml": ("normalize", "tender.no_jurisdiction"),
    "duplicate_candidate_order.xml": ("normalize", "tender.duplicate_candidate_order"),
    "exception_report.xml": ("normalize", "tender.unsupported_dataset"),
}


class TestBadSamples:
    def test_table_covers_the_folder(self) -> None:
        assert {path.name for path in (SAMPLES / "bad").iterdir()} == set(BAD)

    @pytest.mark.parametrize(("name", "expected"), sorted(BAD.items()))
    def test_refused_with_its_code(self, name: str, expected: tuple[str, str]) -> None:
        stage, code = expected
        data = (SAMPLES / "bad" / name).read_bytes()
        if stage == "split":
            with pytest.raises(SourceFormatError) as caught:
                items(data)
            assert caught.value.code == "source.unreadable"
            assert caught.value.detail_code == code
        else:
            assert refusal(data)[0]["code"] == code


VALID_ROWS: dict[str, Mapping[str, str]] = {
    "GCJS_TENDER_PROJECT": make.tender_project_row(P0),
    "GCJS_SECTION": make.section_rows(P0)[0],
    "GCJS_TENDER_NOTICE": make.notice_row(P0),
    "GCJS_OPENING_RECORD": make.opening_row(P0),
    "GCJS_TENDER_LIST": make.bid_rows(P0, SECTION)[0],
    "GCJS_WIN_CANDIDATE": make.candidate_rows(P0, SECTION)[0],
    "GCJS_RESULT_NOTICE": make.award_row(P0, SECTION),
    "GCJS_CONTRACT_PERFORMANCE": make.contract_row(P0, SECTION),
    "GCJS_EXCEPTION_REPORT": make.exception_report(P0),
    "WEB_UNICODE_RECORD": {"TENDER_PROJECT_CODE": P0.tender_code},
}
FIELDS = sorted(
    {key for row in VALID_ROWS.values() for key in row}
    | {"BID_SECTION_CODES", "UNION_ENTERPRISE_NAME", "UNION_ORGAN_SET_CODE", "VALUATION_XML", "ID_CARD_TYPE"}
    | {
        "WIN_CANDIDATE_CODE_TYPE",
        "N_BIDDER_CODE_TYPE",
        "PRICE_UNIT",
        "PRICE_CURRENCY",
        "RATE",
        "BIDDER_COUNT",
    }
)
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "1", "0", "是", "万元", "元", "USD", "530621", "530699", "2025-03-04 09:00:00", "-"]
    ),
    st.sampled_from([SECTION.code, SECTION.deal, SECTION.bids[0].company[2], SECTION.bids[0].manager_id]),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
CHANGES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)


def outcome(item: RawItem) -> list[NormalizedRecord] | AdapterError:
    try:
        return TENDER.normalize(item)
    except AdapterError as exc:
        return exc


def check_total(result: list[NormalizedRecord] | AdapterError) -> None:
    if isinstance(result, AdapterError):
        assert result.details
        assert all({"pointer", "code", "message"} <= set(detail) for detail in result.details)
        return
    for record in result:
        assert_valid(record)


class TestTotality:
    @settings(max_examples=300, deadline=None)
    @given(dataset=st.sampled_from(sorted(MAPPERS) + sorted(UNSUPPORTED)), changes=CHANGES)
    def test_normalize_returns_valid_records_or_refuses(self, dataset: str, changes: dict[str, Any]) -> None:
        check_total(outcome(RawItem("fuzz", dataset, {**VALID_ROWS[dataset], **changes}, b"")))

    @settings(max_examples=150, deadline=None)
    @given(changes=st.lists(CHANGES, min_size=1, max_size=4))
    def test_candidate_groups(self, changes: list[dict[str, Any]]) -> None:
        rows = make.candidate_rows(P0, SECTION)
        group = [{**row, **change} for row, change in zip(rows, changes, strict=False)]
        check_total(
            outcome(RawItem("fuzz", "GCJS_WIN_CANDIDATE", {"@rows": group, "@section": SECTION.code}, b""))
        )

    def test_unchanged_rows_give_records(self) -> None:
        for dataset in MAPPERS:
            found = outcome(RawItem("fuzz", dataset, VALID_ROWS[dataset], b""))
            assert isinstance(found, list), dataset
            assert found


class TestAdapterObject:
    def test_a_short_key_is_refused(self) -> None:
        with pytest.raises(ValueError, match="pseudonymisation key"):
            TenderPlatformAdapter(id_key=b"short")

    def test_names_and_check_characters(self) -> None:
        assert (ADAPTER.name, ADAPTER.version) == ("tender-platform", "1")
        assert id_card_check_char(SECTION.bids[0].manager_id[:17]) == SECTION.bids[0].manager_id[17]
        assert mod37_2_check_char(SECTION.deal[:-1]) == SECTION.deal[-1]
