"""schemas.base value types and the record models' declarations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas.base import (
    Condition,
    Date,
    Money,
    Party,
    StandardModel,
    StandardRecord,
    Timestamp,
)
from schemas.models.catalog import RECORD_MODELS
from schemas.models.remote_evaluation import RemoteEvaluationEvent
from schemas.registry import RECORD_TYPES


class _Stamped(StandardModel):
    at: Timestamp
    on: Date | None = None


def accepts(model: type[BaseModel], data: Any) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


class TestTimestamp:
    @pytest.mark.parametrize(
        "value",
        ["2026-11-22T10:00:00+08:00", "2026-11-22T02:00:00Z", "2024-02-29T23:59:59.123456789-05:30"],
    )
    def test_rfc3339_with_offset_is_accepted_verbatim(self, value: str) -> None:
        assert _Stamped.model_validate({"at": value}).at == value

    @pytest.mark.parametrize(
        "value",
        [
            "2026-11-22T10:00:00",  # no offset
            "2026-11-22 10:00:00+08:00",
            "2026-11-22t10:00:00+08:00",
            "2026-11-22T10:00:00+0800",
            "2025-02-29T10:00:00+08:00",  # not a leap year
            "2026-11-22T24:00:00+08:00",
            "2026-12-31T23:59:60Z",  # leap seconds are not accepted
            "2026-11-22T10:00:00.1234567890+08:00",
            "2026-11-22T10:00:00+08:00\n",
            "２０２６-11-22T10:00:00+08:00",
        ],
    )
    def test_everything_else_is_refused(self, value: str) -> None:
        assert not accepts(_Stamped, {"at": value})

    def test_a_datetime_object_is_not_a_timestamp(self) -> None:
        assert not accepts(_Stamped, {"at": datetime(2026, 11, 22, 10, 0)})  # noqa: DTZ001

    @settings(max_examples=200)
    @given(st.datetimes(timezones=st.timezones()))
    def test_accepts_what_python_formats_with_an_offset(self, moment: datetime) -> None:
        text = moment.isoformat(timespec="seconds")
        parseable_offset = moment.utcoffset() is not None and moment.utcoffset().seconds % 60 == 0  # type: ignore[union-attr]
        if 1000 <= moment.year <= 2999 and parseable_offset:  # the pattern covers years 1000-2999
            assert accepts(_Stamped, {"at": text})

    @settings(max_examples=200)
    @given(st.datetimes())
    def test_refuses_naive_times(self, moment: datetime) -> None:
        assert not accepts(_Stamped, {"at": moment.isoformat()})


class TestDate:
    def test_real_dates_only(self) -> None:
        assert accepts(_Stamped, {"at": "2024-01-01T00:00:00Z", "on": "2024-02-29"})
        assert not accepts(_Stamped, {"at": "2024-01-01T00:00:00Z", "on": "2023-02-29"})
        assert not accepts(_Stamped, {"at": "2024-01-01T00:00:00Z", "on": "20240229"})


class TestMoney:
    def test_yuan_alone_or_with_source_value_and_unit(self) -> None:
        assert Money.model_validate({"yuan": "40126800.00"}).source_unit is None
        money = Money.model_validate(
            {"yuan": "40126800.00", "source_value": "4012.68", "source_unit": "万元"}
        )
        assert money.source_value == "4012.68"

    @pytest.mark.parametrize(
        "data",
        [
            {"yuan": "1.5", "source_value": "0.00015"},
            {"yuan": "1.5", "source_unit": "万元"},
            {"yuan": 1.5},
            {"yuan": "1,500"},
            {"yuan": "1.5", "source_value": "0.00015", "source_unit": "万"},
            {"yuan": "1e3"},
        ],
    )
    def test_refused(self, data: dict[str, Any]) -> None:
        assert not accepts(Money, data)


class TestParty:
    @pytest.mark.parametrize(
        ("code_type", "code"),
        [
            ("uscc", "91110000600037341L"),
            ("org_code", "60003734-1"),
            ("id_card", "360426199101010071"),
            ("other", "X-1"),
        ],
    )
    def test_code_checked_according_to_its_type(self, code_type: str, code: str) -> None:
        assert accepts(Party, {"name": "某单位", "code_type": code_type, "code": code})

    @pytest.mark.parametrize(
        ("code_type", "code"),
        [
            ("uscc", "91110000600037341M"),
            ("org_code", "60003734-2"),
            ("id_card", "360426199101010072"),
            ("other", "X 1"),
        ],
    )
    def test_bad_code_for_its_type_is_refused(self, code_type: str, code: str) -> None:
        assert not accepts(Party, {"name": "某单位", "code_type": code_type, "code": code})

    def test_null_optional_field_is_refused_absent_is_fine(self) -> None:
        base = {"name": "某单位", "code_type": "other", "code": "X-1"}
        assert accepts(Party, base)
        assert not accepts(Party, {**base, "role": None})

    def test_unknown_field_is_refused(self) -> None:
        assert not accepts(Party, {"name": "某单位", "code_type": "other", "code": "X-1", "phone": "1"})

    def test_frozen(self) -> None:
        party = Party.model_validate({"name": "某单位", "code_type": "other", "code": "X-1"})
        with pytest.raises(ValidationError):
            party.name = "另一单位"  # type: ignore[misc]


class TestCondition:
    def test_json_schema_of_presence_and_equality_rules(self) -> None:
        assert Condition("agent", require=("power_of_attorney",)).json_schema() == {
            "if": {"required": ["agent"]},
            "then": {"required": ["power_of_attorney"]},
        }
        assert Condition("t", equals="uscc", formats=(("code", "uscc"),)).json_schema() == {
            "if": {"required": ["t"], "properties": {"t": {"const": "uscc"}}},
            "then": {"properties": {"code": {"format": "uscc"}}},
        }

    def test_kind_requirements_enforced_by_the_model(self, example_of) -> None:
        event = example_of("remote_evaluation.event")
        event["kind"] = "fault_start"
        with pytest.raises(ValidationError) as caught:
            RemoteEvaluationEvent.model_validate(event)
        assert "fault_id is required here" in str(caught.value)


class TestIntegers:
    def test_integral_float_counts_as_integer_but_bool_does_not(self, example_of) -> None:
        opening = example_of("tender.opening")
        model = RECORD_TYPES["tender.opening"].model
        assert model.model_validate({**opening, "bidder_count": 7.0}).to_payload()["bidder_count"] == 7
        assert not accepts(model, {**opening, "bidder_count": True})
        assert not accepts(model, {**opening, "bidder_count": "7"})


class TestRecordModels:
    @pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.record_type)
    def test_business_key_and_jurisdiction_paths_exist(self, model: type[StandardRecord]) -> None:
        for dotted in (*model.business_key, *model.jurisdiction_fields):
            owner: Any = model
            for part in dotted.split("."):
                assert part in owner.model_fields, f"{model.record_type}: {dotted}"
                owner = _model_of(owner.model_fields[part].annotation)
        assert model.business_key

    @pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.record_type)
    def test_business_key_fields_are_required(self, model: type[StandardRecord]) -> None:
        for dotted in model.business_key:
            assert model.model_fields[dotted.split(".")[0]].is_required(), dotted

    @pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.record_type)
    def test_every_field_has_a_description(self, model: type[StandardRecord]) -> None:
        schema = RECORD_TYPES[model.record_type].json_schema
        for owner in (schema, *schema.get("$defs", {}).values()):
            for name, prop in owner["properties"].items():
                assert prop.get("description"), f"{model.record_type}: {name}"

    @pytest.mark.parametrize("record_type", sorted(RECORD_TYPES))
    def test_to_payload_round_trips_the_example(self, record_type: str, example_of) -> None:
        example = example_of(record_type)
        assert RECORD_TYPES[record_type].model.model_validate(example).to_payload() == example

    def test_common_fields(self) -> None:
        for model in RECORD_MODELS:
            assert model.model_fields["data_timestamp"].is_required()
            assert not model.model_fields["platform_code"].is_required()
            assert not model.model_fields["extensions"].is_required()
            assert model.model_config["extra"] == "forbid"


def _model_of(annotation: Any) -> Any:
    """The model class inside `Model` or `Model | None`, else None."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
