"""schemas.registry: lookup, the hot-path validator's error details, business keys, jurisdiction."""

from __future__ import annotations

import math
from typing import Any

import pytest

from schemas.errors import RecordInvalidError, UnknownRecordTypeError
from schemas.registry import (
    MAX_ERROR_DETAILS,
    RECORD_TYPES,
    business_key,
    get_record_type,
    jurisdiction_of,
    schema_name,
    validate_payload,
)

DESIGN_TYPES = [
    "project",
    "tender.project",
    "tender.section",
    "tender.notice",
    "tender.opening",
    "tender.bid",
    "tender.evaluation",
    "tender.candidate",
    "tender.award",
    "contract",
    "entity",
    "entity.qualification",
    "entity.staff",
    "expert",
    "credit.license",
    "credit.penalty",
    "credit.blacklist",
    "credit.repair",
    "complaint",
    "complaint.event",
    "remote_evaluation",
    "remote_evaluation.event",
    "obligation",
    "access.event",
]


def invalid_details(record_type: str, payload: Any) -> list[dict[str, str]]:
    with pytest.raises(RecordInvalidError) as caught:
        validate_payload(record_type, payload)
    assert caught.value.code == "record.invalid"
    return caught.value.details


def codes_at(details: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(detail["pointer"], detail["code"]) for detail in details}


# Types added to DESIGN.md §4.1 on purpose (README "Contract additions").
ADDED_TYPES = ["alert"]


class TestGetRecordType:
    def test_registry_holds_exactly_the_design_types_in_order(self) -> None:
        assert list(RECORD_TYPES) == DESIGN_TYPES + ADDED_TYPES

    def test_record_type_carries_schema_and_model(self) -> None:
        award = get_record_type("tender.award")
        assert award.version == 1
        assert award.schema_id == "urn:ggzy-gateway:schema:tender.award/1"
        assert award.json_schema["$id"] == award.schema_id
        assert award.json_schema["x-business-key"] == ["tender_project_code", "bid_section_code"]
        assert award.model.record_type == "tender.award"
        assert award.business_key == ("tender_project_code", "bid_section_code")

    @pytest.mark.parametrize("name", ["tender.awards", "", "TENDER.AWARD", "tender.award/1"])
    def test_unknown_name_is_refused_with_its_code(self, name: str) -> None:
        with pytest.raises(UnknownRecordTypeError) as caught:
            get_record_type(name)
        assert caught.value.code == "record.unknown_type"
        assert caught.value.status == 422

    def test_unknown_name_is_not_echoed_in_full(self) -> None:
        with pytest.raises(UnknownRecordTypeError) as caught:
            get_record_type("x" * 10_000)
        assert len(caught.value.message) < 100

    def test_validate_payload_refuses_unknown_type(self, example_of) -> None:
        with pytest.raises(UnknownRecordTypeError) as caught:
            validate_payload("tender.bids", example_of("tender.bid"))
        assert caught.value.code == "record.unknown_type"

    def test_schema_name(self) -> None:
        assert schema_name("tender.award") == "tender.award/1"
        assert schema_name("remote_evaluation.event") == "remote_evaluation.event/1"
        with pytest.raises(UnknownRecordTypeError):
            schema_name("nope")


class TestValidatePayload:
    @pytest.mark.parametrize("record_type", DESIGN_TYPES)
    def test_example_passes(self, record_type: str, example_of) -> None:
        validate_payload(record_type, example_of(record_type))  # raises RecordInvalidError otherwise

    def test_missing_required_field_points_at_the_field(self, example_of) -> None:
        award = example_of("tender.award")
        del award["notice_name"]
        del award["win_bidder"]["code"]
        assert codes_at(invalid_details("tender.award", award)) == {
            ("/notice_name", "schema.required"),
            ("/win_bidder/code", "schema.required"),
        }

    def test_each_extra_field_is_its_own_detail_with_escaped_pointer(self, example_of) -> None:
        award = example_of("tender.award")
        award["a/b"] = 1
        award["c~d"] = 2
        assert codes_at(invalid_details("tender.award", award)) == {
            ("/a~1b", "schema.additionalProperties"),
            ("/c~0d", "schema.additionalProperties"),
        }

    def test_identifier_failures_have_identifier_codes(self, example_of) -> None:
        award = example_of("tender.award")
        award["win_bidder"]["code"] = award["win_bidder"]["code"][:-1] + "0"  # spoil the check character
        award["region_code"] = "990000"
        award["unified_deal_code"] = "12530600MB1E47030R202411050001231"
        assert codes_at(invalid_details("tender.award", award)) == {
            ("/win_bidder/code", "identifier.uscc"),
            ("/region_code", "identifier.region-code"),
            ("/unified_deal_code", "identifier.unified-deal-code"),
        }

    def test_party_code_is_checked_by_its_code_type(self, example_of) -> None:
        award = example_of("tender.award")
        award["win_bidder"]["code_type"] = "id_card"
        assert codes_at(invalid_details("tender.award", award)) == {
            ("/win_bidder/code", "identifier.cn-id-card")
        }
        award["win_bidder"]["code_type"] = "other"
        validate_payload("tender.award", award)

    def test_timestamp_without_offset(self, example_of) -> None:
        award = example_of("tender.award")
        award["notice_send_time"] = "2024-12-04T09:00:00"
        details = invalid_details("tender.award", award)
        assert ("/notice_send_time", "schema.pattern") in codes_at(details)
        assert all(detail["pointer"] == "/notice_send_time" for detail in details)
        assert "offset" in details[0]["message"]

    def test_nested_list_pointers_and_bad_money(self, example_of) -> None:
        candidate = example_of("tender.candidate")
        candidate["candidates"][1]["order"] = 0
        candidate["candidates"][0]["win_price"]["yuan"] = "4,012.68"
        candidate["candidates"][0]["win_price"].pop("source_unit")
        assert codes_at(invalid_details("tender.candidate", candidate)) == {
            ("/candidates/1/order", "schema.minimum"),
            ("/candidates/0/win_price/yuan", "schema.pattern"),
            ("/candidates/0/win_price/source_unit", "schema.required"),
        }

    def test_wrong_type_and_enum(self, example_of) -> None:
        complaint = example_of("complaint")
        complaint["requests"] = "撤销"
        complaint["trade_type"] = "建设工程"
        details = invalid_details("complaint", complaint)
        assert codes_at(details) == {("/requests", "schema.type"), ("/trade_type", "schema.enum")}
        assert (
            next(d for d in details if d["code"] == "schema.type")["message"]
            == "expected array, found string"
        )

    def test_kind_dependent_requirements(self, example_of) -> None:
        event = example_of("remote_evaluation.event")
        event["kind"] = "check_in"
        assert codes_at(invalid_details("remote_evaluation.event", event)) == {
            ("/expert_id", "schema.required"),
            ("/venue_code", "schema.required"),
        }

    def test_null_is_refused(self, example_of) -> None:
        award = example_of("tender.award")
        award["url"] = None
        assert codes_at(invalid_details("tender.award", award)) == {("/url", "schema.type")}

    def test_lists_every_problem_up_to_the_cap(self, example_of) -> None:
        award = example_of("tender.award")
        for index in range(MAX_ERROR_DETAILS + 20):
            award[f"extra_{index}"] = index
        details = invalid_details("tender.award", award)
        assert len(details) == MAX_ERROR_DETAILS
        assert {detail["code"] for detail in details} == {"schema.additionalProperties"}

    def test_messages_never_echo_the_value(self, example_of) -> None:
        award = example_of("tender.award")
        secret = "530102198002294515"
        award["notice_name"] = "名" * 20_000
        award["win_bidder"]["code"] = secret[:-1] + "0"
        award["region_code"] = secret
        with pytest.raises(RecordInvalidError) as caught:
            validate_payload("tender.award", award)
        text = caught.value.message + repr(caught.value.details)
        assert secret[:-1] not in text
        assert "名名名" not in text
        assert all(len(detail["message"]) < 120 for detail in caught.value.details)

    @pytest.mark.parametrize("payload", [[1, 2], "text", 3, None])
    def test_payload_that_is_not_an_object(self, payload: Any) -> None:
        assert codes_at(invalid_details("entity", payload)) == {("", "schema.type")}

    def test_value_json_cannot_carry(self, example_of) -> None:
        opening = example_of("tender.opening")
        opening["bidder_count"] = math.nan
        assert {detail["code"] for detail in invalid_details("tender.opening", opening)} == {"schema.type"}

    def test_non_string_keys(self, example_of) -> None:
        opening: dict[Any, Any] = example_of("tender.opening")
        opening[7] = "x"
        assert invalid_details("tender.opening", opening)[0]["code"] == "schema.type"


class TestBusinessKey:
    @pytest.mark.parametrize(
        ("record_type", "expected"),
        [
            ("project", ("A015306212411050001",)),
            ("tender.award", ("A015306212411050001001", "A015306212411050001001001")),
            ("tender.bid", ("A015306212411050001001", "A015306212411050001001001", "91530621MA6N7Q8RXK")),
            ("credit.penalty", ("115306210153062130", "鲁交罚〔2024〕12号")),
            ("complaint.event", ("TS-530621-2024-0007", "2")),
            ("entity", ("91530621MA6N7Q8RXK",)),
        ],
    )
    def test_key_values_in_declared_order(
        self, record_type: str, expected: tuple[str, ...], example_of
    ) -> None:
        assert business_key(record_type, example_of(record_type)) == expected

    @pytest.mark.parametrize("record_type", DESIGN_TYPES)
    def test_every_example_has_a_complete_key(self, record_type: str, example_of) -> None:
        key = business_key(record_type, example_of(record_type))
        assert len(key) == len(RECORD_TYPES[record_type].business_key)
        assert all(isinstance(part, str) and part for part in key)

    def test_missing_key_field(self, example_of) -> None:
        bid = example_of("tender.bid")
        del bid["bidder"]["code"]
        with pytest.raises(RecordInvalidError) as caught:
            business_key("tender.bid", bid)
        assert caught.value.details == [
            {"pointer": "/bidder/code", "code": "schema.required", "message": "business key field"}
        ]


class TestJurisdiction:
    @pytest.mark.parametrize(
        ("record_type", "expected"),
        [
            ("project", "530621"),
            ("remote_evaluation", "530600"),
            ("obligation", "530600"),
            ("access.event", "530600"),
        ],
    )
    def test_first_present_field(self, record_type: str, expected: str, example_of) -> None:
        assert jurisdiction_of(record_type, example_of(record_type)) == expected

    def test_falls_back_then_gives_up(self, example_of) -> None:
        penalty = example_of("credit.penalty")
        del penalty["region_code"]
        assert jurisdiction_of("credit.penalty", penalty) == penalty["party"]["region_code"]
        del penalty["party"]["region_code"]
        assert jurisdiction_of("credit.penalty", penalty) is None
