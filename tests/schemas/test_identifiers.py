from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.identifiers import (
    FORMAT_CHECKERS,
    Finding,
    check_id_card,
    check_invest_project_code,
    check_org_code,
    check_region_code,
    check_unified_deal_code,
    check_uscc,
    has_error,
    id_card_check_char,
    mod37_2_check_char,
    org_code_check_char,
    uscc_check_char,
)
from schemas.regions import RegionTable

VALID_USCC = "91110000600037341L"
VALID_ID_CARD = "360426199101010071"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOD37_DATA = string.digits + string.ascii_uppercase


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def errors(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings if finding.severity == "error"]


def warnings(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings if finding.severity == "warning"]


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def make_uscc_with_org_code(head8: str, body8: str) -> str:
    return make_uscc(head8 + body8 + org_code_check_char(body8))


@pytest.fixture(scope="module")
def yunnan() -> RegionTable:
    rows = [
        {"code": "530000", "name": "云南省", "level": "province", "parent": ""},
        {"code": "530600", "name": "昭通市", "level": "city", "parent": "530000"},
        {"code": "530621", "name": "鲁甸县", "level": "county", "parent": "530600"},
        {"code": "110000", "name": "北京市", "level": "province", "parent": ""},
        {"code": "110100", "name": "市辖区", "level": "city", "parent": "110000"},
        {"code": "110103", "name": "崇文区", "level": "county", "parent": "110100", "last_listed": "2009"},
        {"code": "360000", "name": "江西省", "level": "province", "parent": ""},
        {"code": "360400", "name": "九江市", "level": "city", "parent": "360000"},
        {"code": "360426", "name": "德安县", "level": "county", "parent": "360400"},
    ]
    return RegionTable.from_rows(rows, edition="test")


class TestCheckCharacters:
    def test_uscc_vector(self) -> None:
        assert uscc_check_char(VALID_USCC[:17]) == "L"

    def test_org_code_vector(self) -> None:
        assert org_code_check_char("60003734") == "1"

    def test_org_code_ten_and_eleven_map_to_x_and_zero(self) -> None:
        results = {org_code_check_char(f"{n:08d}") for n in range(200)}
        assert {"X", "0"} <= results

    def test_id_card_vector(self) -> None:
        assert id_card_check_char(VALID_ID_CARD[:17]) == "1"

    def test_mod37_2_vectors(self) -> None:
        assert mod37_2_check_char("91110000600037341L20240101000001") == "Y"
        assert mod37_2_check_char("A0191110000600037341L20240101000001") == "F"

    def test_mod37_2_weighted_sum_including_check_is_one(self) -> None:
        data = "91110000600037341L20240101000001"
        check = mod37_2_check_char(data)
        values = [int(c, 36) for c in data] + [36 if check == "*" else int(check, 36)]
        total = sum(v * pow(2, len(values) - 1 - i, 37) for i, v in enumerate(values))
        assert total % 37 == 1

    def test_mod37_2_can_produce_star(self) -> None:
        assert "*" in {mod37_2_check_char(f"{n:04d}") for n in range(400)}

    @pytest.mark.parametrize(
        ("function", "bad"),
        [
            (uscc_check_char, "9111000060003734"),
            (uscc_check_char, "9111000060003734I"),
            (org_code_check_char, "6000373"),
            (org_code_check_char, "6000373a"),
            (id_card_check_char, "36042619910101007"[:16]),
            (id_card_check_char, "3604261991010100X"),
            (mod37_2_check_char, "abc"),
            (mod37_2_check_char, "12*"),
        ],
    )
    def test_bad_body_raises(self, function: object, bad: str) -> None:
        with pytest.raises(ValueError, match=r"."):
            function(bad)  # type: ignore[operator]


class TestCheckUscc:
    def test_vector_is_valid(self) -> None:
        assert check_uscc(VALID_USCC) == []

    @pytest.mark.parametrize("head", ["11", "12", "13", "19", "21", "31", "35", "51", "52", "53", "61", "62"])
    def test_other_registries_valid(self, head: str) -> None:
        value = make_uscc_with_org_code(head + "530621", "MA6K2L3B")
        assert check_uscc(value) == []

    @pytest.mark.parametrize("head", ["A1", "A9", "N1", "N2", "N3", "N9", "Y1"])
    def test_letter_first_characters_are_valid(self, head: str) -> None:
        value = make_uscc_with_org_code(head + "530621", "MA6K2L3B")
        assert check_uscc(value) == []

    def test_central_registration_region(self, yunnan: RegionTable) -> None:
        value = make_uscc_with_org_code("11100000", "00001312")
        assert check_uscc(value, yunnan) == []

    @pytest.mark.parametrize("head", ["94", "B1", "E1", "Y2", "10"])
    def test_unknown_registry_type_is_warning(self, head: str) -> None:
        findings = check_uscc(make_uscc_with_org_code(head + "530621", "MA6K2L3B"))
        assert codes(findings) == ["identifier.uscc.registry_type"]
        assert warnings(findings) == ["identifier.uscc.registry_type"]

    def test_embedded_org_code_failure_is_warning(self) -> None:
        value = make_uscc("92530621" + "MA6K2L3B" + "0")
        assert org_code_check_char("MA6K2L3B") != "0"
        findings = check_uscc(value)
        assert codes(findings) == ["identifier.uscc.org_code_check"]
        assert not has_error(findings)

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            (VALID_USCC[:17], "identifier.uscc.length"),
            (VALID_USCC + "0", "identifier.uscc.length"),
            ("", "identifier.uscc.length"),
            ("91110000600037341l", "identifier.uscc.charset"),
            ("91110000600037341I", "identifier.uscc.charset"),
            ("9111000060003734OL", "identifier.uscc.charset"),
            ("91110000Z00037341L", "identifier.uscc.charset"),
            ("91110000S00037341L", "identifier.uscc.charset"),
            ("V1110000600037341L", "identifier.uscc.charset"),
            ("9111000060003734 L", "identifier.uscc.charset"),
            ("９1110000600037341L", "identifier.uscc.charset"),
            ("91110000600037341A", "identifier.uscc.check_digit"),
        ],
    )
    def test_format_errors(self, value: str, code: str) -> None:
        findings = check_uscc(value)
        assert code in errors(findings)

    def test_non_string_is_type_error(self) -> None:
        assert codes(check_uscc(91110000600037341)) == ["identifier.uscc.type"]

    def test_letters_in_region_part_are_errors(self) -> None:
        value = make_uscc_with_org_code("91A10000", "60003734")
        assert "identifier.uscc.charset" in errors(check_uscc(value))

    def test_every_single_substitution_fails_check_digit(self) -> None:
        mutations = 0
        for position, original in enumerate(VALID_USCC):
            for replacement in USCC_ALPHABET:
                if replacement == original:
                    continue
                mutated = VALID_USCC[:position] + replacement + VALID_USCC[position + 1 :]
                assert "identifier.uscc.check_digit" in errors(check_uscc(mutated)), mutated
                mutations += 1
        assert mutations == 18 * 30

    @settings(max_examples=200)
    @given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
    def test_generated_codes_never_fail_check_digit(self, first17: str) -> None:
        assert "identifier.uscc.check_digit" not in codes(check_uscc(make_uscc(first17)))

    def test_unknown_embedded_region_is_warning(self, yunnan: RegionTable) -> None:
        value = make_uscc_with_org_code("91530699", "MA6K2L3B")
        findings = check_uscc(value, yunnan)
        assert codes(findings) == ["identifier.region.unknown"]
        assert not has_error(findings)

    def test_retired_embedded_region_is_accepted(self, yunnan: RegionTable) -> None:
        assert check_uscc(make_uscc_with_org_code("91110103", "MA6K2L3B"), yunnan) == []

    def test_structurally_odd_embedded_region_is_warning(self) -> None:
        findings = check_uscc(make_uscc_with_org_code("91990000", "MA6K2L3B"))
        assert codes(findings) == ["identifier.uscc.region"]
        assert not has_error(findings)


class TestCheckOrgCode:
    @pytest.mark.parametrize("value", ["60003734-1", "600037341"])
    def test_both_forms_valid(self, value: str) -> None:
        assert check_org_code(value) == []

    def test_x_check(self) -> None:
        body = next(f"{n:08d}" for n in range(1000) if org_code_check_char(f"{n:08d}") == "X")
        assert check_org_code(body + "X") == []

    def test_letters_in_body(self) -> None:
        assert check_org_code("MA6K2L3B-" + org_code_check_char("MA6K2L3B")) == []

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("60003734-2", "identifier.org_code.check_digit"),
            ("600037342", "identifier.org_code.check_digit"),
            ("6000373-41", "identifier.org_code.length"),
            ("60003734--1", "identifier.org_code.length"),
            ("6000373", "identifier.org_code.length"),
            ("60003734_1", "identifier.org_code.length"),
            ("6000373a-1", "identifier.org_code.charset"),
            ("60003734-A", "identifier.org_code.charset"),
            ("6000373４1", "identifier.org_code.charset"),
        ],
    )
    def test_errors(self, value: str, code: str) -> None:
        assert codes(check_org_code(value)) == [code]

    def test_non_string(self) -> None:
        assert codes(check_org_code(None)) == ["identifier.org_code.type"]


class TestCheckIdCard:
    def test_vector_is_valid(self, yunnan: RegionTable) -> None:
        assert check_id_card(VALID_ID_CARD) == []
        assert check_id_card(VALID_ID_CARD, yunnan) == []

    def test_x_check_digit(self) -> None:
        first17 = next(
            f"53062119800101{n:03d}"
            for n in range(1000)
            if id_card_check_char(f"53062119800101{n:03d}") == "X"
        )
        assert check_id_card(first17 + "X") == []

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("360426199101010072", "identifier.id_card.check_digit"),
            ("36042619910101007x", "identifier.id_card.charset"),
            ("3604261991010100 1", "identifier.id_card.charset"),
            ("３60426199101010071", "identifier.id_card.charset"),
            ("36042619910101007", "identifier.id_card.length"),
            ("3604261991010100711", "identifier.id_card.length"),
        ],
    )
    def test_format_errors(self, value: str, code: str) -> None:
        assert code in errors(check_id_card(value))

    @pytest.mark.parametrize("birth", ["19910230", "19911301", "19910000", "18991231", "00000000"])
    def test_impossible_birth_date(self, birth: str) -> None:
        first17 = "360426" + birth + "007"
        findings = check_id_card(first17 + id_card_check_char(first17))
        assert errors(findings) == ["identifier.id_card.birth_date"]

    def test_future_birth_date_needs_today(self) -> None:
        first17 = "360426" + "20300101" + "007"
        value = first17 + id_card_check_char(first17)
        assert check_id_card(value) == []
        assert errors(check_id_card(value, today=date(2026, 11, 22))) == ["identifier.id_card.birth_date"]
        assert check_id_card(value, today=date(2030, 1, 1)) == []

    def test_every_single_digit_substitution_fails(self) -> None:
        for position in range(18):
            for digit in "0123456789X":
                if digit == VALID_ID_CARD[position] or (digit == "X" and position < 17):
                    continue
                mutated = VALID_ID_CARD[:position] + digit + VALID_ID_CARD[position + 1 :]
                assert has_error(check_id_card(mutated)), mutated

    def test_legacy_15_digit_is_warning(self) -> None:
        findings = check_id_card("360426910101007")
        assert codes(findings) == ["identifier.id_card.legacy_15"]
        assert not has_error(findings)

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("360426910230007", "identifier.id_card.birth_date"),
            ("36042691010100X", "identifier.id_card.charset"),
        ],
    )
    def test_legacy_15_errors(self, value: str, code: str) -> None:
        assert code in errors(check_id_card(value))

    def test_unknown_region_is_warning(self, yunnan: RegionTable) -> None:
        first17 = "530699" + "19800101" + "001"
        findings = check_id_card(first17 + id_card_check_char(first17), yunnan)
        assert codes(findings) == ["identifier.region.unknown"]
        assert not has_error(findings)

    def test_retired_region_is_accepted(self, yunnan: RegionTable) -> None:
        first17 = "110103" + "19800101" + "001"
        assert check_id_card(first17 + id_card_check_char(first17), yunnan) == []

    def test_non_region_prefix_is_only_a_warning(self) -> None:
        # Foreigners' permanent residence cards share the layout but start with 9.
        first17 = "953156" + "19800101" + "001"
        findings = check_id_card(first17 + id_card_check_char(first17))
        assert codes(findings) == ["identifier.region.unknown"]
        assert not has_error(findings)

    def test_non_string(self) -> None:
        assert codes(check_id_card(360426199101010071)) == ["identifier.id_card.type"]


class TestCheckRegionCode:
    @pytest.mark.parametrize("value", ["530000", "530600", "530621", "110100", "500200", "419001", "659000"])
    def test_structurally_valid(self, value: str) -> None:
        assert check_region_code(value) == []

    def test_in_table(self, yunnan: RegionTable) -> None:
        assert check_region_code("530621", yunnan) == []

    def test_unknown_is_warning(self, yunnan: RegionTable) -> None:
        findings = check_region_code("530699", yunnan)
        assert codes(findings) == ["identifier.region.unknown"]
        assert warnings(findings) == ["identifier.region.unknown"]

    def test_retired_is_warning(self, yunnan: RegionTable) -> None:
        findings = check_region_code("110103", yunnan)
        assert codes(findings) == ["identifier.region.retired"]
        assert not has_error(findings)

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("53062", "identifier.region.format"),
            ("5306211", "identifier.region.format"),
            ("53062a", "identifier.region.format"),
            ("５30621", "identifier.region.format"),
            (" 53062", "identifier.region.format"),
            ("000000", "identifier.region.structure"),
            ("990000", "identifier.region.structure"),
            ("830000", "identifier.region.structure"),
            ("530021", "identifier.region.structure"),
        ],
    )
    def test_errors(self, value: str, code: str) -> None:
        assert codes(check_region_code(value)) == [code]

    def test_non_string(self) -> None:
        assert codes(check_region_code(530621)) == ["identifier.region.type"]


class TestCheckInvestProjectCode:
    @pytest.mark.parametrize("value", ["2509-320193-89-01-544060", "2017-530621-48-01-000123"])
    def test_valid(self, value: str) -> None:
        assert check_invest_project_code(value) == []

    def test_first_group_is_not_a_year(self) -> None:
        assert check_invest_project_code("9913-530621-48-01-000123") == []

    def test_unknown_region_is_warning(self, yunnan: RegionTable) -> None:
        findings = check_invest_project_code("2509-530699-89-01-544060", yunnan)
        assert codes(findings) == ["identifier.region.unknown"]
        assert not has_error(findings)

    def test_non_region_middle_group_is_warning(self) -> None:
        findings = check_invest_project_code("2509-000000-89-01-544060")
        assert codes(findings) == ["identifier.invest_project_code.region"]
        assert not has_error(findings)

    @pytest.mark.parametrize(
        "value",
        [
            "2509-320193-89-01-54406",
            "2509320193890154406",
            "2509-320193-89-01-5440601",
            "2509_320193-89-01-544060",
            "250９-320193-89-01-544060",
            "2509-32019A-89-01-544060",
            " 2509-320193-89-01-544060",
        ],
    )
    def test_format_errors(self, value: str) -> None:
        assert codes(check_invest_project_code(value)) == ["identifier.invest_project_code.format"]

    def test_non_string(self) -> None:
        assert codes(check_invest_project_code(None)) == ["identifier.invest_project_code.type"]


class TestCheckUnifiedDealCode:
    def test_compact_vector(self) -> None:
        assert check_unified_deal_code("91110000600037341L20240101000001Y") == []

    def test_display_vector(self) -> None:
        assert check_unified_deal_code("91110000600037341L-20240101-000001-Y") == []

    def test_prefix_vector(self) -> None:
        assert check_unified_deal_code("91110000600037341L20240101000001F", prefix="A01") == []
        wrong = check_unified_deal_code("91110000600037341L20240101000001F")
        assert codes(wrong) == ["identifier.unified_deal_code.check_digit"]

    def test_candidate_prefixes(self) -> None:
        assert check_unified_deal_code("91110000600037341L20240101000001F", prefix=("", "A01")) == []
        assert check_unified_deal_code("91110000600037341L20240101000001Y", prefix=("", "A01")) == []
        findings = check_unified_deal_code("91110000600037341L20240101000001F", prefix=("", "A02"))
        assert codes(findings) == ["identifier.unified_deal_code.check_digit"]

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("91110000600037341L20240101000001", "identifier.unified_deal_code.length"),
            ("91110000600037341L-20240101-000001Y", "identifier.unified_deal_code.length"),
            ("91110000600037341L_20240101-000001-Y", "identifier.unified_deal_code.format"),
            ("91110000600037341L2024010100000AY", "identifier.unified_deal_code.format"),
            ("91110000600037341L2024010A000001Y", "identifier.unified_deal_code.format"),
            ("91110000600037341M20240101000001Y", "identifier.unified_deal_code.uscc"),
            ("91110000600037341L20240230000001Y", "identifier.unified_deal_code.date"),
            ("91110000600037341L20240101000001Z", "identifier.unified_deal_code.check_digit"),
            ("91110000600037341L20240101000001y", "identifier.unified_deal_code.check_digit"),
            ("91110000600037341L20240101000002Y", "identifier.unified_deal_code.check_digit"),
        ],
    )
    def test_errors(self, value: str, code: str) -> None:
        assert codes(check_unified_deal_code(value)) == [code]

    @settings(max_examples=100)
    @given(
        st.sampled_from([VALID_USCC, make_uscc_with_org_code("11100000", "00001312")]),
        st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        st.integers(min_value=0, max_value=999_999),
        st.text(alphabet=MOD37_DATA, max_size=4),
    )
    def test_generated_codes_validate(self, uscc: str, day: date, serial: int, prefix: str) -> None:
        data = f"{uscc}{day:%Y%m%d}{serial:06d}"
        value = data + mod37_2_check_char(prefix + data)
        assert check_unified_deal_code(value, prefix=prefix) == []

    def test_non_string(self) -> None:
        assert codes(check_unified_deal_code(b"x" * 33)) == ["identifier.unified_deal_code.type"]


class TestFormatCheckers:
    @pytest.mark.parametrize(
        ("name", "good", "bad"),
        [
            ("uscc", VALID_USCC, "91110000600037341A"),
            ("org-code", "60003734-1", "60003734-2"),
            ("cn-id-card", VALID_ID_CARD, "360426199101010072"),
            ("region-code", "530621", "53062"),
            ("invest-project-code", "2509-320193-89-01-544060", "2509-320193-89-01"),
            (
                "unified-deal-code",
                "91110000600037341L-20240101-000001-Y",
                "91110000600037341L-20240101-000001-Z",
            ),
        ],
    )
    def test_good_and_bad(self, name: str, good: str, bad: str) -> None:
        checker = FORMAT_CHECKERS[name]
        assert checker(good) is True
        assert checker(bad) is False

    def test_warnings_pass(self) -> None:
        assert FORMAT_CHECKERS["cn-id-card"]("360426910101007") is True
        assert FORMAT_CHECKERS["uscc"](make_uscc_with_org_code("94530621", "MA6K2L3B")) is True

    @pytest.mark.parametrize("value", [None, 42, 1.5, [], {}])
    def test_non_strings_pass(self, value: object) -> None:
        assert all(checker(value) for checker in FORMAT_CHECKERS.values())

    def test_work_with_jsonschema_format_checker(self) -> None:
        jsonschema = pytest.importorskip("jsonschema")
        format_checker = jsonschema.FormatChecker()
        for name, checker in FORMAT_CHECKERS.items():
            format_checker.checks(name)(checker)
        schema = {"type": "object", "properties": {"code": {"type": "string", "format": "uscc"}}}
        validator = jsonschema.Draft202012Validator(schema, format_checker=format_checker)
        assert validator.is_valid({"code": VALID_USCC})
        assert not validator.is_valid({"code": "91110000600037341A"})

    def test_work_with_jsonschema_rs(self) -> None:
        jsonschema_rs = pytest.importorskip("jsonschema_rs")
        schema = {"type": "string", "format": "region-code"}
        validator = jsonschema_rs.validator_for(schema, formats=FORMAT_CHECKERS, validate_formats=True)
        assert validator.is_valid("530621")
        assert not validator.is_valid("5306")
