from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import NormalizedRecord, RawItem, RejectedItem
from adapters.credit_china import ADAPTER, DATASETS, CreditChinaAdapter, dataset_of_fields
from adapters.credit_headers import template_columns
from schemas.errors import AdapterError
from schemas.regions import RegionTable
from schemas.registry import get_record_type, validate_payload
from tests.adapters.conftest import golden_cases
from tests.adapters.make_construction_samples import (
    BLACKLISTED_BY_OLD_CODE,
    BLACKLISTED_IN_FORCE,
    BLACKLISTED_REVOKED,
    BY_KEY,
    PENALTY_EXPIRED,
    company_rows,
)
from tests.adapters.make_credit_samples import (
    blacklist_rows,
    code_csv,
    license_rows,
    penalty_rows,
    repair_rows,
    template_csv,
)

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "credit-china"
REGIONS = RegionTable.load(
    ROOT / "config/regions/gbt2260-2023.csv", ROOT / "config/regions/gbt2260-retired-2002-2014.csv"
)
WITH_TABLE = CreditChinaAdapter(regions=REGIONS)
AS_OF = "2026-11-22"

LICENSE = license_rows()[0]
PERSON_LICENSE = license_rows()[-1]
PENALTY = penalty_rows()[0]
ENTRY = blacklist_rows()[0]
REPAIR = repair_rows(penalty_rows())[0]


def items(data: bytes, filename: str = "", content_type: str = "") -> list[RawItem | RejectedItem]:
    return list(ADAPTER.split(data, filename=filename, content_type=content_type))


def normalize(dataset: str, row: dict[str, Any], adapter: CreditChinaAdapter = ADAPTER) -> NormalizedRecord:
    [record] = adapter.normalize(RawItem("test#0", dataset, row, b""))
    validate_payload(record.type, record.payload)
    get_record_type(record.type).model.model_validate(record.payload)
    return record


def refusal(dataset: str, row: dict[str, Any]) -> list[str]:
    with pytest.raises(AdapterError) as caught:
        ADAPTER.normalize(RawItem("test#0", dataset, row, b""))
    assert caught.value.code == "adapter.invalid_payload"
    return [detail["code"] for detail in caught.value.details]


def source_error(data: bytes, filename: str = "") -> str:
    with pytest.raises(AdapterError) as caught:
        items(data, filename)
    return str(caught.value.details[0]["code"])


def without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in names}


def warning_codes(record: NormalizedRecord) -> list[str]:
    return [warning["code"] for warning in record.warnings]


def render(adapter: Any, path: Path) -> dict[str, Any]:
    """What an upload becomes: per item its records, its refusal or its rejection."""
    try:
        split = list(adapter.split(path.read_bytes(), filename=path.name))
    except AdapterError as error:
        return {"error": error.details}
    rendered: list[dict[str, Any]] = []
    for item in split:
        if isinstance(item, RejectedItem):
            rendered.append({"ref": item.ref, "rejected": list(item.reasons)})
            continue
        try:
            records = adapter.normalize(item)
        except AdapterError as error:
            rendered.append({"ref": item.ref, "dataset": item.dataset, "refused": error.details})
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
                    for r in records
                ],
            }
        )
    return {"items": rendered}


def attempt(call: Callable[[], T]) -> T | AdapterError:
    """The result of `call`, or the AdapterError it raised: a refusal is an outcome, not a crash."""
    try:
        return call()
    except AdapterError as error:
        return error


def refusal_codes(adapter: Any, data: bytes, name: str) -> list[str]:
    """Every code an upload is refused with: whole, as rejected items, or row by row."""
    split = attempt(lambda: list(adapter.split(data, filename=name)))
    if isinstance(split, AdapterError):
        return [detail["code"] for detail in split.details]
    codes: list[str] = []
    for item in split:
        if isinstance(item, RejectedItem):
            codes += [reason["code"] for reason in item.reasons]
            continue
        try:
            adapter.normalize(item)
        except AdapterError as error:
            codes += [detail["code"] for detail in error.details]
    return codes


def sample_records() -> Iterator[tuple[Path, RawItem | RejectedItem, list[NormalizedRecord] | AdapterError]]:
    for path in sorted(SAMPLES.iterdir()):
        if path.is_dir() or path.suffix == ".md":
            continue
        for item in ADAPTER.split(path.read_bytes(), filename=path.name):
            if isinstance(item, RejectedItem):
                yield path, item, AdapterError("rejected", details=item.reasons)
                continue
            try:
                yield path, item, ADAPTER.normalize(item)
            except AdapterError as error:
                yield path, item, error


class TestDatasetOfFields:
    @pytest.mark.parametrize(
        ("names", "dataset"),
        [
            (["XK_WSH", "DFBM"], "XK"),
            (["cf_wsh", "BZ"], "CF"),
            (["BLACKLIST_CODE", "BODY_NAME", "REVOCATION_STATUS"], "BLACK_LIST"),
            (["REPAIR_CODE", "BODY_NAME"], "CREDIT_REPAIR"),
            (["XK_WSH", "CF_WSH"], None),
            (["NAME", "CODE"], None),
            ([1, "XK_WSH"], "XK"),
        ],
    )
    def test_recognition(self, names: list[Any], dataset: str | None) -> None:
        assert dataset_of_fields(names) == dataset


class TestTemplateColumns:
    def test_license_template_maps_every_column(self) -> None:
        header = ["行政相对人名称", "行政相对人代码_1（统一社会信用代码）", "许可决定日期", "联系电话"]
        assert template_columns(header) == ("XK", ["XK_XDR_MC", "XK_XDR_SHXYM", "XK_JDRQ", "联系电话"])

    def test_penalty_template_by_its_decision_date(self) -> None:
        header = ["行政相对人名称", "罚款金额（万元）", "处罚决定日期"]
        assert template_columns(header) == ("CF", ["CF_XDR_MC", "CF_NR_FK", "CF_JDRQ"])

    @pytest.mark.parametrize("header", [["许可决定日期", "处罚决定日期"], ["名称", "代码"]])
    def test_no_single_template(self, header: list[str]) -> None:
        assert template_columns(header) is None


class TestSplit:
    def test_json_list_recognised_per_row(self) -> None:
        found = items(orjson.dumps([LICENSE, PENALTY, ENTRY, REPAIR]), "mixed.json")
        assert [item.dataset for item in found if isinstance(item, RawItem)] == [
            "XK",
            "CF",
            "BLACK_LIST",
            "CREDIT_REPAIR",
        ]
        assert [item.ref for item in found] == [f"mixed.json#{index}" for index in range(4)]
        assert orjson.loads(found[0].raw) == LICENSE

    def test_records_wrapper_without_dataset(self) -> None:
        [item] = items(orjson.dumps({"records": [PENALTY]}), content_type="application/json; charset=utf-8")
        assert isinstance(item, RawItem)
        assert item.dataset == "CF"

    def test_declared_revocation_dataset_accepts_blacklist_fields(self) -> None:
        [item] = items(orjson.dumps({"dataset": "BLACK_LIST_REVOKE", "records": [ENTRY]}))
        assert isinstance(item, RawItem)
        assert item.dataset == "BLACK_LIST_REVOKE"

    def test_declared_dataset_carries_rows_without_telling_fields(self) -> None:
        [item] = items(orjson.dumps({"dataset": "CF", "records": [{"DFBM": "530600"}]}))
        assert isinstance(item, RawItem)
        assert item.dataset == "CF"

    def test_gbk_template_csv(self) -> None:
        found = items(template_csv([LICENSE, PERSON_LICENSE]), "xk.csv")
        assert [item.ref for item in found] == ["xk.csv:line 2", "xk.csv:line 3"]
        first = found[0]
        assert isinstance(first, RawItem)
        assert first.dataset == "XK"
        assert first.row["XK_XDR_MC"] == LICENSE["XK_XDR_MC"]
        assert first.raw.decode("utf-8").startswith("行政相对人名称,")

    def test_code_header_csv_is_sniffed_without_a_name(self) -> None:
        [item] = items(code_csv([PENALTY], "gbk"))
        assert isinstance(item, RawItem)
        assert item.dataset == "CF"
        assert item.row["CF_NR_FK"] == PENALTY["CF_NR_FK"]

    def test_xml_root_names_the_dataset(self) -> None:
        xml = "<CF><RECORD>" + "".join(f"<{k}>{v}</{k}>" for k, v in PENALTY.items()) + "</RECORD></CF>"
        [item] = items(xml.encode())
        assert isinstance(item, RawItem)
        assert item.dataset == "CF"
        assert normalize(item.dataset, dict(item.row)).payload["decision_number"] == PENALTY["CF_WSH"]

    def test_ragged_csv_row_is_rejected_alone(self) -> None:
        data = code_csv([PENALTY], "utf-8") + b"only,three,cells\r\n"
        found = items(data, "cf.csv")
        assert isinstance(found[0], RawItem)
        assert isinstance(found[1], RejectedItem)
        assert found[1].reasons[0]["code"] == "csv.ragged_row"

    def test_mojibake_csv_row_is_rejected(self) -> None:
        garbled = dict(
            PENALTY, CF_XDR_MC=PENALTY["CF_XDR_MC"].encode("utf-8").decode("gbk", errors="replace")
        )
        [item] = items(code_csv([garbled], "utf-8"), "cf.csv")
        assert isinstance(item, RejectedItem)
        assert item.reasons[0]["code"] == "encoding.mojibake"

    def test_row_of_another_dataset(self) -> None:
        [item] = items(orjson.dumps({"dataset": "XK", "records": [PENALTY]}))
        assert isinstance(item, RejectedItem)
        assert item.reasons[0]["code"] == "credit.dataset_mismatch"

    @pytest.mark.parametrize("row", [{"NAME": "某公司"}, {"XK_WSH": "1", "CF_WSH": "2"}])
    def test_unrecognised_row(self, row: dict[str, str]) -> None:
        [item] = items(orjson.dumps([row]))
        assert isinstance(item, RejectedItem)
        assert item.reasons[0]["code"] == "credit.unknown_dataset"

    def test_member_that_is_not_an_object(self) -> None:
        [item] = items(b"[[1, 2]]")
        assert isinstance(item, RejectedItem)
        assert item.reasons[0]["code"] == "json.bad_shape"

    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (b"", "file.empty"),
            (b"  \n", "csv.no_header"),
            (b'{"dataset": "RED_LIST", "records": [{}]}', "json.unknown_dataset"),
            (b'{"dataset": 8, "records": [{}]}', "json.unknown_dataset"),
            (b'{"records": [], "dataset": "CF"}', "json.no_records"),
            (b"[]", "json.no_records"),
            (b'{"records": {"CF_WSH": "1"}}', "json.bad_shape"),
            (b'{"rows": []}', "json.bad_shape"),
            (b'{"records": [], "exported": "today"}', "json.bad_shape"),
            (b'[{"CF_WSH": "1"', "json.malformed"),
            ('[{"CF_XDR_MC": "云南某某公司"}]'.encode("gbk"), "encoding.undeclared_mismatch"),
            ("名稱,許可機關\n臺北市營造工程有限公司,臺北市政府\n".encode("big5"), "encoding.undetectable"),
            (b"NAME,CODE\nx,y\n", "credit.unknown_dataset"),
            (b"<RED_LIST><A>1</A></RED_LIST>", "xml.unknown_dataset"),
        ],
    )
    def test_unreadable_uploads(self, data: bytes, code: str) -> None:
        assert source_error(data) == code

    def test_json_file_name_wins_over_content(self) -> None:
        assert source_error(b"XK_WSH\n1\n", "licenses.json") == "json.malformed"
        assert source_error(b'"text"', "licenses.json") == "json.bad_shape"


class TestLicense:
    def test_enterprise_license(self) -> None:
        record = normalize("XK", LICENSE)
        payload = record.payload
        assert record.type == "credit.license"
        assert record.jurisdiction == LICENSE["DFBM"]
        assert payload["party"] == {
            "name": LICENSE["XK_XDR_MC"],
            "code_type": "uscc",
            "code": LICENSE["XK_XDR_SHXYM"],
        }
        assert payload["authority_code"] == LICENSE["XK_XKJGDM"]
        assert payload["valid_to"] == LICENSE["XK_YXQZI"]
        assert payload["data_timestamp"] == LICENSE["DATA_TIMESTAMP"].replace(" ", "T") + "+08:00"
        assert payload["extensions"] == {"XK_XDR_ZZJG": LICENSE["XK_XDR_ZZJG"]}

    def test_representative_id_number_is_checked_and_never_carried(self) -> None:
        record = normalize("XK", LICENSE)
        assert LICENSE["XK_FR_ZJHM"] not in orjson.dumps(record.payload).decode()
        wrong = LICENSE["XK_FR_ZJHM"][:17] + ("0" if LICENSE["XK_FR_ZJHM"][-1] != "0" else "1")
        assert refusal("XK", dict(LICENSE, XK_FR_ZJHM=wrong)) == ["identifier.id_card.check_digit"]

    def test_masked_representative_id_is_not_checked(self) -> None:
        masked = LICENSE["XK_FR_ZJHM"][:6] + "********" + LICENSE["XK_FR_ZJHM"][14:]
        assert normalize("XK", dict(LICENSE, XK_FR_ZJHM=masked)).warnings == ()

    def test_unknown_personal_id_columns_are_dropped(self) -> None:
        record = normalize("XK", dict(LICENSE, FDDBR_ZJHM="530102198001010000", LXDH="0871-1234567"))
        assert record.payload["extensions"] == {"XK_XDR_ZZJG": LICENSE["XK_XDR_ZZJG"], "LXDH": "0871-1234567"}

    def test_natural_person_is_an_id_card_party(self) -> None:
        party = normalize("XK", PERSON_LICENSE).payload["party"]
        assert party == {
            "name": PERSON_LICENSE["XK_XDR_MC"],
            "code_type": "id_card",
            "code": PERSON_LICENSE["XK_XDR_ZJHM"],
        }

    def test_natural_person_with_a_bad_check_digit(self) -> None:
        number = PERSON_LICENSE["XK_XDR_ZJHM"]
        wrong = number[:17] + ("1" if number[-1] != "1" else "2")
        assert refusal("XK", dict(PERSON_LICENSE, XK_XDR_ZJHM=wrong)) == ["identifier.id_card.check_digit"]

    def test_masked_party_number_is_an_unchecked_code(self) -> None:
        number = PERSON_LICENSE["XK_XDR_ZJHM"]
        record = normalize("XK", dict(PERSON_LICENSE, XK_XDR_ZJHM=number[:10] + "****" + number[14:]))
        assert record.payload["party"]["code_type"] == "other"
        assert warning_codes(record) == ["identifier.id_card.masked"]

    def test_passport_holder(self) -> None:
        row = dict(PERSON_LICENSE, XK_XDR_ZJLX="护照", XK_XDR_ZJHM="E12345678")
        assert normalize("XK", row).payload["party"]["code_type"] == "other"

    def test_organization_code_only(self) -> None:
        record = normalize("XK", without(LICENSE, "XK_XDR_SHXYM"))
        assert record.payload["party"]["code_type"] == "org_code"
        assert "extensions" not in record.payload

    def test_business_registration_number_only(self) -> None:
        row = dict(without(LICENSE, "XK_XDR_SHXYM", "XK_XDR_ZZJG"), XK_XDR_GSZC="530000000123456")
        assert normalize("XK", row).payload["party"] == {
            "name": LICENSE["XK_XDR_MC"],
            "code_type": "other",
            "code": "530000000123456",
        }

    def test_party_without_any_code(self) -> None:
        assert refusal("XK", without(LICENSE, "XK_XDR_SHXYM", "XK_XDR_ZZJG")) == ["credit.missing_field"]

    def test_invalid_party_uscc(self) -> None:
        code = LICENSE["XK_XDR_SHXYM"]
        wrong = code[:17] + ("0" if code[-1] != "0" else "1")
        assert refusal("XK", dict(LICENSE, XK_XDR_SHXYM=wrong)) == ["identifier.uscc.check_digit"]

    def test_full_width_code_is_folded(self) -> None:
        full_width = "".join(chr(ord(char) + 0xFEE0) for char in LICENSE["XK_XDR_SHXYM"])
        assert (
            normalize("XK", dict(LICENSE, XK_XDR_SHXYM=full_width)).payload["party"]["code"]
            == LICENSE["XK_XDR_SHXYM"]
        )

    def test_validity_ending_before_it_starts(self) -> None:
        assert refusal("XK", dict(LICENSE, XK_YXQZI="2020-01-01")) == [
            "credit.date_order",
            "credit.date_order",
        ]

    def test_every_missing_field_is_reported_at_once(self) -> None:
        codes = refusal(
            "XK", without(LICENSE, "XK_WSH", "XK_JDRQ", "XK_XKJG", "XK_XKJGDM", "DATA_TIMESTAMP", "DFBM")
        )
        assert sorted(codes) == sorted(
            [
                "credit.missing_field",
                "credit.missing_field",
                "credit.missing_field",
                "credit.missing_field",
                "credit.no_data_timestamp",
                "credit.no_jurisdiction",
            ]
        )


class TestPenalty:
    def test_money_in_wan_yuan(self) -> None:
        payload = normalize("CF", dict(PENALTY, CF_NR_WFFF="3.46")).payload
        assert payload["fine"] == {"yuan": "128600", "source_value": "12.86", "source_unit": "万元"}
        assert payload["confiscation"] == {"yuan": "34600", "source_value": "3.46", "source_unit": "万元"}

    def test_integer_amount(self) -> None:
        assert normalize("CF", dict(PENALTY, CF_NR_FK=5)).payload["fine"]["yuan"] == "50000"

    def test_float_amount_is_refused(self) -> None:
        assert refusal("CF", dict(PENALTY, CF_NR_FK=12.86)) == ["normalize.money.type"]

    def test_negative_amount(self) -> None:
        assert refusal("CF", dict(PENALTY, CF_NR_FK="-1")) == ["normalize.money.negative"]

    def test_windows_are_kept(self) -> None:
        payload = normalize("CF", PENALTY).payload
        assert (payload["decision_date"], payload["publicity_end"], payload["valid_until"]) == (
            PENALTY["CF_JDRQ"],
            PENALTY["CF_GSJZQ"],
            PENALTY["CF_YXQ"],
        )

    @pytest.mark.parametrize(
        ("publicity_end", "warning"),
        [
            ("2025-06-11", None),  # exactly three months from 2025-03-12
            ("2025-06-10", "credit.penalty.publicity_under_minimum"),
            ("2028-03-12", None),
            ("2028-03-13", "credit.penalty.publicity_over_maximum"),
        ],
    )
    def test_publicity_window_limits(self, publicity_end: str, warning: str | None) -> None:
        record = normalize(
            "CF", dict(PENALTY, CF_JDRQ="2025-03-12", CF_GSJZQ=publicity_end, CF_YXQ="2025-09-11")
        )
        assert warning_codes(record) == ([warning] if warning else [])

    def test_missing_publicity_end_is_warned(self) -> None:
        record = normalize("CF", without(PENALTY, "CF_GSJZQ"))
        assert "publicity_end" not in record.payload
        assert warning_codes(record) == ["credit.penalty.no_publicity_end"]

    def test_publicity_ending_before_the_decision(self) -> None:
        assert refusal("CF", dict(PENALTY, CF_GSJZQ="2024-01-01")) == ["credit.date_order"]

    def test_version_number(self) -> None:
        record = normalize("CF", dict(without(PENALTY, "DATA_TIMESTAMP"), VERSIONNUMBER="20250316152000"))
        assert record.payload["data_timestamp"] == "2025-03-16T15:20:00+08:00"

    def test_date_only_version_is_refused(self) -> None:
        assert refusal("CF", dict(PENALTY, DATA_TIMESTAMP="2025-03-16")) == ["normalize.time.date_only"]

    def test_chinese_dates(self) -> None:
        assert (
            normalize("CF", dict(PENALTY, CF_JDRQ="2025年3月12日")).payload["decision_date"] == "2025-03-12"
        )

    def test_mojibake_text(self) -> None:
        garbled = PENALTY["CF_SY"].encode("gbk").decode("latin-1")
        assert refusal("CF", dict(PENALTY, CF_SY=garbled)) == ["encoding.mojibake"]

    def test_mojibake_code(self) -> None:
        garbled = "昭住建罚".encode().decode("cp1252", errors="replace")
        assert refusal("CF", dict(PENALTY, CF_WSH=garbled)) == ["encoding.mojibake"]

    def test_missing_region(self) -> None:
        assert refusal("CF", without(PENALTY, "DFBM")) == ["credit.no_jurisdiction"]

    def test_prefixed_region_field(self) -> None:
        record = normalize("CF", dict(without(PENALTY, "DFBM"), CF_DFBM="530100"))
        assert record.jurisdiction == "530100"

    @pytest.mark.parametrize(
        ("region", "code"), [("5301", "identifier.region.format"), ("990000", "identifier.region.structure")]
    )
    def test_bad_region(self, region: str, code: str) -> None:
        assert refusal("CF", dict(PENALTY, DFBM=region)) == [code]

    def test_region_missing_from_the_table_is_a_warning(self) -> None:
        record = normalize("CF", dict(PENALTY, DFBM="530199"), WITH_TABLE)
        assert record.jurisdiction == "530199"
        assert warning_codes(record) == ["identifier.region.unknown"]

    def test_natural_person_penalty(self) -> None:
        person = penalty_rows()[-1]
        assert normalize("CF", person).payload["party"]["code_type"] == "id_card"


class TestBlacklist:
    def test_entry_in_force(self) -> None:
        record = normalize("BLACK_LIST", ENTRY)
        payload = record.payload
        assert record.type == "credit.blacklist"
        assert payload["revoked"] is False
        assert (payload["start_date"], payload["end_date"]) == (ENTRY["START_DATE"], ENTRY["END_DATE"])
        assert payload["list_category"] == "失信黑名单"
        assert record.jurisdiction == ENTRY["REGION_CODE"]

    def test_revocation_dataset_implies_the_status(self) -> None:
        row = dict(
            without(ENTRY, "REVOCATION_STATUS"), REVOCATION_DATE="2026-05-20", REVOCATION_REASON="撤销"
        )
        payload = normalize("BLACK_LIST_REVOKE", row).payload
        assert (payload["revoked"], payload["revocation_date"]) == (True, "2026-05-20")

    def test_revocation_by_status(self) -> None:
        payload = normalize(
            "BLACK_LIST", dict(ENTRY, REVOCATION_STATUS="是", REVOCATION_DATE="2026-05-20")
        ).payload
        assert payload["revoked"] is True

    def test_revocation_by_date_alone(self) -> None:
        row = dict(without(ENTRY, "REVOCATION_STATUS"), REVOCATION_DATE="2026-05-20")
        assert normalize("BLACK_LIST", row).payload["revoked"] is True

    def test_revoked_without_a_date(self) -> None:
        assert refusal("BLACK_LIST", dict(ENTRY, REVOCATION_STATUS="1")) == ["credit.missing_field"]
        assert refusal("BLACK_LIST_REVOKE", without(ENTRY, "REVOCATION_STATUS")) == ["credit.missing_field"]

    @pytest.mark.parametrize("dataset", ["BLACK_LIST", "BLACK_LIST_REVOKE"])
    def test_contradictory_status(self, dataset: str) -> None:
        row = dict(ENTRY, REVOCATION_STATUS="0", REVOCATION_DATE="2026-05-20")
        assert refusal(dataset, row) == ["credit.bad_value"]

    def test_unknown_status(self) -> None:
        assert refusal("BLACK_LIST", dict(ENTRY, REVOCATION_STATUS="2")) == ["credit.bad_value"]

    def test_revocation_before_listing(self) -> None:
        row = dict(ENTRY, REVOCATION_STATUS="1", REVOCATION_DATE="2020-01-01")
        assert refusal("BLACK_LIST", row) == ["credit.date_order"]

    def test_old_organization_code(self) -> None:
        old = BY_KEY[BLACKLISTED_BY_OLD_CODE].old_code
        assert old is not None
        party = normalize("BLACK_LIST", dict(ENTRY, BODY_CODE=old.replace("-", ""))).payload["party"]
        assert (party["code_type"], party["code"]) == ("org_code", old)

    def test_natural_person_by_body_type(self) -> None:
        person = blacklist_rows()[-1]
        record = normalize("BLACK_LIST", person)
        assert record.payload["party"]["code_type"] == "id_card"
        assert record.jurisdiction == person["BODY_REGION_CODE"]

    @pytest.mark.parametrize(("declared", "code_type"), [("统一社会信用代码", "uscc"), ("其他", "other")])
    def test_declared_code_type(self, declared: str, code_type: str) -> None:
        payload = normalize("BLACK_LIST", dict(ENTRY, BODY_CODE_TYPE=declared)).payload
        assert payload["party"]["code_type"] == code_type

    def test_declared_code_type_is_checked(self) -> None:
        assert refusal("BLACK_LIST", dict(ENTRY, BODY_CODE_TYPE="身份证")) == ["identifier.id_card.charset"]

    def test_undecidable_code_type(self) -> None:
        assert refusal("BLACK_LIST", dict(ENTRY, BODY_CODE="ABC123")) == ["credit.bad_value"]

    def test_unknown_code_type_name(self) -> None:
        assert refusal("BLACK_LIST", dict(ENTRY, BODY_CODE_TYPE="护照号")) == ["credit.bad_value"]

    def test_list_category(self) -> None:
        assert (
            normalize("BLACK_LIST", dict(without(ENTRY, "F_MDLB"), LIST_CATEGORY="重点关注名单")).payload[
                "list_category"
            ]
            == "重点关注名单"
        )
        assert "list_category" not in normalize("BLACK_LIST", without(ENTRY, "F_MDLB")).payload
        assert refusal("BLACK_LIST", dict(ENTRY, F_MDLB="2")) == ["credit.bad_value"]

    def test_entry_without_end(self) -> None:
        assert warning_codes(normalize("BLACK_LIST", without(ENTRY, "END_DATE"))) == [
            "credit.blacklist.no_end_date"
        ]

    def test_restriction_ending_before_it_starts(self) -> None:
        assert refusal("BLACK_LIST", dict(ENTRY, END_DATE="2020-01-01")) == ["credit.date_order"]

    def test_without_any_region(self) -> None:
        assert refusal("BLACK_LIST", without(ENTRY, "REGION_CODE")) == ["credit.no_jurisdiction"]

    def test_missing_required_fields(self) -> None:
        codes = refusal("BLACK_LIST", without(ENTRY, "BODY_NAME", "BODY_CODE", "RECORD_REASON", "GOVERNMENT"))
        assert codes == ["credit.missing_field"] * 4


class TestRepair:
    def test_approved_penalty_repair(self) -> None:
        payload = normalize("CREDIT_REPAIR", REPAIR).payload
        assert payload["target_type"] == "credit.penalty"
        assert (payload["target_authority_code"], payload["target_reference"]) == (
            REPAIR["TARGET_AUTHORITY_CODE"],
            REPAIR["TARGET_CODE"],
        )
        assert payload["result"] == "approved"
        assert payload["publicity_stopped_on"] == REPAIR["STOP_PUBLICITY_DATE"]

    def test_blacklist_repair_needs_no_authority(self) -> None:
        row = dict(
            without(REPAIR, "TARGET_AUTHORITY_CODE"), TARGET_TYPE="黑名单", TARGET_CODE="YNSXHMD-2025-000201"
        )
        assert normalize("CREDIT_REPAIR", row).payload["target_type"] == "credit.blacklist"

    def test_penalty_repair_needs_its_authority(self) -> None:
        assert refusal("CREDIT_REPAIR", without(REPAIR, "TARGET_AUTHORITY_CODE")) == ["credit.missing_field"]

    def test_approval_needs_a_decision_date(self) -> None:
        assert refusal("CREDIT_REPAIR", without(REPAIR, "DECISION_DATE")) == ["credit.missing_field"]

    def test_pending_needs_none(self) -> None:
        payload = normalize(
            "CREDIT_REPAIR", dict(without(REPAIR, "DECISION_DATE"), REPAIR_RESULT="审核中")
        ).payload
        assert payload["result"] == "pending"

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"REPAIR_RESULT": "9"}, "credit.bad_value"),
            ({"TARGET_TYPE": "XK"}, "credit.bad_value"),
            ({"TARGET_TYPE": ""}, "credit.missing_field"),
            ({"REPAIR_RESULT": None}, "credit.missing_field"),
            ({"DECISION_DATE": "2025-06-01"}, "credit.date_order"),
            ({"REGION_CODE": None}, "credit.no_jurisdiction"),
        ],
    )
    def test_refusals(self, changes: dict[str, str | None], code: str) -> None:
        assert refusal("CREDIT_REPAIR", dict(REPAIR, **changes)) == [code]


class TestNormalizeGuards:
    def test_unknown_dataset(self) -> None:
        assert refusal("RED_LIST", LICENSE) == ["credit.unknown_dataset"]

    def test_row_that_is_not_an_object(self) -> None:
        with pytest.raises(AdapterError) as caught:
            ADAPTER.normalize(RawItem("x#0", "XK", ["not", "a", "row"], b""))  # type: ignore[arg-type]
        assert caught.value.details[0]["code"] == "credit.field_type"

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"XK_XDR_MC": ["a"]}, "credit.field_type"),
            ({"XK_XDR_MC": True}, "credit.field_type"),
            ({"XK_XKWS": "书" * 501}, "credit.too_long"),
            ({"XK_XKBH": "D253\x01"}, "credit.bad_code"),
            ({"XK_XKBH": "D" * 101}, "credit.bad_code"),
            ({"XK_JDRQ": "0999-01-01"}, "credit.bad_value"),
            ({"DATA_TIMESTAMP": "3001-01-01 00:00:00"}, "credit.bad_value"),
            ({"XK_JDRQ": "2024-02-30"}, "normalize.date.invalid"),
            ({"NESTED": {"A": "1"}}, "credit.field_type"),
        ],
    )
    def test_field_problems(self, changes: dict[str, Any], code: str) -> None:
        assert code in refusal("XK", dict(LICENSE, **changes))

    def test_integer_text_field(self) -> None:
        assert normalize("XK", dict(LICENSE, XK_ZT=1)).payload["status"] == "1"

    def test_long_content(self) -> None:
        assert refusal("XK", dict(LICENSE, XK_NR="许" * 200_001)) == ["credit.too_long"]

    def test_schema_guard_refuses_what_the_fields_let_through(self) -> None:
        # An amount precise to 45 decimal places converts exactly but exceeds the 40-character decimal.
        with pytest.raises(AdapterError) as caught:
            ADAPTER.normalize(RawItem("x#0", "CF", dict(PENALTY, CF_NR_FK="1." + "1" * 45), b""))
        assert {(detail["pointer"], detail["code"]) for detail in caught.value.details} == {
            ("/fine/yuan", "schema.maxLength"),
            ("/fine/source_value", "schema.maxLength"),
        }


class TestGolden:
    @pytest.mark.parametrize(
        "path", golden_cases("credit-china", "*.json", "*.csv"), ids=lambda path: path.name
    )
    def test_case(self, path: Path, golden: Callable[[Path, Any], None]) -> None:
        rendered = render(WITH_TABLE, path)
        for item in rendered.get("items", []):
            for record in item.get("records", []):
                validate_payload(record["type"], record["payload"])
                get_record_type(record["type"]).model.model_validate(record["payload"])
        golden(path, rendered)

    def test_every_record_type_has_a_case(self) -> None:
        types = {
            record["type"]
            for path in golden_cases("credit-china", "*.json", "*.csv")
            for item in render(WITH_TABLE, path).get("items", [])
            for record in item.get("records", [])
        }
        assert types == {"credit.license", "credit.penalty", "credit.blacklist", "credit.repair"}


class TestSamples:
    def test_bundled_samples_normalize_without_rejection(self) -> None:
        outcomes = list(sample_records())
        failures = [
            (path.name, item.ref, result.details)
            for path, item, result in outcomes
            if isinstance(result, AdapterError)
        ]
        assert failures == []
        records = [record for _, _, result in outcomes if isinstance(result, list) for record in result]
        for record in records:
            validate_payload(record.type, record.payload)
            get_record_type(record.type).model.model_validate(record.payload)
            assert record.warnings == ()
        counts = {kind: sum(record.type == kind for record in records) for kind in {r.type for r in records}}
        assert counts == {
            "credit.license": 24,
            "credit.penalty": 20,
            "credit.blacklist": 12,
            "credit.repair": 6,
        }

    def test_samples_include_gbk_csv(self) -> None:
        gbk = [path for path in SAMPLES.glob("*.csv") if not _is_utf8(path.read_bytes())]
        assert len(gbk) == 2

    def _records(self, record_type: str) -> list[Mapping[str, Any]]:
        return [
            record.payload
            for _, _, result in sample_records()
            if isinstance(result, list)
            for record in result
            if record.type == record_type
        ]

    def _latest_blacklist(self, code: str) -> Mapping[str, Any]:
        versions = [
            payload for payload in self._records("credit.blacklist") if payload["blacklist_code"] == code
        ]
        return max(versions, key=lambda payload: payload["data_timestamp"])

    def _entries_of(self, key: str) -> list[Mapping[str, Any]]:
        firm = BY_KEY[key]
        return [
            p for p in self._records("credit.blacklist") if p["party"]["code"] in (firm.uscc, firm.old_code)
        ]

    def test_blacklist_in_force(self) -> None:
        [entry] = self._entries_of(BLACKLISTED_IN_FORCE)
        latest = self._latest_blacklist(entry["blacklist_code"])
        assert latest["revoked"] is False
        assert latest["start_date"] <= AS_OF <= latest["end_date"]

    def test_blacklist_revoked_by_a_later_version(self) -> None:
        versions = self._entries_of(BLACKLISTED_REVOKED)
        assert len(versions) == 2
        latest = self._latest_blacklist(versions[0]["blacklist_code"])
        assert latest["revoked"] is True
        assert latest["revocation_date"] <= AS_OF <= latest["end_date"]

    def test_penalty_publicity_expired(self) -> None:
        firm = BY_KEY[PENALTY_EXPIRED]
        [penalty] = [p for p in self._records("credit.penalty") if p["party"]["code"] == firm.uscc]
        assert penalty["publicity_end"] < AS_OF

    def test_blacklist_by_old_code_matches_an_entity(self) -> None:
        [entry] = self._entries_of(BLACKLISTED_BY_OLD_CODE)
        assert entry["party"]["code_type"] == "org_code"
        [company] = [row for row in company_rows() if row.get("OLD_CODE") == entry["party"]["code"]]
        assert company["QY_ORG_CODE"] == BY_KEY[BLACKLISTED_BY_OLD_CODE].uscc
        assert self._latest_blacklist(entry["blacklist_code"])["end_date"] > AS_OF

    def test_readme_lists_the_screening_enterprises(self) -> None:
        readme = (SAMPLES / "README.md").read_text("utf-8")
        for key in (BLACKLISTED_IN_FORCE, BLACKLISTED_REVOKED, PENALTY_EXPIRED, BLACKLISTED_BY_OLD_CODE):
            firm = BY_KEY[key]
            assert firm.old_code is not None
            assert all(text in readme for text in (firm.name, firm.uscc, firm.old_code)), firm.name


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


BAD = {
    "cf_bad_uscc.json": "identifier.uscc.check_digit",
    "xk_bad_id_card.json": "identifier.id_card.check_digit",
    "cf_mojibake.csv": "encoding.mojibake",
    "empty.csv": "file.empty",
    "xk_big5.csv": "encoding.undetectable",
    "unknown_dataset.json": "json.unknown_dataset",
    "black_list_revoked_without_date.json": "credit.missing_field",
    "cf_without_region.json": "credit.no_jurisdiction",
    "truncated.json": "json.malformed",
}


class TestBadSamples:
    def test_every_bad_file_is_listed(self) -> None:
        assert sorted(path.name for path in (SAMPLES / "bad").iterdir()) == sorted(BAD)

    @pytest.mark.parametrize(("name", "code"), sorted(BAD.items()))
    def test_refused_with_its_code(self, name: str, code: str) -> None:
        assert refusal_codes(ADAPTER, (SAMPLES / "bad" / name).read_bytes(), name) == [code]

    @pytest.mark.parametrize(("name", "code"), sorted(BAD.items()))
    def test_documented(self, name: str, code: str) -> None:
        readme = (SAMPLES / "README.md").read_text("utf-8")
        assert re.search(rf"`{re.escape(name)}`.*`{re.escape(code)}`", readme), name


_FIELDS = sorted({name for row in (LICENSE, PERSON_LICENSE, PENALTY, ENTRY, REPAIR) for name in row})
_VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.sampled_from(
        ["2024-02-29", "20240101", "1", "0", "是", "530600", "9153", "XK", "CF", "-1", "1E+3", "****"]
    ),
    st.sampled_from([value for row in (LICENSE, PENALTY, ENTRY, REPAIR) for value in row.values()]),
)


class TestFuzz:
    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        dataset=st.sampled_from(sorted(DATASETS)),
        base=st.sampled_from([LICENSE, PERSON_LICENSE, PENALTY, ENTRY, REPAIR, {}]),
        changes=st.dictionaries(
            st.one_of(st.sampled_from(_FIELDS), st.text(max_size=6)), _VALUES, max_size=8
        ),
    )
    def test_normalize_is_total(self, dataset: str, base: dict[str, Any], changes: dict[str, Any]) -> None:
        outcome = attempt(lambda: ADAPTER.normalize(RawItem("fuzz#0", dataset, {**base, **changes}, b"")))
        if isinstance(outcome, AdapterError):
            assert outcome.details
            assert all(isinstance(detail["code"], str) and detail["code"] for detail in outcome.details)
            return
        for record in outcome:
            validate_payload(record.type, record.payload)
            get_record_type(record.type).model.model_validate(record.payload)
            assert record.jurisdiction == record.payload.get(
                "region_code", record.payload["party"].get("region_code")
            )

    @settings(max_examples=100, deadline=None)
    @given(data=st.binary(max_size=200), name=st.sampled_from(["x.json", "x.csv", "x.xml", ""]))
    def test_split_never_crashes(self, data: bytes, name: str) -> None:
        outcome = attempt(lambda: list(ADAPTER.split(data, filename=name)))
        if isinstance(outcome, AdapterError):
            assert outcome.details
        else:
            assert all(isinstance(item, RawItem | RejectedItem) for item in outcome)
