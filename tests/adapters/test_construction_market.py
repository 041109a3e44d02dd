from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import row_upload
from adapters.base import NormalizedRecord, RawItem, RejectedItem
from adapters.construction_market import (
    ADAPTER,
    DATASETS,
    DEVELOPMENT_PERSON_KEY,
    ConstructionMarketAdapter,
    dataset_of_fields,
)
from adapters.row_fields import RowFields
from adapters.row_records import add_months, finished_record, keyed_person_id
from schemas.errors import AdapterError
from schemas.regions import RegionTable
from schemas.registry import get_record_type, validate_payload
from tests.adapters.conftest import golden_cases
from tests.adapters.make_construction_samples import (
    ENTERPRISES,
    company_rows,
    project_rows,
    qualification_rows,
    staff_rows,
    xml_document,
)
from tests.adapters.test_credit_china import attempt, refusal_codes, render

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples" / "construction-market"
REGIONS = RegionTable.load(
    ROOT / "config/regions/gbt2260-2023.csv", ROOT / "config/regions/gbt2260-retired-2002-2014.csv"
)
WITH_TABLE = ConstructionMarketAdapter(person_key=DEVELOPMENT_PERSON_KEY, regions=REGIONS)

COMPANY = company_rows()[0]
NEW_COMPANY = company_rows()[3]
QUALIFICATION = qualification_rows()[0]
STAFF = staff_rows()[0]
PROJECT = project_rows()[0]


def normalize(
    dataset: str, row: dict[str, Any], adapter: ConstructionMarketAdapter = ADAPTER
) -> NormalizedRecord:
    [record] = adapter.normalize(RawItem("test#0", dataset, row, b""))
    validate_payload(record.type, record.payload)
    get_record_type(record.type).model.model_validate(record.payload)
    return record


def refusal(dataset: str, row: dict[str, Any]) -> list[str]:
    with pytest.raises(AdapterError) as caught:
        ADAPTER.normalize(RawItem("test#0", dataset, row, b""))
    return [detail["code"] for detail in caught.value.details]


def without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in names}


def warning_codes(record: NormalizedRecord) -> list[str]:
    return [warning["code"] for warning in record.warnings]


class TestConstructor:
    def test_short_key_is_refused(self) -> None:
        with pytest.raises(ValueError, match="16 bytes"):
            ConstructionMarketAdapter(person_key=b"short")

    def test_text_key_is_refused(self) -> None:
        with pytest.raises(ValueError, match="person_key"):
            ConstructionMarketAdapter(person_key="a text key of enough length")  # type: ignore[arg-type]

    def test_identity(self) -> None:
        assert (ADAPTER.name, ADAPTER.version) == ("construction-market", "1")


class TestKeyedPersonId:
    def test_hmac_of_the_normalized_number(self) -> None:
        expected = hmac.new(b"k" * 16, b"11010519491231002X", hashlib.sha256).hexdigest()
        assert keyed_person_id(b"k" * 16, " 11010519491231002x ") == f"hmac-sha256:{expected}"

    def test_the_key_decides(self) -> None:
        record = normalize("JZSC_REG_STAFF", STAFF)
        other = ConstructionMarketAdapter(person_key=b"another node's key, 32 bytes ok")
        assert normalize("JZSC_REG_STAFF", STAFF, other).payload["person_id"] != record.payload["person_id"]
        assert record.payload["person_id"] == keyed_person_id(DEVELOPMENT_PERSON_KEY, STAFF["IDCARD"])


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "result"),
        [("2024-02-29", 12, "2025-02-28"), ("2025-01-31", 1, "2025-02-28"), ("2025-11-15", 3, "2026-02-15")],
    )
    def test_month_ends_clamp(self, day: str, months: int, result: str) -> None:
        from datetime import date

        assert add_months(date.fromisoformat(day), months).isoformat() == result


class TestDatasetOfFields:
    @pytest.mark.parametrize(
        ("names", "dataset"),
        [
            (["QY_ORG_CODE", "QY_NAME", "OLD_CODE"], "JZSC_COMPANY"),
            (["QY_ORG_CODE", "APT_CERTNO"], "JZSC_QUALIFICATION"),
            (["QY_ORG_CODE", "RY_NAME", "IDCARD"], "JZSC_REG_STAFF"),
            (["reg_certno"], "JZSC_REG_STAFF"),
            (["PRJNUM", "PRJNAME"], "JZSC_PROJECT"),
            (["APT_CERTNO", "RY_NAME"], None),
            (["NAME"], None),
        ],
    )
    def test_recognition(self, names: list[str], dataset: str | None) -> None:
        assert dataset_of_fields(names) == dataset


class TestSplit:
    def test_json_list(self) -> None:
        found = list(ADAPTER.split(orjson.dumps([COMPANY, QUALIFICATION, STAFF, PROJECT]), filename="a.json"))
        assert [item.dataset for item in found if isinstance(item, RawItem)] == list(DATASETS)

    def test_xml_projects(self) -> None:
        found = list(ADAPTER.split(xml_document("JZSC_PROJECT", project_rows()[:3]), filename="p.xml"))
        assert [item.ref for item in found] == ["p.xml#0", "p.xml#1", "p.xml#2"]
        assert all(isinstance(item, RawItem) and item.dataset == "JZSC_PROJECT" for item in found)

    def test_xml_sniffed(self) -> None:
        [item] = ADAPTER.split(xml_document("JZSC_COMPANY", [{"QY_NAME": "某公司"}]), content_type="text/xml")
        assert isinstance(item, RawItem)
        assert item.dataset == "JZSC_COMPANY"

    def test_csv_with_field_codes(self) -> None:
        data = (
            "QY_ORG_CODE,QY_NAME,QY_REGION,COLLECT_TIME\n"
            + f"{COMPANY['QY_ORG_CODE']},{COMPANY['QY_NAME']},530102,"
            f"{COMPANY['COLLECT_TIME']}\n"
        ).encode("gbk")
        [item] = ADAPTER.split(data, filename="qy.csv")
        assert isinstance(item, RawItem)
        assert normalize(item.dataset, dict(item.row)).type == "entity"

    def test_csv_of_no_dataset(self) -> None:
        with pytest.raises(AdapterError) as caught:
            list(ADAPTER.split(b"A,B\n1,2\n", filename="x.csv"))
        assert caught.value.details[0]["code"] == "construction.unknown_dataset"

    def test_mismatch_and_unknown_rows(self) -> None:
        found = list(
            ADAPTER.split(orjson.dumps({"dataset": "JZSC_PROJECT", "records": [COMPANY, {"A": "1"}]}))
        )
        assert isinstance(found[0], RejectedItem)
        assert found[0].reasons[0]["code"] == "construction.dataset_mismatch"
        assert isinstance(found[1], RawItem)
        [unknown] = ADAPTER.split(orjson.dumps([{"A": "1"}]))
        assert isinstance(unknown, RejectedItem)
        assert unknown.reasons[0]["code"] == "construction.unknown_dataset"

    @pytest.mark.parametrize(
        ("data", "filename", "code"),
        [
            (b"", "a.json", "file.empty"),
            (orjson.dumps({"dataset": "JZSC_BID", "records": [COMPANY]}), "", "json.unknown_dataset"),
            ('{"records": [{"QY_NAME": "云南某公司"}]}'.encode("gbk"), "", "encoding.undeclared_mismatch"),
            (xml_document("JZSC_PROJECT", [PROJECT])[:300], "", "xml.truncated"),
            (b'<!DOCTYPE x [<!ENTITY a "b">]><JZSC_PROJECT/>', "", "xml.entity_expansion"),
        ],
    )
    def test_unreadable_uploads(self, data: bytes, filename: str, code: str) -> None:
        with pytest.raises(AdapterError) as caught:
            list(ADAPTER.split(data, filename=filename))
        assert caught.value.details[0]["code"] == code

    def test_oversized_json(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(row_upload, "MAX_UPLOAD_BYTES", 64)
        with pytest.raises(AdapterError) as caught:
            list(ADAPTER.split(orjson.dumps([COMPANY]), filename="a.json"))
        assert caught.value.details[0]["code"] == "json.too_large"


class TestEntity:
    def test_company(self) -> None:
        record = normalize("JZSC_COMPANY", COMPANY)
        payload = record.payload
        assert (record.type, record.jurisdiction) == ("entity", COMPANY["QY_REGION"])
        assert (payload["uscc"], payload["old_org_code"]) == (COMPANY["QY_ORG_CODE"], COMPANY["OLD_CODE"])
        assert payload["collected_at"] == payload["data_timestamp"]
        assert payload["collected_at"].endswith("+08:00")

    def test_collect_time_in_china_time(self) -> None:
        row = dict(COMPANY, COLLECT_TIME=1_700_000_000_000)
        assert normalize("JZSC_COMPANY", row).payload["collected_at"] == "2023-11-15T06:13:20+08:00"

    def test_explicit_version_wins(self) -> None:
        payload = normalize("JZSC_COMPANY", dict(COMPANY, DATA_TIMESTAMP="2026-11-21 08:00:00")).payload
        assert payload["data_timestamp"] == "2026-11-21T08:00:00+08:00"

    def test_firm_without_old_code(self) -> None:
        assert "old_org_code" not in normalize("JZSC_COMPANY", NEW_COMPANY).payload

    def test_old_code_not_embedded_in_the_uscc(self) -> None:
        record = normalize("JZSC_COMPANY", dict(COMPANY, OLD_CODE=NEW_COMPANY["QY_ORG_CODE"][8:17]))
        assert warning_codes(record) == ["construction.old_code_mismatch"]

    @pytest.mark.parametrize(
        ("changes", "codes"),
        [
            ({"QY_ORG_CODE": COMPANY["QY_ORG_CODE"][:17] + "0"}, ["identifier.uscc.check_digit"]),
            ({"QY_ORG_CODE": "915301022165201"}, ["identifier.uscc.length"]),
            ({"OLD_CODE": COMPANY["OLD_CODE"][:-1] + "0"}, ["identifier.org_code.check_digit"]),
            ({"QY_REGION": None}, ["construction.no_jurisdiction"]),
            ({"QY_REGION": "5301"}, ["identifier.region.format"]),
            ({"COLLECT_TIME": 12}, ["construction.bad_value", "construction.no_data_timestamp"]),
            ({"COLLECT_TIME": None}, ["construction.no_data_timestamp"]),
            ({"QY_NAME": "ÔÆÄÏµá½¨"}, ["encoding.mojibake"]),
        ],
    )
    def test_refusals(self, changes: dict[str, Any], codes: list[str]) -> None:
        assert refusal("JZSC_COMPANY", {**COMPANY, **changes}) == codes

    def test_region_missing_from_the_table(self) -> None:
        record = normalize("JZSC_COMPANY", dict(COMPANY, QY_REGION="530199"), WITH_TABLE)
        assert warning_codes(record) == ["identifier.region.unknown"]


class TestQualification:
    def test_mapping(self) -> None:
        payload = normalize("JZSC_QUALIFICATION", QUALIFICATION).payload
        assert payload["qualification_name"] == QUALIFICATION["APT_NAME"]
        assert payload["grade"] == "一级"
        assert payload["status"] == "valid"
        assert (payload["issue_date"], payload["expiry_date"]) == (
            QUALIFICATION["APT_GET_DATE"],
            QUALIFICATION["APT_EDATE"],
        )

    def test_explicit_grade_and_ungraded_names(self) -> None:
        assert (
            normalize("JZSC_QUALIFICATION", dict(QUALIFICATION, APT_GRADE="壹级")).payload["grade"] == "壹级"
        )
        assert (
            "grade"
            not in normalize("JZSC_QUALIFICATION", dict(QUALIFICATION, APT_NAME="特种工程专业承包")).payload
        )

    @pytest.mark.parametrize(
        ("status", "value"), [("过期", "expired"), ("注销", "revoked"), ("暂扣", "suspended")]
    )
    def test_status(self, status: str, value: str) -> None:
        assert (
            normalize("JZSC_QUALIFICATION", dict(QUALIFICATION, APT_STATUS=status)).payload["status"] == value
        )

    @pytest.mark.parametrize(
        ("changes", "codes"),
        [
            ({"APT_STATUS": "待审"}, ["construction.bad_value"]),
            ({"APT_EDATE": "2020-01-01"}, ["construction.date_order"]),
            (
                {"APT_CERTNO": None, "APT_NAME": " "},
                ["construction.missing_field", "construction.missing_field"],
            ),
            ({"QY_REGION": None}, ["construction.no_jurisdiction"]),
        ],
    )
    def test_refusals(self, changes: dict[str, Any], codes: list[str]) -> None:
        assert refusal("JZSC_QUALIFICATION", {**QUALIFICATION, **changes}) == codes


class TestStaff:
    def test_id_number_travels_only_as_its_hash(self) -> None:
        payload = normalize("JZSC_REG_STAFF", STAFF).payload
        assert STAFF["IDCARD"] not in orjson.dumps(payload).decode()
        assert re.fullmatch(r"hmac-sha256:[0-9a-f]{64}", payload["person_id"])
        assert payload["registration_type_code"] == "RY_ZCLB_071"
        assert (payload["valid_from"], payload["valid_to"]) == (STAFF["REG_SDATE"], STAFF["REG_EDATE"])

    def test_bad_check_digit(self) -> None:
        number = STAFF["IDCARD"]
        wrong = number[:17] + ("1" if number[-1] != "1" else "2")
        assert refusal("JZSC_REG_STAFF", dict(STAFF, IDCARD=wrong)) == ["identifier.id_card.check_digit"]

    def test_masked_number_cannot_identify_a_person(self) -> None:
        masked = STAFF["IDCARD"][:10] + "****" + STAFF["IDCARD"][14:]
        assert refusal("JZSC_REG_STAFF", dict(STAFF, IDCARD=masked)) == ["identifier.id_card.charset"]

    def test_other_documents_are_hashed_unchecked(self) -> None:
        row = dict(STAFF, RY_CARDTYPE_NAME="台湾居民来往大陆通行证", IDCARD="0123 4567")
        payload = normalize("JZSC_REG_STAFF", row).payload
        assert payload["person_id"] == keyed_person_id(DEVELOPMENT_PERSON_KEY, "01234567")

    def test_sex_disagreeing_with_the_number(self) -> None:
        other = "女" if STAFF["RY_SEX_NAME"] == "男" else "男"
        record = normalize("JZSC_REG_STAFF", dict(STAFF, RY_SEX_NAME=other))
        assert warning_codes(record) == ["construction.staff.sex_mismatch"]

    def test_explicit_type_code(self) -> None:
        payload = normalize(
            "JZSC_REG_STAFF", dict(STAFF, REG_TYPE_NAME="一级注册结构工程师", REG_TYPE_CODE="RY_ZCLB_011")
        ).payload
        assert payload["registration_type_code"] == "RY_ZCLB_011"

    @pytest.mark.parametrize(
        ("changes", "codes"),
        [
            ({"IDCARD": None}, ["construction.missing_field"]),
            ({"RY_SEX_NAME": "M"}, ["construction.bad_value"]),
            ({"REG_EDATE": "2020-01-01"}, ["construction.date_order"]),
            (
                {"REG_CERTNO": "", "REG_TYPE_NAME": None},
                ["construction.missing_field", "construction.missing_field"],
            ),
        ],
    )
    def test_refusals(self, changes: dict[str, Any], codes: list[str]) -> None:
        assert refusal("JZSC_REG_STAFF", {**STAFF, **changes}) == codes


class TestProject:
    def test_mapping(self) -> None:
        record = normalize("JZSC_PROJECT", PROJECT)
        payload = record.payload
        assert (record.type, record.jurisdiction) == ("project", PROJECT["COUNTYNUM"])
        assert payload["total_investment"] == {
            "yuan": "128503600",
            "source_value": "12850.36",
            "source_unit": "万元",
        }
        assert payload["invest_project_code"] == PROJECT["PRJCODE"]
        assert payload["contribution_scale"] == "国有资金100%"
        assert payload["legal_person"] == PROJECT["BUILDCORPNAME"]
        extensions = payload["extensions"]
        for name in (
            "BUILDCORPCODE",
            "PRJAPPROVALDATE",
            "BEGINDATE",
            "ENDDATE",
            "ALLAREA",
            "PRJTYPENUM",
            "PROVINCEPRJNUM",
        ):
            assert extensions[name] == PROJECT[name]

    def test_least_specific_region_given(self) -> None:
        record = normalize("JZSC_PROJECT", without(PROJECT, "COUNTYNUM", "CITYNUM"))
        assert record.jurisdiction == PROJECT["PROVINCENUM"]

    @pytest.mark.parametrize(
        ("changes", "codes"),
        [
            ({"COUNTYNUM": None, "CITYNUM": "", "PROVINCENUM": None}, ["construction.no_jurisdiction"]),
            ({"ALLAREA": "4.5万"}, ["construction.bad_value"]),
            ({"NATIONALPERCENTTAGE": "120"}, ["construction.bad_value"]),
            ({"PRJCODE": "2401-530111-04-01"}, ["identifier.invest_project_code.format"]),
            ({"BUILDCORPCODE": PROJECT["BUILDCORPCODE"][:17] + "0"}, ["identifier.uscc.check_digit"]),
            ({"ENDDATE": "2020-01-01"}, ["construction.date_order"]),
            ({"CREATEDATE": "2024-01-05"}, ["normalize.time.date_only"]),
            ({"ALLINVEST": "一千万"}, ["normalize.money.invalid"]),
        ],
    )
    def test_refusals(self, changes: dict[str, Any], codes: list[str]) -> None:
        assert refusal("JZSC_PROJECT", {**PROJECT, **changes}) == codes


class TestFinishedRecord:
    def test_a_record_without_jurisdiction_is_refused(self) -> None:
        fields = RowFields({}, area="construction")
        payload = {
            "data_timestamp": "2026-11-22T10:00:00+08:00",
            "uscc": COMPANY["QY_ORG_CODE"],
            "qualification_type": "施工总承包",
            "certificate_no": "D253000001",
            "qualification_name": "建筑工程施工总承包一级",
        }
        with pytest.raises(AdapterError) as caught:
            finished_record("entity.qualification", payload, fields, ref="x")
        assert caught.value.details[0]["code"] == "construction.no_jurisdiction"

    def test_unknown_dataset_and_bad_rows(self) -> None:
        assert refusal("JZSC_BID", COMPANY) == ["construction.unknown_dataset"]
        with pytest.raises(AdapterError) as caught:
            ADAPTER.normalize(RawItem("x", "JZSC_COMPANY", "row", b""))  # type: ignore[arg-type]
        assert caught.value.details[0]["code"] == "construction.field_type"


class TestGolden:
    @pytest.mark.parametrize(
        "path", golden_cases("construction-market", "*.json", "*.xml"), ids=lambda path: path.name
    )
    def test_case(self, path: Path, golden: Callable[[Path, Any], None]) -> None:
        rendered = render(WITH_TABLE, path)
        for item in rendered.get("items", []):
            for record in item.get("records", []):
                validate_payload(record["type"], record["payload"])
                get_record_type(record["type"]).model.model_validate(record["payload"])
        golden(path, rendered)


class TestSamples:
    def test_bundled_samples_normalize_without_rejection(self) -> None:
        records: list[NormalizedRecord] = []
        for path in sorted(SAMPLES.iterdir()):
            if path.is_dir() or path.suffix == ".md":
                continue
            for item in ADAPTER.split(path.read_bytes(), filename=path.name):
                assert isinstance(item, RawItem), (path.name, item)
                records.extend(ADAPTER.normalize(item))
        for record in records:
            validate_payload(record.type, record.payload)
            get_record_type(record.type).model.model_validate(record.payload)
            assert record.warnings == ()
        counts = {kind: sum(record.type == kind for record in records) for kind in set(DATASETS.values())}
        assert counts == {"entity": 20, "entity.qualification": 30, "entity.staff": 24, "project": 12}

    def test_every_old_code_is_the_one_its_uscc_embeds(self) -> None:
        old_firms = [firm for firm in ENTERPRISES if firm.old_code is not None]
        assert len(old_firms) >= 12
        assert all(firm.uscc[8:17] == firm.old_code.replace("-", "") for firm in old_firms if firm.old_code)


BAD = {
    "company_bad_uscc.json": "identifier.uscc.check_digit",
    "company_bad_old_code.json": "identifier.org_code.check_digit",
    "staff_bad_id_card.json": "identifier.id_card.check_digit",
    "company_mojibake.json": "encoding.mojibake",
    "empty.json": "file.empty",
    "projects_gbk.json": "encoding.undeclared_mismatch",
    "unknown_dataset.xml": "xml.unknown_dataset",
    "truncated.xml": "xml.truncated",
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


_FIELDS = sorted({name for row in (COMPANY, QUALIFICATION, STAFF, PROJECT) for name in row})
_VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.sampled_from(
        ["2024-02-29", "1700000000000", "100", "男", "有效", "530000", "4.5", "1E+3", "****", "居民身份证"]
    ),
    st.sampled_from([value for row in (COMPANY, QUALIFICATION, STAFF, PROJECT) for value in row.values()]),
)


class TestFuzz:
    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        dataset=st.sampled_from(sorted(DATASETS)),
        base=st.sampled_from([COMPANY, NEW_COMPANY, QUALIFICATION, STAFF, PROJECT, {}]),
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
            assert record.jurisdiction == record.payload["region_code"]

    @settings(max_examples=100, deadline=None)
    @given(data=st.binary(max_size=200), name=st.sampled_from(["x.json", "x.csv", "x.xml", ""]))
    def test_split_never_crashes(self, data: bytes, name: str) -> None:
        outcome = attempt(lambda: list(ADAPTER.split(data, filename=name)))
        if isinstance(outcome, AdapterError):
            assert outcome.details
        else:
            assert all(isinstance(item, RawItem | RejectedItem) for item in outcome)
